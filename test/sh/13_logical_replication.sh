#!/usr/bin/env bash
# Logical replication keeps the ledger whole: a subscriber (the new database
# of a migration, or a reporting copy) receives every run and every event
# exactly as the publisher has them, and the rules still bind its sessions.
#
#   1. A publisher database with runs in every state (runs_in_every_state,
#      and a generated run) publishes projects, project_inputs,
#      project_runs and project_run_events. A subscriber with the extension
#      and empty tables subscribes. Asserted: the initial copy gives equal
#      rows (md5 of every run and event) and no worker error.
#   2. Changes made after the copy are streamed: a generate (queued ->
#      running -> succeeded in one transaction), a run moved on over four
#      transactions, a queued run failed, a retry, and project_runs_purge
#      of a second project. Asserted: equal rows again, the purged
#      project's runs and events gone on both sides, no worker error.
#   3. On the subscriber, ordinary sessions still meet the rules (PR002,
#      PR006, PR009, PR004), and project_runs_create with a replicated key
#      returns the replicated run.
# Needs wal_level = logical (scripts/test.sh sets it for its cluster). Runs
# inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

suffix="$$"
pub="lr_pub_$suffix"
sub="lr_sub_$suffix"
slot="lr_slot_$suffix"
project="00000000-0000-4000-8000-0000000000e1"
purged="00000000-0000-4000-8000-0000000000e2"

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    psql_db -d "$sub" -c "ALTER SUBSCRIPTION $sub DISABLE" >/dev/null 2>&1 || true
    psql_db -d "$sub" -c "ALTER SUBSCRIPTION $sub SET (slot_name = NONE)" >/dev/null 2>&1 || true
    psql_db -d "$sub" -c "DROP SUBSCRIPTION IF EXISTS $sub" >/dev/null 2>&1 || true
    psql_db -d "$pub" -c "SELECT pg_drop_replication_slot('$slot')" >/dev/null 2>&1 || true
    drop_databases "$sub" "$pub"
}
trap cleanup EXIT

wal_level="$(psql_db -d postgres -c "SHOW wal_level")"
if [ "$wal_level" != "logical" ]; then
    echo "FAIL: wal_level is $wal_level, this test needs logical" >&2
    exit 1
fi

ddl="$(app_tables public)
CREATE EXTENSION project_runs;"

# --------------------------------------------------------------------------
# 1. The publisher, the subscriber, and the initial copy.
# --------------------------------------------------------------------------
psql_db -d postgres -c "CREATE DATABASE $pub" -c "CREATE DATABASE $sub"
psql_db -d "$pub" -c "$ddl"
psql_db -d "$sub" -c "$ddl"
psql_db -d "$pub" <<SQL
INSERT INTO projects (id, user_id, name) VALUES
    ('$project', '00000000-0000-4000-8000-0000000000aa', 'replicated'),
    ('$purged', '00000000-0000-4000-8000-0000000000aa', 'purged later');
INSERT INTO project_inputs (project_id, version, status, input_json) VALUES
    ('$project', 1, 'final', '{"topic": "replication"}'),
    ('$purged', 1, 'final', '{"topic": "gone"}');
SQL

runs_in_every_state "$pub" "$project"
call_ok "$pub" "project_runs_generate('$project', 1)" >/dev/null
call_ok "$pub" "project_runs_generate('$purged', 1)" >/dev/null

psql_db -d "$pub" <<SQL
CREATE PUBLICATION $pub FOR TABLE projects, project_inputs, project_runs, project_run_events;
SELECT pg_create_logical_replication_slot('$slot', 'pgoutput') \\g /dev/null
SQL
# The slot is made beforehand: CREATE SUBSCRIPTION cannot create one in
# the same cluster.
conninfo="dbname=$pub"
[ -n "${PGHOST:-}" ] && conninfo="$conninfo host=$PGHOST"
[ -n "${PGPORT:-}" ] && conninfo="$conninfo port=$PGPORT"
[ -n "${PGUSER:-}" ] && conninfo="$conninfo user=$PGUSER"
[ -n "${PGPASSWORD:-}" ] && conninfo="$conninfo password=$PGPASSWORD"
psql_db -d "$sub" -c "CREATE SUBSCRIPTION $sub CONNECTION '$conninfo' PUBLICATION $pub
    WITH (create_slot = false, slot_name = '$slot')"

# worker_errors: the errors the subscription's workers have met so far.
worker_errors() {
    psql_db -d "$sub" -c "SELECT coalesce(sum(apply_error_count + sync_error_count), 0)
        FROM pg_stat_subscription_stats WHERE subname = '$sub'"
}

# caught_up WHAT: waits (60 s at most) until every table is synchronized and
# the subscriber's runs and events equal the publisher's; asserts both.
caught_up() {
    local i want got="" ready=""
    want="$(ledger_fingerprint "$pub")"
    for ((i = 0; i < 300; i++)); do
        ready="$(psql_db -d "$sub" -c "SELECT count(*) FILTER (WHERE srsubstate <> 'r') FROM pg_subscription_rel")"
        got="$(ledger_fingerprint "$sub")"
        [ "$ready" = "0" ] && [ "$got" = "$want" ] && break
        sleep 0.2
    done
    check_eq "$1: tables not yet synchronized" "0" "$ready"
    check_eq "$1: the subscriber's runs and events equal the publisher's" "$want" "$got"
    check_eq "$1: subscription worker errors" "0" "$(worker_errors)"
}

check_eq "publisher: runs by status" "failed:4 queued:2 running:1 succeeded:3" \
    "$(psql_db -d "$pub" -c "SELECT string_agg(status || ':' || n, ' ' ORDER BY status::text) FROM (SELECT status, count(*) n FROM project_runs GROUP BY status) s")"
caught_up "initial copy"

# --------------------------------------------------------------------------
# 2. Changes streamed after the copy, the owner's purge among them.
# --------------------------------------------------------------------------
psql_db -d "$pub" -c "INSERT INTO project_inputs (project_id, version, status, input_json)
    VALUES ('$project', 2, 'final', '{\"topic\": \"streamed\"}')"
call_ok "$pub" "project_runs_generate('$project', 2)" >/dev/null
later="$(call_ok "$pub" "project_runs_create('$project', 2, 'v1', 'key-later')")"
call_ok "$pub" "project_runs_set_running('$later')" >/dev/null
call_ok "$pub" "project_runs_update_metrics('$later', '{\"steps\": [{\"name\": \"a\", \"status\": \"running\"}]}')" >/dev/null
call_ok "$pub" "project_runs_set_succeeded('$later', '{\"n\": 1}')" >/dev/null
call_ok "$pub" "project_runs_set_failed('$queued', 'CANCELLED', 'nobody started it')" >/dev/null
call_ok "$pub" "project_runs_set_failed('$running', 'STEP_FAILED', 'lost', NULL, '{\"progress\": 0.9}')" >/dev/null
call_ok "$pub" "project_runs_create('$project', 1, 'v1', 'key-failed-queued')" >/dev/null
psql_db -d "$pub" -c "SELECT project_runs_purge('$purged')" >/dev/null
check_eq "publisher: the purged project's runs" "0" \
    "$(psql_db -d "$pub" -c "SELECT count(*) FROM project_runs WHERE project_id = '$purged'")"
caught_up "streamed changes"
check_eq "subscriber: the purged project's runs and events" "0 0" \
    "$(psql_db -d "$sub" -c "SELECT (SELECT count(*) FROM project_runs WHERE project_id = '$purged') || ' ' ||
        (SELECT count(*) FROM project_run_events WHERE project_id = '$purged')")"
check_eq "subscriber: the generated run's events" "->queued queued>running running>succeeded" \
    "$(psql_db -d "$sub" -c "SELECT string_agg(coalesce(e.from_status::text, '-') || '>' || e.to_status, ' ' ORDER BY e.at, e.to_status)
        FROM project_run_events e JOIN project_runs r ON r.id = e.run_id
        WHERE r.project_id = '$project' AND r.input_version = 2 AND r.pipeline_version = '2025-12-23.v1'")"

# --------------------------------------------------------------------------
# 3. The subscriber's own sessions meet the rules.
# --------------------------------------------------------------------------
expect_sqlstate "$sub" PR002 "UPDATE of a replicated succeeded run" \
    "UPDATE project_runs SET status = 'running' WHERE id = '$succeeded'"
expect_sqlstate "$sub" PR006 "DELETE of a replicated run" \
    "DELETE FROM project_runs WHERE id = '$succeeded'"
expect_sqlstate "$sub" PR009 "direct INSERT into project_run_events" \
    "INSERT INTO project_run_events (run_id, project_id, from_status, to_status, at) VALUES ('$later', '$project', 'queued', 'running', now())"
expect_sqlstate "$sub" PR004 "INSERT of a run with its own id" \
    "INSERT INTO project_runs (id, project_id, input_version, pipeline_version) VALUES (gen_random_uuid(), '$project', 1, 'v1')"
check_eq "subscriber: create with a replicated key returns the replicated run" "false $succeeded" \
    "$(psql_db -d "$sub" -c "SELECT r->>'created' || ' ' || (r->'data'->>'id') FROM project_runs_create('$project', 1, 'v1', 'key-succeeded') r")"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "logical replication: all checks passed"
