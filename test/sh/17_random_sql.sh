#!/usr/bin/env bash
# Random SQL (SQLsmith) against a Supabase-shaped database with the
# extension and some runs: the extension's functions called in the contexts
# SQLsmith builds (subqueries, lateral joins, CTEs, window functions,
# aggregates, MERGE, ...), with arguments taken from the columns at hand, as
# a user of the authenticated role (its JWT claims set for the role).
# SMITH_QUERIES queries (default 10,000) from the seed SMITH_SEED (default
# 42), each under a 1 s statement_timeout. Asserted:
#   - no backend crashed: a session opened before SQLsmith is still there
#     afterwards (after a crash the server ends every session);
#   - SQLsmith ran to the end;
#   - the queries called the extension's functions (at least 500 times).
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

db="smith_$$"
role="smith_$$"
queries="${SMITH_QUERIES:-10000}"
seed="${SMITH_SEED:-42}"
work="$(mktemp -d)"
watch_pid=""
created_roles=()

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    [ -z "$watch_pid" ] || kill "$watch_pid" 2>/dev/null || true
    drop_databases "$db"
    psql_db -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
    drop_created_roles 17_random_sql
    rm -rf "$work"
}
trap cleanup EXIT

command -v sqlsmith >/dev/null || { echo "17_random_sql: sqlsmith is not installed" >&2; exit 1; }
ensure_supabase_roles 17_random_sql
psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d "$db" <<SQL
$(supabase_project_sql)
INSERT INTO projects (id, user_id, name)
SELECT ('00000000-0000-4000-b000-00000000001' || k)::uuid, '00000000-0000-4000-b000-000000000001', 'p' || k
FROM generate_series(1, 4) k;
INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT p.id, v, CASE v WHEN 3 THEN 'draft' ELSE 'final' END, jsonb_build_object('q', v)
FROM projects p, generate_series(1, 3) v;
SELECT count(project_runs_generate(p.id, v)) FROM projects p, generate_series(1, 2) v \g /dev/null
SELECT count(project_runs_create(p.id, 1, 'worker')) FROM projects p \g /dev/null
SQL
password="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
psql_db -d postgres <<SQL
CREATE ROLE $role LOGIN PASSWORD '$password' IN ROLE authenticated;
ALTER ROLE $role IN DATABASE $db SET request.jwt.claims = '{"sub": "00000000-0000-4000-b000-000000000001", "role": "authenticated"}';
ALTER ROLE $role IN DATABASE $db SET statement_timeout = '1s';
ALTER ROLE $role IN DATABASE $db SET role = 'authenticated';
SQL

# The watch: a session that a crash would end.
PGAPPNAME="watch_$$" psql -X -q -d "$db" -c "SELECT pg_sleep(3600)" >/dev/null 2>&1 &
watch_pid=$!
started=""
for _ in $(seq 50); do
    started="$(psql_db -d "$db" -c "SELECT backend_start FROM pg_stat_activity WHERE application_name = 'watch_$$'")"
    [ -n "$started" ] && break
    sleep 0.1
done
[ -n "$started" ] || { echo "17_random_sql: the watch session did not start" >&2; exit 1; }

target="dbname=$db user=$role password=$password"
[ -n "${PGHOST:-}" ] && target="$target host=$PGHOST"
[ -n "${PGPORT:-}" ] && target="$target port=$PGPORT"
t0="$(date +%s)"
rc=0
sqlsmith --target="$target" --seed="$seed" --max-queries="$queries" --exclude-catalog \
    --dump-all-queries >"$work/queries.sql" 2>"$work/sqlsmith.err" || rc=$?
echo "$queries queries from seed $seed in $(($(date +%s) - t0)) s; calls in them:"
grep -o 'project_runs_[a-z_]*(' "$work/queries.sql" | sort | uniq -c | sort -rn | head -n 20

check_eq "sqlsmith exit status" "0" "$rc"
[ "$rc" -eq 0 ] || tail -n 20 "$work/sqlsmith.err" >&2
check_eq "the watch session is still there (no backend crashed)" "$started" \
    "$(psql_db -d "$db" -c "SELECT backend_start FROM pg_stat_activity WHERE application_name = 'watch_$$'")"
check_eq "at least 500 calls of the extension's functions" "true" \
    "$(grep -o 'project_runs_[a-z_]*(' "$work/queries.sql" | wc -l | awk '{ print ($1 >= 500 ? "true" : "false") }')"

exit $((failures > 0))
