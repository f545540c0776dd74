# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this
# Shared definitions for the internal/mta scripts. Sourced, never run.
#
# Layout (everything under one base directory, default ${TMPDIR:-/tmp}/smtp-mta):
#   $MTA_BASE/env               generated KEY=VALUE file read by up/down/check.sh and the Go tests
#   $MTA_BASE/tls/              self-signed certificate (cert.pem) and key shared by all servers
#   $MTA_BASE/postfix-dovecot/  Postfix instance whose SASL back end is Dovecot's auth socket
#   $MTA_BASE/postfix-cyrus/    Postfix instance whose SASL back end is Cyrus (sasldb)
#   $MTA_BASE/exim/             Exim 4.96 unpacked from its .deb, with its own config/spool/mail
#   $MTA_BASE/socks/            microsocks pid and log files
#
# Ports: fixed, on 127.0.0.1 only, all shifted by MTA_PORT_OFFSET (default 0) so
# that two stacks can run side by side on one machine.

MTA_BASE=${MTA_BASE:-${TMPDIR:-/tmp}/smtp-mta}
MTA_PORT_OFFSET=${MTA_PORT_OFFSET:-0}
MTA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Every server knows the same test account.
MTA_USER=user@example.test
MTA_PASS=secret
MTA_DOMAIN=example.test
SOCKS_USER=socksuser
SOCKS_PASS=sockspass

# Postfix listeners: role -> port of the Dovecot-backed instance. The Cyrus
# instance uses the same roles at +PF_CYRUS_SHIFT.
declare -A PF_PORT=(
	[PLAIN]=2525      # cleartext; STARTTLS and AUTH offered, nothing required; codes on demand
	[SUBMISSION]=2587 # STARTTLS required, then AUTH required (530 at MAIL)
	[SMTPS]=2465      # implicit TLS, AUTH required
	[REJECT]=2526     # greeting 554, every later command 503
	[STOCK]=2527      # stock submission policy: MAIL 250, RCPT 554 without AUTH
	[SOFTBOUNCE]=2528 # soft_bounce=yes: every 5xx reject becomes 4xx
	[CONNLIMIT]=2529  # one connection per client: the 2nd gets greeting 421
	[POSTSCREEN]=2530 # postscreen with 127.0.0.1 blacklisted: greeting 521
	[SMALLSIZE]=2531  # message_size_limit = PF_SMALL_SIZE: 552
	[TIMEOUT]=2532    # smtpd_timeout = PF_TIMEOUT seconds: 421 4.4.2
)
PF_ROLES=(PLAIN SUBMISSION SMTPS REJECT STOCK SOFTBOUNCE CONNLIMIT POSTSCREEN SMALLSIZE TIMEOUT)
PF_CYRUS_SHIFT=1000
PF_SMALL_SIZE=2000
PF_TIMEOUT=3

# Exim listeners.
declare -A EX_PORT=(
	[PLAIN]=2625      # cleartext; STARTTLS and AUTH offered; codes on demand
	[SUBMISSION]=2687 # STARTTLS required (530 at MAIL), then AUTH required
	[SMTPS]=2665      # implicit TLS, AUTH required
	[REJECT]=2626     # greeting 554, then close
	[SMALLSIZE]=2631  # message_size_limit = PF_SMALL_SIZE: 552
)
EX_ROLES=(PLAIN SUBMISSION SMTPS REJECT SMALLSIZE)

# microsocks (SOCKS5) listeners.
SOCKS_PORT=2680      # no authentication
SOCKS_AUTH_PORT=2681 # RFC 1929 username/password

# All components, in start order.
MTA_COMPONENTS=(postfix-dovecot postfix-cyrus exim socks)

log() { printf '[mta] %s\n' "$*" >&2; }
die() {
	printf '[mta] ERROR: %s\n' "$*" >&2
	exit 1
}

need_root() { [ "$(id -u)" = 0 ] || die "$(basename "$0") must run as root (the MTAs start as root and drop privileges)"; }

# now_ms prints the wall clock in milliseconds (bash 5 EPOCHREALTIME, no fork).
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# since START_MS prints the time elapsed since START_MS as seconds with 1 decimal.
since() {
	local d=$(($(now_ms) - $1))
	printf '%d.%ds' $((d / 1000)) $((d % 1000 / 100))
}

# alive PID: true when PID exists and is not a zombie (PID 1 here reaps lazily,
# and kill -0 succeeds on a zombie).
alive() {
	local st
	[ -n "${1:-}" ] || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# pid_from FILE prints the first number in a pid file (Postfix pads it with spaces).
pid_from() { [ -s "$1" ] && awk 'NR==1 {print $1; exit}' "$1"; }

# port_listening PORT: true when something listens on TCP PORT (any address).
port_listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# wait_port PORT SECONDS: wait until 127.0.0.1:PORT accepts a connection.
wait_port() {
	local port=$1 deadline=$(($(now_ms) + $2 * 1000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}

# stop_pid NAME PIDFILE: TERM the process, wait up to 10 s, then KILL. Removes the pid file.
stop_pid() {
	local name=$1 file=$2 pid i
	pid=$(pid_from "$file") || true
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			log "$name (pid $pid) ignored TERM for 10 s; sending KILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		log "$name stopped (pid $pid)"
	fi
	rm -f "$file"
}

# load_env: read $MTA_BASE/env (written by setup.sh) into the shell.
load_env() {
	[ -s "$MTA_BASE/env" ] || die "$MTA_BASE/env missing: run internal/mta/setup.sh first"
	set -a
	# shellcheck disable=SC1091
	. "$MTA_BASE/env"
	set +a
}

# port_of HOST:PORT prints PORT.
port_of() { echo "${1##*:}"; }
