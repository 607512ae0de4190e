#!/usr/bin/env bash
# Under row-level security, what a user reads does not grow with the runs
# of others, nor (for generate's key lookup) with the user's own.
#
# A Supabase-like database (roles, auth.uid(), the application's tables)
# where user A has 4,000 runs over 4 projects, user B 1,000, user C 10
# (one project) and 300 other users 3 each (one project), made by generate
# as superuser (3 events a run), then analyzed. Rows read = pg_stat_xact_user_tables' seq_tup_read +
# idx_tup_fetch of the table, in a PostgREST-shaped transaction (role
# authenticated, the user's claims).
# - A calls generate 300 times: 100 repeats of a requested version, 100 of
#   the latest version (both answer the run that holds the key) and 100 new
#   runs (another pipeline version). Asserted: every call ok, as many
#   created as expected, and under 10 rows of project_runs read a call (a
#   lookup that tests the policy first reads every run A may see: about
#   4,000 a call).
# - C reads the events as PostgREST's GET /project_run_events does: all it
#   may see, and those of its project. Asserted: C's 30 events each time,
#   and under 100 rows of project_run_events read in all (without an index
#   on project_id the policy scans every tenant's 17,730 events).
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

db="rls_rows_read_$$"
created_roles=()
max_rows_per_call=10
user_c="cccccccc-cccc-4ccc-8ccc-cccccccccccc"
claims_c="{\"sub\": \"$user_c\", \"role\": \"authenticated\"}"

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# check_below LABEL LIMIT VALUE: VALUE is a number under LIMIT.
check_below() {
    if [ -z "$3" ] || [ "$3" -ge "$2" ]; then
        fail "$1: '$3', expected fewer than $2"
    else
        echo "ok: $1 = $3 (< $2)"
    fi
}

cleanup() {
    drop_databases "$db"
    drop_created_roles 19_rls_rows_read
}
trap cleanup EXIT

ensure_supabase_roles 19_rls_rows_read
psql_db -d postgres -c "CREATE DATABASE $db"
{
    supabase_project_sql
    cat <<SQL
CREATE INDEX ON project_inputs (project_id, version);
INSERT INTO projects (id, user_id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
       CASE WHEN g <= 4 THEN '$user_a'::uuid WHEN g = 5 THEN '$user_b'::uuid
            ELSE '$user_c'::uuid END, 'project ' || g
FROM generate_series(1, 6) g;
INSERT INTO projects (id, user_id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, gen_random_uuid(), 'other ' || g
FROM generate_series(7, 306) g;
INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT p.id, v, 'final', '{"topic": "t"}' FROM projects p, generate_series(1, 1000) v;
SELECT count(*) FILTER (WHERE (project_runs_generate(p.id, v, 'v1')->>'ok')::boolean)
FROM projects p, generate_series(1, 1000) v WHERE p.name NOT LIKE 'other%' AND (p.user_id <> '$user_c' OR v <= 10)
   OR p.name LIKE 'other%' AND v <= 3 \g /dev/null
ANALYZE;
SQL
} | psql_db -d "$db"
check_eq "runs made as superuser" 5910 "$(psql_db -d "$db" -c "SELECT count(*) FROM project_runs")"

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
check_below "rows of project_runs read by 300 calls" $((300 * max_rows_per_call)) \
    "$(sed -n 2p <<<"$out")"

p6="00000000-0000-4000-8000-000000000006"
out="$(psql_db -d "$db" <<SQL
BEGIN;
select set_config('search_path', 'public', true), set_config('role', 'authenticated', true), set_config('request.jwt.claims', '$claims_c', true) \g /dev/null
SELECT count(*) FROM project_run_events;
SELECT count(*) FROM project_run_events WHERE project_id = '$p6';
SELECT seq_tup_read + idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relname = 'project_run_events';
ROLLBACK;
SQL
)"
check_eq "C's events, all and by project" "30 30" "$(sed -n 1p <<<"$out") $(sed -n 2p <<<"$out")"
check_below "rows of project_run_events read by C's two queries" 100 "$(sed -n 3p <<<"$out")"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "rls rows read: all checks passed"
