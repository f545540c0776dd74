// Package smtp is the root of an SMTP client library that speaks SMTP
// correctly and fast and turns every server reply into a typed value.
//
// The library is split by concern:
//
//   - [github.com/seed-e4e66a4f/smtp/reply]: typed replies (code, class,
//     RFC 3463 enhanced code, text) and the predicates that tell a program
//     what a reply means. A pure codec with no network code.
//   - [github.com/seed-e4e66a4f/smtp/client]: the SMTP session: greeting,
//     EHLO, STARTTLS and implicit TLS, AUTH, the mail transaction and a
//     high-level send.
//   - [github.com/seed-e4e66a4f/smtp/sasl]: SASL mechanisms and their
//     negotiation.
//
// This package contains documentation only.
package smtp
