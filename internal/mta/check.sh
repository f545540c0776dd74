#!/usr/bin/env bash
# check.sh is a smoke test of the servers started by up.sh, without Go: every
# listener answers with its expected greeting, TLS verifies against our
# certificate, AUTH PLAIN works with each SASL back end, a message reaches each
# Maildir, SOCKS5 (both proxies) reaches Postfix, and nothing of ours listens
# beyond 127.0.0.1. It prints one line per check and exits 1 if any failed, so
# CI stops early and clearly when a server did not come up.
#
#   internal/mta/check.sh
# shellcheck disable=SC2153 # the SMTP_* variables come from the env file
set -uo pipefail
# shellcheck source=internal/mta/lib.sh
. "$(dirname "$0")/lib.sh"
load_env

FAILS=0
CHECKS=0
REPLY_LAST= # set by read_reply; empty when a connection could not even be opened
pass() {
	CHECKS=$((CHECKS + 1))
	printf '  ok    %-16s %-10s %-16s %s\n' "$1" "$2" "$3" "$4"
}
fail() {
	CHECKS=$((CHECKS + 1)) FAILS=$((FAILS + 1))
	printf '  FAIL  %-16s %-10s %-16s %s\n' "$1" "$2" "$3" "$4"
}

# open_conn ADDR: open fd 3 to ADDR (host:port).
open_conn() { exec 3<>"/dev/tcp/${1%:*}/${1##*:}"; }
close_conn() { exec 3>&- 3<&-; }

# read_reply: read one (possibly multi-line) reply from fd 3 into REPLY_LAST
# (its last line, CR stripped) within 5 s.
read_reply() {
	local line
	REPLY_LAST=
	while IFS= read -r -t 5 line <&3; do
		line=${line%$'\r'}
		REPLY_LAST=$line
		[[ $line =~ ^[0-9]{3}- ]] || return 0
	done
	REPLY_LAST="(no reply)"
	return 1
}

# send LINE: write LINE + CRLF to fd 3 and read the reply.
send() {
	printf '%s\r\n' "$1" >&3 2>/dev/null || {
		REPLY_LAST="(write failed)"
		return 1
	}
	read_reply
}

# greeting SERVER ROLE ADDR WANT: the first line of a plain connection starts with WANT.
greeting() {
	local got
	if ! open_conn "$3" 2>/dev/null; then
		fail "$1" "$2" "$3" "connection refused"
		return
	fi
	read_reply
	got=$REPLY_LAST
	close_conn
	if [[ $got == "$4"* ]]; then pass "$1" "$2" "$3" "$got"; else fail "$1" "$2" "$3" "got '$got', want '$4...'"; fi
}

# tls SERVER ROLE ADDR WANT starttls|implicit: TLS handshake verified against
# SMTP_TLS_CERT for SMTP_TLS_SERVER_NAME, then WANT in the session transcript.
tls() {
	local out mode=() how=implicit
	[ "$5" = starttls ] && mode=(-starttls smtp) how=STARTTLS
	out=$(printf 'QUIT\r\n' | timeout 10 openssl s_client -connect "$3" "${mode[@]}" -quiet -crlf \
		-CAfile "$SMTP_TLS_CERT" -verify_return_error -verify_hostname "$SMTP_TLS_SERVER_NAME" 2>&1)
	if grep -q "^$4" <<<"$out"; then
		pass "$1" "$2" "$3" "$how TLS verified, then '$(grep -m1 "^$4" <<<"$out" | tr -d '\r')'"
	else
		fail "$1" "$2" "$3" "$how TLS: $(tr -d '\r' <<<"$out" | tail -3 | tr '\n' ' ')"
	fi
}

# connlimit SERVER ADDR: with one connection open, a second one gets 421.
connlimit() {
	local first second
	if ! open_conn "$2" 2>/dev/null; then
		fail "$1" CONNLIMIT "$2" "connection refused"
		return
	fi
	read_reply
	first=$REPLY_LAST
	exec 4<>"/dev/tcp/${2%:*}/${2##*:}"
	IFS= read -r -t 5 second <&4
	second=${second%$'\r'}
	exec 4>&- 4<&-
	close_conn
	if [[ $first == 220* && $second == 421* ]]; then
		pass "$1" CONNLIMIT "$2" "2nd connection: '$second'"
	else
		fail "$1" CONNLIMIT "$2" "1st '$first', 2nd '$second' (want 220 then 421)"
	fi
}

# auth_plain SERVER ADDR: EHLO, AUTH PLAIN with the test account -> 235.
auth_plain() {
	local ir
	ir=$(printf '\0%s\0%s' "$SMTP_USER" "$SMTP_PASS" | base64 -w0)
	if open_conn "$2" 2>/dev/null && read_reply && send "EHLO check.test" && send "AUTH PLAIN $ir" && [[ $REPLY_LAST == 235* ]]; then
		pass "$1" AUTH "$2" "AUTH PLAIN: '$REPLY_LAST'"
		send QUIT
	else
		fail "$1" AUTH "$2" "AUTH PLAIN: '$REPLY_LAST'"
	fi
	close_conn
}

# delivery SERVER ADDR MAILDIR: a message to box-check@ lands in MAILDIR/box/new.
delivery() {
	local marker="<check-$$-$RANDOM@mta.check>" f
	if ! { open_conn "$2" 2>/dev/null && read_reply && send "EHLO check.test" &&
		send "MAIL FROM:<check@client.test>" && send "RCPT TO:<box-check@$SMTP_DOMAIN>" &&
		send DATA && [[ $REPLY_LAST == 354* ]] &&
		send "$(printf 'Message-ID: %s\r\nSubject: check.sh\r\n\r\nsmoke test\r\n.' "$marker")" &&
		[[ $REPLY_LAST == 250* ]]; }; then
		fail "$1" DELIVERY "$2" "SMTP: '$REPLY_LAST'"
		close_conn
		return
	fi
	send QUIT
	close_conn
	for _ in $(seq 100); do
		f=$(grep -lF "$marker" "$3"/box/new/* 2>/dev/null | head -1)
		[ -n "$f" ] && break
		sleep 0.1
	done
	if [ -n "$f" ]; then
		pass "$1" DELIVERY "$2" "in ${f#"$SMTP_MTA_BASE"/}"
		rm -f "$f"
	else
		fail "$1" DELIVERY "$2" "not in $3/box/new after 10 s (see the server log)"
	fi
}

# socks ADDR TARGET [USER PASS]: SOCKS5 handshake (RFC 1928/1929) in bash,
# CONNECT to TARGET (IPv4 host:port), then TARGET's greeting through the tunnel.
socks() {
	local addr=$1 target=$2 user=${3:-} pass=${4:-} rep greet req port role=SOCKS5
	[ -n "$user" ] && role=SOCKS5-AUTH
	readbytes() { dd bs=1 count="$1" status=none <&3 | od -An -tx1 | tr -d ' \n'; }
	if ! open_conn "$addr" 2>/dev/null; then
		fail socks "$role" "$addr" "connection refused"
		return
	fi
	if [ -n "$user" ]; then
		printf '\x05\x01\x02' >&3
		rep=$(readbytes 2)
		[ "$rep" = 0502 ] || {
			fail socks "$role" "$addr" "method reply $rep, want 0502"
			close_conn
			return
		}
		printf -v req '\\x01\\x%02x%s\\x%02x%s' ${#user} "$user" ${#pass} "$pass"
		printf '%b' "$req" >&3
		rep=$(readbytes 2)
		[ "$rep" = 0100 ] || {
			fail socks "$role" "$addr" "user/pass reply $rep, want 0100"
			close_conn
			return
		}
	else
		printf '\x05\x01\x00' >&3
		rep=$(readbytes 2)
		[ "$rep" = 0500 ] || {
			fail socks "$role" "$addr" "method reply $rep, want 0500"
			close_conn
			return
		}
	fi
	port=${target##*:}
	printf -v req '\\x05\\x01\\x00\\x01\\x7f\\x00\\x00\\x01\\x%02x\\x%02x' $((port >> 8)) $((port & 255))
	printf '%b' "$req" >&3
	rep=$(readbytes 10)
	if [ "${rep:0:4}" != 0500 ]; then
		fail socks "$role" "$addr" "CONNECT reply $rep, want 0500..."
		close_conn
		return
	fi
	read_reply
	greet=$REPLY_LAST
	close_conn
	if [[ $greet == 220* ]]; then
		pass socks "$role" "$addr" "via proxy to $target: '$greet'"
	else
		fail socks "$role" "$addr" "via proxy to $target: '$greet'"
	fi
}

# loopback_only: no process of ours listens beyond 127.0.0.1.
loopback_only() {
	local bad
	bad=$(ss -Hltnp | grep -E '"(master|smtpd|postscreen|exim4|microsocks|dovecot|auth|anvil)"' | awk '$4 !~ /^127\.0\.0\.1:/')
	if [ -z "$bad" ]; then
		pass all LISTEN "-" "every server socket is on 127.0.0.1"
	else
		fail all LISTEN "-" "beyond loopback: $bad"
	fi
}

T=$(now_ms)
echo "check.sh: servers in $SMTP_MTA_BASE"
for s in DOVECOT CYRUS; do
	p=SMTP_POSTFIX_${s}_
	n=postfix-${s,,}
	h=${p}HOSTNAME
	h=${!h}
	v=${p}PLAIN && greeting "$n" PLAIN "${!v}" "220 $h ESMTP Postfix"
	v=${p}SUBMISSION && greeting "$n" SUBMISSION "${!v}" "220 $h ESMTP"
	v=${p}SUBMISSION && tls "$n" SUBMISSION "${!v}" "221 2.0.0 Bye" starttls
	v=${p}SMTPS && tls "$n" SMTPS "${!v}" "220 $h ESMTP" implicit
	v=${p}REJECT && greeting "$n" REJECT "${!v}" "554 5.7.1"
	v=${p}STOCK && greeting "$n" STOCK "${!v}" "220 $h"
	v=${p}SOFTBOUNCE && greeting "$n" SOFTBOUNCE "${!v}" "220 $h"
	v=${p}CONNLIMIT && connlimit "$n" "${!v}"
	v=${p}POSTSCREEN && greeting "$n" POSTSCREEN "${!v}" "521 5.3.2"
	v=${p}SMALLSIZE && greeting "$n" SMALLSIZE "${!v}" "220 $h"
	v=${p}TIMEOUT && greeting "$n" TIMEOUT "${!v}" "220 $h"
	v=${p}PLAIN && auth_plain "$n" "${!v}"
	v=${p}PLAIN && m=${p}MAILDIR && delivery "$n" "${!v}" "${!m}"
done
greeting exim PLAIN "$SMTP_EXIM_PLAIN" "220 $SMTP_EXIM_HOSTNAME ESMTP Exim 4.96"
greeting exim SUBMISSION "$SMTP_EXIM_SUBMISSION" "220 $SMTP_EXIM_HOSTNAME"
tls exim SUBMISSION "$SMTP_EXIM_SUBMISSION" "221 $SMTP_EXIM_HOSTNAME closing connection" starttls
tls exim SMTPS "$SMTP_EXIM_SMTPS" "220 $SMTP_EXIM_HOSTNAME ESMTP Exim" implicit
greeting exim REJECT "$SMTP_EXIM_REJECT" "554 5.7.1"
greeting exim SMALLSIZE "$SMTP_EXIM_SMALLSIZE" "220 $SMTP_EXIM_HOSTNAME"
auth_plain exim "$SMTP_EXIM_PLAIN"
delivery exim "$SMTP_EXIM_PLAIN" "$SMTP_EXIM_MAILDIR"
socks "$SMTP_SOCKS5" "$SMTP_POSTFIX_DOVECOT_PLAIN"
socks "$SMTP_SOCKS5_AUTH" "$SMTP_POSTFIX_DOVECOT_PLAIN" "$SMTP_SOCKS5_USER" "$SMTP_SOCKS5_PASS"
loopback_only

if [ "$FAILS" = 0 ]; then
	echo "check.sh: all $CHECKS checks ok ($(since "$T"))"
else
	echo "check.sh: $FAILS of $CHECKS checks FAILED ($(since "$T")); logs are under $SMTP_MTA_BASE/*/log"
	exit 1
fi
