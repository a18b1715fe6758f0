#!/usr/bin/env bash
# Installs what sxgw's tests need on Debian bookworm, and only what is missing:
#   - the real peers of the interop tests: Prosody (with lua-unbound, its DNS
#     resolver), sipp (package sip-tester), slixmpp for /usr/bin/python3,
#     openssl (test certificates), iproute2, and make;
#   - staticcheck, pinned, for `make lint`.
# Safe to run any number of times. Exits non-zero when something cannot be
# installed. Package installation needs root (or sudo).
#
# Usage: scripts/install-test-deps.sh [--system-only | --go-tools-only]
set -euo pipefail

APT_PACKAGES=(prosody lua-unbound sip-tester python3-slixmpp openssl iproute2 make)

# staticcheck 2026.2.2 (module version v0.8.2) is built for Go 1.26.
STATICCHECK_MODULE=honnef.co/go/tools/cmd/staticcheck
STATICCHECK_VERSION=v0.8.2

log() { echo "install-test-deps: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

want_system=1
want_go_tools=1
case "${1:-}" in
"") ;;
--system-only) want_go_tools=0 ;;
--go-tools-only) want_system=0 ;;
*) die "usage: $0 [--system-only | --go-tools-only]" ;;
esac

is_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

install_system() {
	command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 ||
		die "apt-get/dpkg not found: install ${APT_PACKAGES[*]} by hand (Debian bookworm package names)"

	local missing=() pkg
	for pkg in "${APT_PACKAGES[@]}"; do
		is_installed "$pkg" || missing+=("$pkg")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "installing ${missing[*]}"
		# Keep package scripts from starting a system-wide Prosody: the tests
		# run their own, and no init system may be there to start it anyway.
		local policy=/usr/sbin/policy-rc.d
		if [ ! -e "$policy" ]; then
			as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
			# shellcheck disable=SC2064 # expand now: $policy is local
			trap "as_root rm -f '$policy'" EXIT
		fi
		as_root apt-get update || die "apt-get update failed"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" ||
			die "apt-get install ${missing[*]} failed"
	fi

	for pkg in "${APT_PACKAGES[@]}"; do
		is_installed "$pkg" || die "package $pkg is still not installed"
	done
	local cmd
	for cmd in prosody prosodyctl sipp openssl ip make; do
		command -v "$cmd" >/dev/null 2>&1 || die "command $cmd not found after installing its package"
	done
	# The tests run the slixmpp driver with Debian's interpreter: another
	# python3 earlier on PATH may lack the module.
	/usr/bin/python3 -c 'import slixmpp' 2>/dev/null ||
		die "/usr/bin/python3 cannot import slixmpp"
}

install_go_tools() {
	command -v go >/dev/null 2>&1 || die "go not found on PATH: install Go 1.26 first"
	local bindir
	bindir="$(go env GOBIN)"
	if [ -z "$bindir" ]; then
		bindir="$(go env GOPATH | cut -d: -f1)/bin"
	fi
	local have=""
	if [ -x "$bindir/staticcheck" ]; then
		have="$("$bindir/staticcheck" -debug.version 2>/dev/null | sed -n 's/^[[:space:]]*honnef.co\/go\/tools@\([^ ]*\).*/\1/p' | head -n1)"
	fi
	if [ "$have" != "$STATICCHECK_VERSION" ]; then
		log "installing staticcheck $STATICCHECK_VERSION into $bindir"
		go install "$STATICCHECK_MODULE@$STATICCHECK_VERSION" ||
			die "go install $STATICCHECK_MODULE@$STATICCHECK_VERSION failed"
	fi
	"$bindir/staticcheck" -version >/dev/null || die "staticcheck does not run"
}

if [ "$want_system" -eq 1 ]; then install_system; fi
if [ "$want_go_tools" -eq 1 ]; then install_go_tools; fi
log "ok"
