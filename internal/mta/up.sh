#!/usr/bin/env bash
# up.sh starts the servers configured by setup.sh, on 127.0.0.1 only, and waits
# until every listener accepts connections.
#
#   internal/mta/up.sh                      # everything
#   internal/mta/up.sh exim socks           # some: postfix-dovecot postfix-cyrus exim socks
#
# A component that is already running (its pid file names a live process) is
# left alone, so up.sh can be run twice. A port that is already taken by
# anything else is an error: Postfix binds with SO_REUSEPORT, so a stale
# instance on the same port would otherwise silently receive half of the
# connections. Stop it first (down.sh, or kill the pid that ss -ltnp shows).
set -euo pipefail
# shellcheck source=internal/mta/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
load_env

comps=("$@")
[ $# -gt 0 ] || comps=("${MTA_COMPONENTS[@]}")

# listen_addrs COMPONENT: the host:port values of COMPONENT from the env file.
listen_addrs() {
	local v
	case $1 in
	postfix-dovecot) for v in "${PF_ROLES[@]}"; do v=SMTP_POSTFIX_DOVECOT_$v && echo "${!v}"; done ;;
	postfix-cyrus) for v in "${PF_ROLES[@]}"; do v=SMTP_POSTFIX_CYRUS_$v && echo "${!v}"; done ;;
	exim) for v in "${EX_ROLES[@]}"; do v=SMTP_EXIM_$v && echo "${!v}"; done ;;
	socks) echo "$SMTP_SOCKS5" "$SMTP_SOCKS5_AUTH" | tr ' ' '\n' ;;
	*) die "unknown component $1 (want: ${MTA_COMPONENTS[*]})" ;;
	esac
}

# ensure_free COMPONENT: fail when one of its ports is already listening.
ensure_free() {
	local a busy=0
	for a in $(listen_addrs "$1"); do
		if port_listening "$(port_of "$a")"; then
			ss -ltnp "sport = :$(port_of "$a")" >&2
			busy=1
		fi
	done
	[ $busy = 0 ] || die "$1: port(s) above already in use by a stale or foreign server; stop it first (internal/mta/down.sh, or kill the pid shown)"
}

# ensure_free_one HOST:PORT: the same for one address.
ensure_free_one() {
	if port_listening "$(port_of "$1")"; then
		ss -ltnp "sport = :$(port_of "$1")" >&2
		die "$1 already in use by a stale or foreign process; stop it first"
	fi
}

# wait_all COMPONENT: wait until every port of COMPONENT accepts connections.
wait_all() {
	local a
	for a in $(listen_addrs "$1"); do
		wait_port "$(port_of "$a")" 10 || die "$1: nothing listens on $a after 10 s"
	done
}

start_postfix() {
	local name=$1 P=SMTP_POSTFIX_${1#postfix-} t
	P=${P^^}_
	local pidf=${P}PID cfg=${P}CONFIG logf=${P}LOG
	t=$(now_ms)
	if alive "$(pid_from "${!pidf}")"; then
		log "$name: already running (master pid $(pid_from "${!pidf}"))"
		return
	fi
	ensure_free "$name"
	rm -f "${!pidf}"
	if [ "$name" = postfix-dovecot ]; then
		# Dovecot first: its auth socket lives in Postfix's queue directory.
		local B=$SMTP_MTA_BASE/$name
		if ! alive "$(pid_from "$SMTP_POSTFIX_DOVECOT_SASL_PID")"; then
			rm -f "$SMTP_POSTFIX_DOVECOT_SASL_PID"
			dovecot -c "$B/dovecot/dovecot.conf" </dev/null >>"$B/log/dovecot.log" 2>&1 ||
				die "dovecot did not start; see $B/log/dovecot.log"
		fi
		for _ in $(seq 100); do
			[ -S "$B/spool/auth-dovecot" ] && break
			sleep 0.05
		done
		[ -S "$B/spool/auth-dovecot" ] || die "dovecot auth socket $B/spool/auth-dovecot missing; see $B/log/dovecot.log"
	fi
	if ! postfix -c "${!cfg}" start </dev/null >/dev/null 2>&1; then
		tail -20 "${!logf}" >&2 || true
		die "$name: postfix start failed (log: ${!logf})"
	fi
	wait_all "$name"
	log "$name: master pid $(pid_from "${!pidf}") on $(listen_addrs "$name" | tr '\n' ' ')($(since "$t"))"
}

start_exim() {
	local t exim=$SMTP_MTA_BASE/exim/root/usr/sbin/exim4
	t=$(now_ms)
	if alive "$(pid_from "$SMTP_EXIM_PID")"; then
		log "exim: already running (pid $(pid_from "$SMTP_EXIM_PID"))"
		return
	fi
	ensure_free exim
	rm -f "$SMTP_EXIM_PID"
	# -bd: daemon (forks, writes the pid file); -q30s: queue runner every 30 s
	"$exim" -C "$SMTP_EXIM_CONFIG" -bd -q30s </dev/null >>"$SMTP_MTA_BASE/exim/log/start.log" 2>&1 ||
		die "exim did not start; see $SMTP_MTA_BASE/exim/log/"
	wait_all exim
	log "exim: pid $(pid_from "$SMTP_EXIM_PID") on $(listen_addrs exim | tr '\n' ' ')($(since "$t"))"
}

# start_one_socks PIDFILE ADDR [USER PASS]: microsocks in the background as nobody.
# It has no daemon mode and no pid file, and listens on 0.0.0.0 unless -i.
start_one_socks() {
	local pidf=$1 addr=$2 auth=() pid
	shift 2
	[ $# = 0 ] || auth=(-u "$1" -P "$2")
	if alive "$(pid_from "$pidf")"; then
		log "socks: $addr already running (pid $(pid_from "$pidf"))"
		return
	fi
	ensure_free_one "$addr"
	rm -f "$pidf"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		microsocks -i 127.0.0.1 -p "$(port_of "$addr")" "${auth[@]}" \
		</dev/null >>"${pidf%.pid}.log" 2>&1 &
	pid=$!
	echo "$pid" >"$pidf"
	if ! wait_port "$(port_of "$addr")" 5 || ! alive "$pid"; then
		cat "${pidf%.pid}.log" >&2
		die "microsocks on $addr did not start"
	fi
}

start_socks() {
	local t
	t=$(now_ms)
	start_one_socks "$SMTP_SOCKS5_PID" "$SMTP_SOCKS5"
	start_one_socks "$SMTP_SOCKS5_AUTH_PID" "$SMTP_SOCKS5_AUTH" "$SMTP_SOCKS5_USER" "$SMTP_SOCKS5_PASS"
	log "socks: microsocks pids $(pid_from "$SMTP_SOCKS5_PID") $(pid_from "$SMTP_SOCKS5_AUTH_PID") on $SMTP_SOCKS5 (no auth) $SMTP_SOCKS5_AUTH (user/pass) ($(since "$t"))"
}

T=$(now_ms)
for c in "${comps[@]}"; do
	case $c in
	postfix-dovecot | postfix-cyrus) start_postfix "$c" ;;
	exim) start_exim ;;
	socks) start_socks ;;
	*) die "unknown component $c (want: ${MTA_COMPONENTS[*]})" ;;
	esac
done
log "up: ${comps[*]} in $(since "$T")"
