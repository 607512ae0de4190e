#!/usr/bin/env bash
# project_runs_generate reads the run holding its key through the key's
# index under row-level security, however many runs the user has.
#
# A Supabase-like database (roles, auth.uid(), the application's tables)
# where user A has 4,000 runs over 4 projects and user B 1,000, made by
# generate as superuser, then analyzed. In one PostgREST-shaped transaction
# (role authenticated, A's claims), A calls generate 300 times: 100 repeats
# of a requested version, 100 of the latest version (both answer the run
# that holds the key) and 100 new runs (another pipeline version). Asserted:
# every call ok, as many created as expected, and the rows of project_runs
# the transaction read (pg_stat_xact_user_tables: seq_tup_read +
# idx_tup_fetch) stay under 10 a call. A lookup that tests the policy first
# reads every run A may see: about 4,000 a call.
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

db="rls_key_lookup_$$"
created_roles=()
max_rows_per_call=10

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    drop_databases "$db"
    drop_created_roles 19_rls_key_lookup
}
trap cleanup EXIT

ensure_supabase_roles 19_rls_key_lookup
psql_db -d postgres -c "CREATE DATABASE $db"
{
    supabase_project_sql
    cat <<SQL
CREATE INDEX ON project_inputs (project_id, version);
INSERT INTO projects (id, user_id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
       CASE WHEN g <= 4 THEN '$user_a'::uuid ELSE '$user_b'::uuid END, 'project ' || g
FROM generate_series(1, 5) g;
INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT p.id, v, 'final', '{"topic": "t"}' FROM projects p, generate_series(1, 1000) v;
SELECT count(*) FILTER (WHERE (project_runs_generate(p.id, v, 'v1')->>'ok')::boolean)
FROM projects p, generate_series(1, 1000) v \g /dev/null
ANALYZE;
SQL
} | psql_db -d "$db"
check_eq "runs made as superuser" 5000 "$(psql_db -d "$db" -c "SELECT count(*) FROM project_runs")"

p1="00000000-0000-4000-8000-000000000001"
out="$(psql_db -d "$db" <<SQL
BEGIN;
select set_config('search_path', 'public', true), set_config('role', 'authenticated', true), set_config('request.jwt.claims', '$claims_a', true) \g /dev/null
SELECT count(*) FILTER (WHERE r->>'ok' = 'true'), count(*) FILTER (WHERE r->>'created' = 'true')
FROM (SELECT project_runs_generate('$p1', 1 + g % 10, 'v1') AS r
      FROM generate_series(1, 100) g
      UNION ALL
      SELECT project_runs_generate('$p1', NULL, 'v1') FROM generate_series(1, 100) g
      UNION ALL
      SELECT project_runs_generate('$p1', g, 'v2') FROM generate_series(1, 100) g) c;
SELECT seq_tup_read + idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relname = 'project_runs';
ROLLBACK;
SQL
)"
check_eq "ok calls and runs created" "300|100" "$(sed -n 1p <<<"$out")"
rows="$(sed -n 2p <<<"$out")"
if [ -z "$rows" ] || [ "$rows" -ge $((300 * max_rows_per_call)) ]; then
    fail "rows of project_runs read by 300 calls: '$rows', expected fewer than $((300 * max_rows_per_call))"
else
    echo "ok: rows of project_runs read by 300 calls = $rows (< $((300 * max_rows_per_call)))"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "rls key lookup: all checks passed"
