#!/usr/bin/env bash
# Install everything needed to build and test project_runs on Debian 12.
#
# Idempotent: packages already installed are left alone, and `apt-get update`
# runs only when at least one package is missing. Works as root; otherwise
# it uses sudo when available.
#
# Usage: bash scripts/install-deps.sh
set -uo pipefail

PACKAGES=(
    # C++ toolchain and build systems
    build-essential g++ make cmake pkg-config
    # PostgreSQL 15 server, client and PGXS headers
    postgresql-15 postgresql-client-15 postgresql-server-dev-15
    # postgresql-common provides pg_virtualenv, pg_createcluster, pg_ctlcluster
    postgresql-common
    # pgTAP extension and pg_prove
    postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
    # GoogleTest for the CMake unit tests
    libgtest-dev googletest
    # Perl IPC::Run (PostgreSQL TAP-test helpers)
    libipc-run-perl
    # SQLsmith, random SQL for test/sh/17_random_sql.sh
    sqlsmith
)

log() { printf '[install-deps] %s\n' "$*"; }

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "all ${#PACKAGES[@]} packages already installed"
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        log "ERROR: not root and sudo is not available; cannot install: ${missing[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
log "missing: ${missing[*]}"
log "running apt-get update"
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q; then
    log "ERROR: apt-get update failed" >&2
    exit 1
fi
log "installing ${#missing[@]} package(s)"
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}"; then
    log "ERROR: apt-get install failed" >&2
    exit 1
fi

# Verify, so a silent apt problem shows up here and not as an odd build error.
still_missing=()
for pkg in "${missing[@]}"; do
    is_installed "$pkg" || still_missing+=("$pkg")
done
if [ "${#still_missing[@]}" -ne 0 ]; then
    log "ERROR: still not installed: ${still_missing[*]}" >&2
    exit 1
fi
log "done"
