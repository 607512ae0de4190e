#!/usr/bin/env bash
# The dashboard's index read while the index changes under it. The
# dashboard reads each project's last run straight from
# project_runs_project_created_idx; here writers add runs to 40 projects
# (page splits), roll some back (entries the read must step over, then
# marked dead, then removed), and VACUUM runs every second (pages emptied
# and deleted), for DASH_STRESS_SECONDS (default 15) seconds.
# Meanwhile readers call check_once() over and over: in one REPEATABLE READ
# transaction (one snapshot), the dashboard with its last runs read from the
# index, then with project_runs.dashboard_index_read off (the SQL statement);
# any difference is kept in a table. Asserted:
#   - no difference, and no reader or writer failed;
#   - the readers made at least 200 comparisons, and the writers committed
#     and rolled back runs (the index changed while it was read).
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

db="dash_index_$$"
seconds="${DASH_STRESS_SECONDS:-15}"
work="$(mktemp -d)"
pids=()

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    kill_all "${pids[@]}"
    drop_databases "$db"
    rm -rf "$work"
}
trap cleanup EXIT

psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d "$db" >/dev/null <<SQL
$(app_tables public)
CREATE EXTENSION project_runs;
INSERT INTO projects (id, user_id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
       '00000000-0000-4000-8000-0000000000aa', 'p' || g
FROM generate_series(1, 40) g;
-- A first page of runs, so that the readers start on a real tree.
SELECT count(project_runs_create(p.id, i, 'v1')) FROM projects p, generate_series(1, 50) i;
CREATE TABLE differences (at timestamptz DEFAULT clock_timestamp(), by_index jsonb, by_statement jsonb);
CREATE TABLE writes (committed boolean);
CREATE FUNCTION check_once() RETURNS boolean LANGUAGE plpgsql AS \$\$
DECLARE by_index jsonb; by_statement jsonb;
BEGIN
    by_index := project_runs_dashboard();
    PERFORM set_config('project_runs.dashboard_index_read', 'off', true);
    by_statement := project_runs_dashboard();
    PERFORM set_config('project_runs.dashboard_index_read', 'on', true);
    IF by_index IS DISTINCT FROM by_statement THEN
        INSERT INTO differences (by_index, by_statement) VALUES (by_index, by_statement);
    END IF;
    RETURN by_index IS NOT DISTINCT FROM by_statement;
END \$\$;
SQL

cat >"$work/read.sql" <<'SQL'
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT check_once();
COMMIT;
SQL
# A writer adds 1 to 20 runs to a random project and commits, or rolls back
# (about one time in three).
cat >"$work/write.sql" <<'SQL'
\set g random(1, 40)
\set n random(1, 20)
\set keep random(0, 2)
BEGIN;
SELECT count(project_runs_create(('00000000-0000-4000-8000-' || lpad(to_hex(:g), 12, '0'))::uuid, i, 'v1'))
FROM generate_series(1, :n) i;
INSERT INTO writes VALUES (:keep > 0);
\if :keep
COMMIT;
\else
ROLLBACK;
INSERT INTO writes VALUES (false);
\endif
SQL

pgbench -n -c 2 -j 2 -T "$seconds" -f "$work/read.sql" "$db" >"$work/read.out" 2>&1 &
pids+=($!)
read_pid=$!
pgbench -n -c 2 -j 2 -T "$seconds" -f "$work/write.sql" "$db" >"$work/write.out" 2>&1 &
pids+=($!)
write_pid=$!
end=$((SECONDS + seconds))
vacuums=0
while [ "$SECONDS" -lt "$end" ]; do
    sleep 1
    psql_db -d "$db" -c "VACUUM project_runs" && vacuums=$((vacuums + 1))
done
read_rc=0
write_rc=0
wait "$read_pid" || read_rc=$?
wait "$write_pid" || write_rc=$?
pids=()

check_eq "readers: pgbench exit status" "0" "$read_rc"
check_eq "writers: pgbench exit status" "0" "$write_rc"
grep -q '^number of failed transactions: 0 ' "$work/read.out" || fail "readers: $(cat "$work/read.out")"
grep -q '^number of failed transactions: 0 ' "$work/write.out" || fail "writers: $(cat "$work/write.out")"
comparisons="$(awk '/^number of transactions actually processed:/ { print $6 }' "$work/read.out")"
check_eq "comparisons: at least 200" "true" "$([ "${comparisons:-0}" -ge 200 ] && echo true || echo "false (${comparisons:-0})")"
check_eq "writers committed and rolled back runs" "true|true" \
    "$(psql_db -d "$db" -c "SELECT coalesce(bool_or(committed), false)::text || '|' || coalesce(bool_or(NOT committed), false)::text FROM writes")"
check_eq "differences between the index read and the statement" "0" \
    "$(psql_db -d "$db" -c "SELECT count(*) FROM differences")"
check_eq "vacuums during the run: at least 5" "true" "$([ "$vacuums" -ge 5 ] && echo true || echo "false ($vacuums)")"
echo "   $comparisons comparisons, $vacuums vacuums, $(psql_db -d "$db" -c "SELECT count(*) FROM project_runs") runs," \
    "index $(psql_db -d "$db" -c "SELECT pg_relation_size('project_runs_project_created_idx') / 8192") pages"

if [ "$failures" -ne 0 ]; then
    echo "21_dashboard_index_read: $failures assertion(s) failed" >&2
    exit 1
fi
echo "21_dashboard_index_read: all assertions passed"
