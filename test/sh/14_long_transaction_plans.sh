#!/usr/bin/env bash
# A long transaction on a new ledger keeps using the indexes.
#
# The ledger is analyzed while empty (as a migration or `vacuumdb --analyze`
# after CREATE EXTENSION does), so PostgreSQL's statistics say project_runs
# holds nothing. Then one transaction makes 2,000 runs with
# project_runs_generate, one statement, the way a backfill job would. The
# statistics never change inside that transaction; the extension must still
# replan its lookups once the table has grown. Asserted: every call ok, and
# the transaction's sequential scans of project_runs
# (pg_stat_xact_user_tables) stay far below one per call (without the
# replanning, every call scans the table three times: 6,000 scans, and the
# calls get slower as the table grows).
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

db="long_tx_plans_$$"
calls=2000
max_seq_scans=500

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    drop_databases "$db"
}
trap cleanup EXIT

psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d "$db" <<SQL
$(app_tables public)
CREATE INDEX ON project_inputs (project_id, version);
CREATE EXTENSION project_runs;
INSERT INTO projects (id, user_id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
       '00000000-0000-4000-8000-0000000000aa', 'project ' || g
FROM generate_series(1, $calls) g;
INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT id, 1, 'final', '{"topic": "backfill", "keywords": ["a", "b"]}' FROM projects;
ANALYZE;
SQL
check_eq "project_runs analyzed empty" "0 0" \
    "$(psql_db -d "$db" -c "SELECT relpages || ' ' || reltuples FROM pg_class WHERE oid = 'project_runs'::regclass")"

out="$(psql_db -d "$db" <<SQL
BEGIN;
SELECT count(*) FILTER (WHERE r->>'ok' = 'true' AND r->'data'->>'status' = 'succeeded')
FROM generate_series(1, $calls) g,
     LATERAL (SELECT project_runs_generate(('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid) AS r
              OFFSET 0) x;
SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'project_runs';
COMMIT;
SQL
)"
ok_calls="$(sed -n 1p <<<"$out")"
seq_scans="$(sed -n 2p <<<"$out")"
check_eq "generate calls that made a succeeded run" "$calls" "$ok_calls"
if [ -z "$seq_scans" ] || [ "$seq_scans" -ge "$max_seq_scans" ]; then
    fail "sequential scans of project_runs in the transaction: '$seq_scans', expected fewer than $max_seq_scans"
else
    echo "ok: sequential scans of project_runs in the transaction = $seq_scans (< $max_seq_scans)"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "long transaction plans: all checks passed"
