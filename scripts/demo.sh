#!/usr/bin/env bash
# The demo of project_runs: the seed's manual test plan (PR-2), walked
# through for real in a throw-away PostgreSQL 15 cluster.
#
#   bash scripts/demo.sh              install deps, build + install the
#                                     extension, then the walkthrough
#   bash scripts/demo.sh --no-build   skip install-deps and the build (the
#                                     extension must already be installed)
#
# The walkthrough is demo/walkthrough.sql. It records one check per
# acceptance criterion of the seed and ends with a ✓/✗ list; the exit status
# is 0 only when every check passed. On a fresh Debian 12 machine, run it as
# root (or as a user with sudo).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
cd "$ROOT" || exit 1

DEMO_DB="project_runs_demo"
EXPECTED_CHECKS=10

say() { printf '%s\n' "$*"; }
fail() { printf '\n✗ %s\n' "$*" >&2; exit 1; }

# run_logged TITLE LOG COMMAND...: runs a noisy command with its output in
# LOG; prints "TITLE ... ok", or the end of LOG when it fails.
run_logged() {
    local title="$1" log="$2"
    shift 2
    printf '  %-44s' "$title ..."
    if "$@" >"$log" 2>&1; then
        say "ok"
        return 0
    fi
    say "FAILED"
    say "---- last 40 lines of $log ----"
    tail -n 40 "$log"
    say "---- end ----"
    return 1
}

# --------------------------------------------------------------------------
# Inside the cluster (pg_virtualenv has set PGHOST, PGPORT, PGUSER, ...).
# --------------------------------------------------------------------------
in_cluster() {
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DEMO_DB" ||
        fail "could not create the demo database"
    export PGDATABASE="$DEMO_DB"
    say "  cluster: PostgreSQL $(psql -X -At -c 'SHOW server_version'), port ${PGPORT:-?}, database $DEMO_DB"

    local rc counts total failed
    psql -X -q -v ON_ERROR_STOP=1 -f demo/walkthrough.sql
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "the walkthrough stopped at an error (psql exit $rc)"
    fi
    counts="$(psql -X -At -F ' ' -c \
        "SELECT count(*), count(*) FILTER (WHERE ok IS NOT TRUE) FROM demo.checks")" ||
        fail "could not read the checks"
    read -r total failed <<<"$counts"
    if [ "$failed" -ne 0 ]; then
        fail "$failed of $total checks failed"
    fi
    if [ "$total" -ne "$EXPECTED_CHECKS" ]; then
        fail "expected $EXPECTED_CHECKS checks, the walkthrough recorded $total"
    fi
    return 0
}

# --------------------------------------------------------------------------
# Outside: dependencies, build, install, cluster.
# --------------------------------------------------------------------------
main() {
    local build=1
    while [ $# -gt 0 ]; do
        case "$1" in
            --in-cluster) in_cluster; exit $? ;;
            --no-build) build=0 ;;
            -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
            *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
        esac
        shift
    done

    say "project_runs demo: the seed's manual test plan, for real"
    say
    say "== 0. Setup =="
    say
    local logdir
    logdir="$(mktemp -d /tmp/project_runs_demo.XXXXXX)"
    if [ "$build" -eq 1 ]; then
        run_logged "install dependencies (apt)" "$logdir/install-deps.log" \
            bash "$ROOT/scripts/install-deps.sh" || fail "installing the dependencies failed"
        run_logged "build the extension (make)" "$logdir/build.log" \
            make PG_CONFIG="$PG_CONFIG_BIN" -j2 || fail "the build failed"
        run_logged "install the extension (make install)" "$logdir/install.log" \
            as_root make PG_CONFIG="$PG_CONFIG_BIN" install || fail "make install failed"
    else
        say "  --no-build: using the project_runs already installed"
    fi
    rm -rf "$logdir"
    command -v pg_virtualenv >/dev/null 2>&1 ||
        fail "pg_virtualenv not found (it comes with postgresql-common)"

    # A throw-away cluster: pg_virtualenv creates it, runs this script again
    # inside it, and removes it afterwards. -t keeps it in a temp dir.
    local rc
    (
        unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE PGSYSCONFDIR
        pg_virtualenv -t -v "$PG_MAJOR" bash "$ROOT/scripts/demo.sh" --in-cluster
    ) </dev/null
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "the demo failed (exit $rc)"
    fi
    say
    say "Demo finished: every check passed."
}

main "$@"
