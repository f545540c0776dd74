#!/usr/bin/env bash
# down.sh stops the servers started by up.sh, by their pid files only (never by
# process name), and checks that none of their ports still listens.
#
#   internal/mta/down.sh                    # everything
#   internal/mta/down.sh postfix-dovecot    # some: postfix-dovecot postfix-cyrus exim socks
#
# Nothing to stop (no env file, no pid file, dead pid) is not an error.
set -euo pipefail
# shellcheck source=internal/mta/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
if [ ! -s "$MTA_BASE/env" ]; then
	log "down: $MTA_BASE/env missing; nothing to stop"
	exit 0
fi
load_env

comps=("$@")
[ $# -gt 0 ] || comps=(socks exim postfix-cyrus postfix-dovecot)

# addrs COMPONENT: the host:port values of COMPONENT (as in up.sh).
addrs() {
	local v
	case $1 in
	postfix-dovecot) for v in "${PF_ROLES[@]}"; do v=SMTP_POSTFIX_DOVECOT_$v && echo "${!v}"; done ;;
	postfix-cyrus) for v in "${PF_ROLES[@]}"; do v=SMTP_POSTFIX_CYRUS_$v && echo "${!v}"; done ;;
	exim) for v in "${EX_ROLES[@]}"; do v=SMTP_EXIM_$v && echo "${!v}"; done ;;
	socks) printf '%s\n' "$SMTP_SOCKS5" "$SMTP_SOCKS5_AUTH" ;;
	*) die "unknown component $1 (want: ${MTA_COMPONENTS[*]})" ;;
	esac
}

T=$(now_ms)
for c in "${comps[@]}"; do
	case $c in
	postfix-dovecot)
		# TERM to the master (= postfix stop): it terminates its children.
		stop_pid "$c master" "$SMTP_POSTFIX_DOVECOT_PID"
		stop_pid "$c dovecot" "$SMTP_POSTFIX_DOVECOT_SASL_PID"
		;;
	postfix-cyrus) stop_pid "$c master" "$SMTP_POSTFIX_CYRUS_PID" ;;
	exim) stop_pid exim "$SMTP_EXIM_PID" ;;
	socks)
		stop_pid "socks $SMTP_SOCKS5" "$SMTP_SOCKS5_PID"
		stop_pid "socks $SMTP_SOCKS5_AUTH" "$SMTP_SOCKS5_AUTH_PID"
		;;
	*) die "unknown component $c (want: ${MTA_COMPONENTS[*]})" ;;
	esac
done

# Children (smtpd, exim deliveries) may outlive their parent for a moment.
left=()
for c in "${comps[@]}"; do
	for a in $(addrs "$c"); do
		p=$(port_of "$a")
		for _ in $(seq 50); do
			port_listening "$p" || break
			sleep 0.1
		done
		port_listening "$p" && left+=("$a")
	done
done
if [ ${#left[@]} -gt 0 ]; then
	ss -ltnp | grep -E "$(printf ':%s |' "${left[@]##*:}")^State" >&2 || true
	die "still listening after down: ${left[*]} (a server not started by up.sh, or another MTA_BASE?)"
fi
log "down: ${comps[*]} stopped in $(since "$T")"
