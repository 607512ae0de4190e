#!/usr/bin/env bash
# A hot standby (a read replica) answers the calls that only read, and the
# calls that would write raise 25006 and write nothing.
#
# A Supabase-like database on the primary (roles, auth.uid(), the
# application's tables) gets a generated run for input 1 of A's project A1
# and a run created with the key 'held-key'. A streaming standby is made
# with pg_basebackup and started on a socket of its own (the server runs as
# the postgres user when this runs as root). Once it has replayed the
# primary's WAL, on the standby:
#   - as superuser: latest, list, dashboard (with its last runs read from
#     the index, and by the SQL statement) and get_by_idempotency_key
#     answer ok with the primary's runs (the held run is the newest); generate of input 1 answers the
#     held run (created false), and so does create with the held key;
#     generate of input 2 (a new run), create with a new key and
#     set_running raise 25006;
#   - as A signed in (role authenticated, A's claims, as PostgREST sends
#     them): latest, list and generate of input 1 answer A's runs, the
#     dashboard lists A1 with its last run, B's project is
#     PROJECT_NOT_FOUND;
#   - the primary still has its two runs and their events.
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

db="hot_standby_$$"
work="$(mktemp -d)"
created_roles=()
standby_started=0

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# as_server_user CMD...: runs CMD as the user that may run a server (the
# postgres user when this script runs as root).
as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bindir="$(psql_db -d postgres -c "SELECT setting FROM pg_config WHERE name = 'BINDIR'")"
standby="$work/standby"

cleanup() {
    if [ "$standby_started" -eq 1 ]; then
        as_server_user "$bindir/pg_ctl" -D "$standby" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    drop_databases "$db"
    drop_created_roles 20_hot_standby
    rm -rf "$work"
}
trap cleanup EXIT

ensure_supabase_roles 20_hot_standby
psql_db -d postgres -c "CREATE DATABASE $db"
{
    supabase_project_sql
    cat <<SQL
INSERT INTO projects (id, user_id, name) VALUES ('$proj_a1', '$user_a', 'A1'), ('$proj_b1', '$user_b', 'B1');
INSERT INTO project_inputs (project_id, version, status, input_json)
VALUES ('$proj_a1', 1, 'final', '{"topic": "x"}'), ('$proj_a1', 2, 'final', '{"topic": "y"}');
SQL
} | psql_db -d "$db"
generated="$(call_ok "$db" "project_runs_generate('$proj_a1', 1)")"
held="$(call_ok "$db" "project_runs_create('$proj_a1', 1, 'v1', 'held-key')")"
primary_print="$(ledger_fingerprint "$db")"

# The standby: a base backup with the primary's connection settings
# (-R), its own configuration (a Debian cluster keeps postgresql.conf and
# pg_hba.conf outside the data directory), a socket in $work, no TCP.
chmod 755 "$work"
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
as_server_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
    PGPASSWORD="${PGPASSWORD:-}" "$bindir/pg_basebackup" -D "$standby" -R -X stream -c fast
cat >"$standby/postgresql.conf" <<CONF
port = $PGPORT
listen_addresses = ''
unix_socket_directories = '$work'
hot_standby = on
shared_buffers = 32MB
CONF
# A hot standby needs at least the primary's values of these.
psql_db -d postgres -c "SELECT name || ' = ' || setting FROM pg_settings WHERE name IN
    ('max_connections', 'max_prepared_transactions', 'max_locks_per_transaction',
     'max_wal_senders', 'max_worker_processes')" >>"$standby/postgresql.conf"
echo "local all all trust" >"$standby/pg_hba.conf"
: >"$standby/pg_ident.conf"
[ "$(id -u)" -eq 0 ] && chown postgres "$standby/postgresql.conf" "$standby/pg_hba.conf" \
    "$standby/pg_ident.conf"
standby_started=1
if ! as_server_user "$bindir/pg_ctl" -D "$standby" -l "$work/standby.log" -w -t 60 start >/dev/null; then
    echo "the standby did not start:" >&2
    cat "$work/standby.log" >&2 || true
    exit 1
fi

# on_standby SQL: runs SQL on the standby's copy of the database.
on_standby() {
    psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate -h "$work" -p "$PGPORT" -U "$PGUSER" \
        -d "$db" "$@"
}
check_eq "the standby is in recovery" "t" "$(on_standby -c "SELECT pg_is_in_recovery()")"
target="$(psql_db -d "$db" -c "SELECT pg_current_wal_lsn()")"
for _ in $(seq 1 100); do
    [ "$(on_standby -c "SELECT pg_last_wal_replay_lsn() >= '$target'")" = t ] && break
    sleep 0.2
done
check_eq "the standby has replayed the primary's runs" "2" \
    "$(on_standby -c "SELECT count(*) FROM project_runs")"

# standby_result SQL [SESSION-SETUP]: the result of SQL on the standby, or
# "ERROR <SQLSTATE>".
standby_result() {
    local out rc=0
    out="$(on_standby 2>&1 <<SQL
BEGIN;
${2:-}
$1;
COMMIT;
SQL
)" || rc=$?
    result_or_sqlstate "$rc" "$(grep -v '^$' <<<"$out" | tail -n 1)"
}

check_eq "superuser: latest" "true $held" \
    "$(standby_result "SELECT r->>'ok' || ' ' || (r->'data'->>'id') FROM project_runs_latest('$proj_a1') r")"
check_eq "superuser: list" "2" \
    "$(standby_result "SELECT jsonb_array_length(project_runs_list('$proj_a1')->'data')")"
check_eq "superuser: dashboard" "A1 $held, B1 never" \
    "$(standby_result "SELECT string_agg((e->>'name') || ' ' || coalesce(e->'last_run'->>'id', 'never'), ', ' ORDER BY e->>'name') FROM jsonb_array_elements(project_runs_dashboard()->'data') e")"
check_eq "superuser: dashboard, last runs by the SQL statement (index read off)" "A1 $held, B1 never" \
    "$(standby_result "SELECT string_agg((e->>'name') || ' ' || coalesce(e->'last_run'->>'id', 'never'), ', ' ORDER BY e->>'name') FROM jsonb_array_elements(project_runs_dashboard()->'data') e" \
        "SET LOCAL project_runs.dashboard_index_read = off;")"
check_eq "superuser: get_by_idempotency_key" "$held" \
    "$(standby_result "SELECT project_runs_get_by_idempotency_key('held-key')->'data'->>'id'")"
check_eq "superuser: generate of a held key answers its run" "true false $generated" \
    "$(standby_result "SELECT r->>'ok' || ' ' || (r->>'created') || ' ' || (r->'data'->>'id') FROM project_runs_generate('$proj_a1', 1) r")"
check_eq "superuser: generate of a new run" "ERROR 25006" \
    "$(standby_result "SELECT project_runs_generate('$proj_a1', 2)")"
check_eq "superuser: create with a held key answers its run" "true false $held" \
    "$(standby_result "SELECT r->>'ok' || ' ' || (r->>'created') || ' ' || (r->'data'->>'id') FROM project_runs_create('$proj_a1', 1, 'v1', 'held-key') r")"
check_eq "superuser: create with a new key" "ERROR 25006" \
    "$(standby_result "SELECT project_runs_create('$proj_a1', 1, 'v1', 'new-key')")"
check_eq "superuser: set_running" "ERROR 25006" \
    "$(standby_result "SELECT project_runs_set_running('$held')")"

signed_in="SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', '$claims_a', true) \\g /dev/null"
check_eq "A: latest" "true $held" \
    "$(standby_result "SELECT r->>'ok' || ' ' || (r->'data'->>'id') FROM project_runs_latest('$proj_a1') r" "$signed_in")"
check_eq "A: list" "2" \
    "$(standby_result "SELECT jsonb_array_length(project_runs_list('$proj_a1')->'data')" "$signed_in")"
check_eq "A: dashboard" "A1 $held" \
    "$(standby_result "SELECT string_agg((e->>'name') || ' ' || coalesce(e->'last_run'->>'id', 'never'), ', ') FROM jsonb_array_elements(project_runs_dashboard()->'data') e" "$signed_in")"
check_eq "A: generate of a held key answers its run" "true false $generated" \
    "$(standby_result "SELECT r->>'ok' || ' ' || (r->>'created') || ' ' || (r->'data'->>'id') FROM project_runs_generate('$proj_a1', 1) r" "$signed_in")"
check_eq "A: B's project" "PROJECT_NOT_FOUND" \
    "$(standby_result "SELECT project_runs_latest('$proj_b1')->'error'->>'code'" "$signed_in")"

check_eq "the primary's ledger is unchanged" "$primary_print" "$(ledger_fingerprint "$db")"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    tail -n 20 "$work/standby.log" >&2 || true
    exit 1
fi
echo "hot standby: all checks passed"
