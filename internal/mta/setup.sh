#!/usr/bin/env bash
# setup.sh installs and configures the real SMTP servers of the interop tests,
# without starting any of them (up.sh does that). Safe to run again: packages
# already installed are skipped, configs are rewritten, the certificate is kept.
#
#   sudo internal/mta/setup.sh          # state under ${TMPDIR:-/tmp}/smtp-mta
#   sudo MTA_BASE=/some/dir internal/mta/setup.sh
#
# Debian 12, as root. What it does:
#   1. keeps /usr/sbin/policy-rc.d (exit 101) so that apt starts no service;
#   2. apt-get installs postfix, sasl2-bin, libsasl2-modules, dovecot-core,
#      openssl, microsocks (download and dpkg timed separately);
#   3. unpacks exim4-daemon-light with apt-get download + dpkg-deb -x into
#      $MTA_BASE/exim/root: every Debian MTA conflicts with every other, so
#      "apt-get install exim4-daemon-light" would remove postfix. Its shared
#      libraries are installed, user Debian-exim is created, and the config is
#      listed in /etc/exim4/trusted_configs (else exim drops root with -C);
#   4. makes one self-signed certificate for all servers;
#   5. builds two private Postfix instances (postfix -c DIR) that differ only in
#      their SASL back end (Dovecot auth socket / Cyrus sasldb) and ports, the
#      Dovecot auth-only config, and the Exim config;
#   6. writes $MTA_BASE/env, the KEY=VALUE file the Go tests read (README.md).
set -euo pipefail
# shellcheck source=internal/mta/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
case $MTA_BASE in *[[:space:]]*) die "MTA_BASE must not contain white space: $MTA_BASE" ;; esac
mkdir -p "$MTA_BASE"
MTA_BASE=$(cd "$MTA_BASE" && pwd)
chmod 755 "$MTA_BASE"
T_ALL=$(now_ms)

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q --no-install-recommends
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
	-o Dpkg::Options::=--force-unsafe-io
	-o DPkg::Lock::Timeout=120)
APT_LOG=$MTA_BASE/apt.log
NOBODY_UID=$(id -u nobody)
NOGROUP_GID=$(id -g nobody)

# apt_get ARGS...: run apt-get quietly into $APT_LOG; on failure refresh the
# package lists once (a fresh machine may have none) and try again.
apt_get() {
	if apt-get "$@" >>"$APT_LOG" 2>&1; then return 0; fi
	log "apt-get $* failed; running apt-get update and retrying"
	apt-get update -q >>"$APT_LOG" 2>&1 || true
	apt-get "$@" >>"$APT_LOG" 2>&1 || {
		tail -30 "$APT_LOG" >&2
		die "apt-get $* failed (log: $APT_LOG)"
	}
}

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

# render TEMPLATE OUT NAME=VALUE...: replace every @NAME@ in TEMPLATE.
render() {
	local tpl=$1 out=$2 kv k v
	shift 2
	local args=()
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		v=${v//\\/\\\\} v=${v//|/\\|} v=${v//&/\\&}
		args+=(-e "s|@${k}@|${v}|g")
	done
	sed "${args[@]}" "$tpl" >"$out.tmp"
	if grep -n '@[A-Z][A-Z0-9_]*@' "$out.tmp" >&2; then die "placeholder left unrendered in $out"; fi
	mv "$out.tmp" "$out"
}

# ---------------------------------------------------------------- 1. policy-rc.d
setup_policy_rc() {
	# apt must never start a service: the system postfix config listens on *:25.
	if [ ! -x /usr/sbin/policy-rc.d ] || ! grep -q 'exit 101' /usr/sbin/policy-rc.d; then
		printf '#!/bin/sh\n# Written by internal/mta/setup.sh: apt starts no service.\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		log "created /usr/sbin/policy-rc.d (exit 101)"
	fi
}

# ---------------------------------------------------------------- 2. packages
setup_packages() {
	local pkgs=(postfix sasl2-bin libsasl2-modules dovecot-core openssl microsocks) missing=() p t
	for p in "${pkgs[@]}"; do installed "$p" || missing+=("$p"); done
	if [ ${#missing[@]} = 0 ]; then
		log "packages: all installed"
		return
	fi
	t=$(now_ms)
	apt_get "${APT_OPTS[@]}" --download-only install "${missing[@]}"
	log "packages: downloaded ${missing[*]} in $(since "$t")"
	t=$(now_ms)
	apt_get "${APT_OPTS[@]}" install "${missing[@]}"
	log "packages: installed (dpkg) in $(since "$t")"
}

# ---------------------------------------------------------------- 3. exim binary
EX=$MTA_BASE/exim
EXIM=$EX/root/usr/sbin/exim4
setup_exim_binary() {
	local t debs deb deps=() missing=() d
	t=$(now_ms)
	if [ ! -x "$EXIM" ]; then
		rm -rf "$EX/debs" "$EX/root"
		mkdir -p "$EX/debs" "$EX/root"
		(cd "$EX/debs" && apt_get download exim4-daemon-light)
		dpkg-deb -x "$EX"/debs/exim4-daemon-light_*.deb "$EX/root"
		log "exim: downloaded and unpacked $(basename "$EX"/debs/*.deb) in $(since "$t")"
	fi
	# Shared libraries the daemon needs (a postfix machine lacks libidn12): the
	# lib* entries of the .deb's Depends, first alternative, version stripped.
	# exim4-base is left out on purpose: installing it would pull in exim4-config.
	debs=("$EX"/debs/exim4-daemon-light_*.deb)
	deb=${debs[0]}
	if [ -f "$deb" ]; then
		mapfile -t deps < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep '^lib')
	fi
	for d in "${deps[@]}"; do installed "$d" || missing+=("$d"); done
	if [ ${#missing[@]} -gt 0 ]; then
		t=$(now_ms)
		apt_get "${APT_OPTS[@]}" install "${missing[@]}"
		log "exim: installed libraries ${missing[*]} in $(since "$t")"
	fi
	if ldd "$EXIM" | grep -q 'not found'; then
		ldd "$EXIM" | grep 'not found' >&2
		die "exim: shared libraries missing"
	fi
	# the binary has the user name Debian-exim compiled in (exim4-base makes it)
	if ! getent passwd Debian-exim >/dev/null; then
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin Debian-exim
		log "exim: created user Debian-exim"
	fi
}

# ---------------------------------------------------------------- 4. certificate
TLS=$MTA_BASE/tls
setup_tls() {
	mkdir -p "$TLS"
	if [ -s "$TLS/cert.pem" ] && [ -s "$TLS/key.pem" ] && openssl x509 -checkend 86400 -noout -in "$TLS/cert.pem" >/dev/null; then
		log "tls: keeping $TLS/cert.pem"
	else
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
			-addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,DNS:postfix-dovecot.example.test,DNS:postfix-cyrus.example.test,DNS:exim.example.test" \
			-keyout "$TLS/key.pem" -out "$TLS/cert.pem" 2>/dev/null
		log "tls: made $TLS/cert.pem (CN=localhost, SAN localhost 127.0.0.1 ::1)"
	fi
	# Postfix reads the key as root; Exim reads it after dropping to Debian-exim.
	chown root:Debian-exim "$TLS/key.pem"
	chmod 640 "$TLS/key.pem"
	chmod 644 "$TLS/cert.pem"
}

# ---------------------------------------------------------------- 5. postfix
# setup_postfix SASL: instance "postfix-SASL" (SASL = dovecot or cyrus).
setup_postfix() {
	local sasl=$1 name=postfix-$1 t
	t=$(now_ms)
	local B=$MTA_BASE/$name
	local ETC=$B/etc SPOOL=$B/spool DATA=$B/data MAIL=$B/mail LOG=$B/log
	local off=0 sasl_type=dovecot sasl_path=$B/spool/auth-dovecot role
	[ "$sasl" = cyrus ] && off=$PF_CYRUS_SHIFT sasl_type=cyrus sasl_path=smtpd
	mkdir -p "$ETC" "$SPOOL" "$DATA" "$MAIL" "$LOG"
	chown root:root "$B" "$SPOOL"
	chown postfix:postfix "$DATA"
	chown "$NOBODY_UID:$NOGROUP_GID" "$MAIL"
	chmod 755 "$B" "$MAIL"

	local f
	for f in vmailbox.regexp rcpt_access codes.regexp data.regexp eod.regexp header_checks transport; do
		install -m 644 "$MTA_DIR/postfix/$f" "$ETC/$f"
	done

	local vars=(SPOOL="$SPOOL" DATA="$DATA" MAIL="$MAIL" LOG="$LOG" ETC="$ETC"
		HOSTNAME="$name.example.test" CERT="$TLS/cert.pem" KEY="$TLS/key.pem"
		NOBODY_UID="$NOBODY_UID" NOGROUP_GID="$NOGROUP_GID"
		SASL_TYPE="$sasl_type" SASL_PATH="$sasl_path"
		SMALL_SIZE="$PF_SMALL_SIZE" TIMEOUT="$PF_TIMEOUT")
	for role in "${PF_ROLES[@]}"; do
		vars+=("P_$role=$((PF_PORT[$role] + off + MTA_PORT_OFFSET))")
	done
	render "$MTA_DIR/postfix/main.cf.in" "$ETC/main.cf" "${vars[@]}"
	render "$MTA_DIR/postfix/master.cf.in" "$ETC/master.cf" "${vars[@]}"

	if [ "$sasl" = cyrus ]; then
		# Cyrus SASL runs inside smtpd (no daemon) against a private sasldb;
		# the login name is user@example.test (user "user", realm "example.test").
		mkdir -p "$ETC/sasl"
		cat >"$ETC/sasl/smtpd.conf" <<-EOF
			pwcheck_method: auxprop
			auxprop_plugin: sasldb
			mech_list: PLAIN LOGIN CRAM-MD5 DIGEST-MD5 SCRAM-SHA-1 SCRAM-SHA-256
			sasldb_path: $ETC/sasldb2
		EOF
		rm -f "$ETC/sasldb2"
		printf '%s' "$MTA_PASS" | saslpasswd2 -p -f "$ETC/sasldb2" -c -u "${MTA_USER#*@}" "${MTA_USER%@*}"
		chown root:postfix "$ETC/sasldb2"
		chmod 640 "$ETC/sasldb2"
	else
		local DV=$B/dovecot
		mkdir -p "$DV/run" "$DV/state"
		echo "$MTA_USER:{PLAIN}$MTA_PASS" >"$DV/users"
		chown root:dovecot "$DV/users"
		chmod 640 "$DV/users"
		render "$MTA_DIR/dovecot/dovecot.conf.in" "$DV/dovecot.conf" \
			DV="$DV" LOG="$LOG" SPOOL="$SPOOL" NOBODY_UID="$NOBODY_UID" NOGROUP_GID="$NOGROUP_GID"
		dovecot -c "$DV/dovecot.conf" -n >/dev/null || die "dovecot rejects $DV/dovecot.conf"
	fi

	# "postfix check" creates the missing queue directories with their owners
	# and validates the config ("set-permissions" is not needed for a fresh
	# instance and takes seconds). It logs only to the log service, which is not
	# running yet, so on failure rerun it under a pty to see the fatal error.
	if ! postfix -c "$ETC" check >/dev/null 2>&1; then
		script -qec "postfix -c $ETC check" /dev/null >&2 || true
		die "postfix -c $ETC check failed"
	fi
	log "$name: configured in $B ($(since "$t"))"
}

# ---------------------------------------------------------------- 5b. exim config
setup_exim() {
	local role vars=(EX="$EX" EXIM="$EXIM" CERT="$TLS/cert.pem" KEY="$TLS/key.pem"
		SMALL_SIZE="$PF_SMALL_SIZE" USER="$MTA_USER" PASS="$MTA_PASS")
	for role in "${EX_ROLES[@]}"; do vars+=("P_$role=$((EX_PORT[$role] + MTA_PORT_OFFSET))"); done
	mkdir -p "$EX/etc" "$EX/spool" "$EX/log" "$EX/mail"
	chown Debian-exim:Debian-exim "$EX/spool" "$EX/log"
	chown "$NOBODY_UID:$NOGROUP_GID" "$EX/mail"
	chmod 755 "$EX" "$EX/mail"
	render "$MTA_DIR/exim/exim.conf.in" "$EX/etc/exim.conf" "${vars[@]}"
	chown root:root "$EX/etc/exim.conf"
	chmod 644 "$EX/etc/exim.conf"
	# With -C FILE exim gives up root for deliveries unless FILE is in the
	# compiled-in TRUSTED_CONFIG_LIST of Debian's build.
	mkdir -p /etc/exim4
	touch /etc/exim4/trusted_configs
	grep -qxF "$EX/etc/exim.conf" /etc/exim4/trusted_configs || echo "$EX/etc/exim.conf" >>/etc/exim4/trusted_configs
	chown root:root /etc/exim4/trusted_configs
	chmod 644 /etc/exim4/trusted_configs
	"$EXIM" -C "$EX/etc/exim.conf" -bV >/dev/null || die "exim rejects $EX/etc/exim.conf"
	log "exim: configured in $EX ($("$EXIM" -C "$EX/etc/exim.conf" -bV | head -1))"
}

# ---------------------------------------------------------------- 6. env file
write_env() {
	local out=$MTA_BASE/env role p s
	{
		echo "# Generated by internal/mta/setup.sh on $(date -u +%FT%TZ). One KEY=VALUE per line,"
		echo "# no quoting. Shell: set -a; . $out; set +a. Go tests: SMTP_INTEROP_ENV=$out."
		echo "SMTP_MTA_BASE=$MTA_BASE"
		echo "SMTP_MTA_SCRIPTS=$MTA_DIR"
		echo "SMTP_SERVERS=postfix-dovecot,postfix-cyrus,exim"
		echo "SMTP_TLS_CERT=$TLS/cert.pem"
		echo "SMTP_TLS_SERVER_NAME=localhost"
		echo "SMTP_USER=$MTA_USER"
		echo "SMTP_PASS=$MTA_PASS"
		echo "SMTP_DOMAIN=$MTA_DOMAIN"
		for s in dovecot cyrus; do
			local P=SMTP_POSTFIX_${s^^}_ B=$MTA_BASE/postfix-$s off=0
			[ "$s" = cyrus ] && off=$PF_CYRUS_SHIFT
			echo "${P}NAME=postfix-$s"
			echo "${P}HOSTNAME=postfix-$s.example.test"
			for role in "${PF_ROLES[@]}"; do
				echo "${P}${role}=127.0.0.1:$((PF_PORT[$role] + off + MTA_PORT_OFFSET))"
			done
			echo "${P}SMALLSIZE_LIMIT=$PF_SMALL_SIZE"
			echo "${P}TIMEOUT_SECONDS=$PF_TIMEOUT"
			if [ "$s" = dovecot ]; then
				echo "${P}AUTH_MECHS=PLAIN,LOGIN,CRAM-MD5,SCRAM-SHA-1,SCRAM-SHA-256"
				echo "${P}SASL_PID=$B/dovecot/run/master.pid"
			else
				echo "${P}AUTH_MECHS=PLAIN,LOGIN,CRAM-MD5,DIGEST-MD5,SCRAM-SHA-1,SCRAM-SHA-256"
			fi
			echo "${P}MAILDIR=$B/mail"
			echo "${P}PID=$B/spool/pid/master.pid"
			echo "${P}CONFIG=$B/etc"
			echo "${P}LOG=$B/log/postfix.log"
		done
		P=SMTP_EXIM_
		echo "${P}NAME=exim"
		echo "${P}HOSTNAME=exim.example.test"
		for role in "${EX_ROLES[@]}"; do
			echo "${P}${role}=127.0.0.1:$((EX_PORT[$role] + MTA_PORT_OFFSET))"
		done
		echo "${P}SMALLSIZE_LIMIT=$PF_SMALL_SIZE"
		echo "${P}AUTH_MECHS=PLAIN,LOGIN,CRAM-MD5"
		echo "${P}MAILDIR=$EX/mail"
		echo "${P}PID=$EX/exim.pid"
		echo "${P}CONFIG=$EX/etc/exim.conf"
		echo "${P}LOG=$EX/log/mainlog"
		echo "SMTP_SOCKS5=127.0.0.1:$((SOCKS_PORT + MTA_PORT_OFFSET))"
		echo "SMTP_SOCKS5_PID=$MTA_BASE/socks/noauth.pid"
		echo "SMTP_SOCKS5_AUTH=127.0.0.1:$((SOCKS_AUTH_PORT + MTA_PORT_OFFSET))"
		echo "SMTP_SOCKS5_AUTH_PID=$MTA_BASE/socks/auth.pid"
		echo "SMTP_SOCKS5_USER=$SOCKS_USER"
		echo "SMTP_SOCKS5_PASS=$SOCKS_PASS"
	} >"$out.tmp"
	chmod 644 "$out.tmp"
	mv "$out.tmp" "$out"
	log "env: $out ($(grep -c '^SMTP_' "$out") variables)"
}

setup_policy_rc
setup_packages
setup_exim_binary
setup_tls
setup_postfix dovecot
setup_postfix cyrus
setup_exim
mkdir -p "$MTA_BASE/socks"
write_env
for f in "$MTA_BASE"/postfix-*/spool/pid/master.pid "$EX/exim.pid"; do
	if alive "$(pid_from "$f" 2>/dev/null)"; then
		log "note: servers are running with the old config; apply with: $MTA_DIR/down.sh && $MTA_DIR/up.sh"
		break
	fi
done
log "setup done in $(since "$T_ALL")"
