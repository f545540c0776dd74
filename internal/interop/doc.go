// Package interop tests the client against real SMTP servers: Postfix with
// Dovecot SASL, Postfix with Cyrus SASL, and Exim, started on 127.0.0.1 by
// the scripts in internal/mta (see its README.md).
//
// The tests read the servers' addresses, certificate and accounts from the
// file named by SMTP_INTEROP_ENV (written by internal/mta/setup.sh). Without
// it, or when a server does not answer, they are skipped; when the CI
// environment variable is set, they fail instead, so that CI cannot pass by
// skipping the real servers. To run them locally, as root on Debian 12:
//
//	internal/mta/setup.sh && internal/mta/up.sh
//	SMTP_INTEROP_ENV=${TMPDIR:-/tmp}/smtp-mta/env go test -race ./internal/interop
//	internal/mta/down.sh
//
// The fault tests (faults_test.go) need root, as the servers do: they kill
// or stop the process that serves their own connection, and stop and start
// one whole server with the scripts named by SMTP_MTA_SCRIPTS, restoring it
// at cleanup. Top-level tests run one after the other and each runs its
// per-server subtests in parallel, so a server is only ever broken by the
// test that is using it.
package interop
