#!/usr/bin/env bash
# Stress test of project_runs_create with one idempotency key, outside the
# isolation tester: many real sessions released at the same instant.
#
#   1. 50 psql sessions wait behind a gate (a table lock held by a controller
#      session), are released together, and each calls
#      project_runs_create(project, 1, 'v1', key) in a transaction that stays
#      open a little while. Asserted: every call ok, exactly one row holds the
#      key, every session printed that row's id, exactly one printed
#      created = true, and the run has exactly one (insert) event.
#   2. Retry: that run is set failed, then 50 sessions race again. Asserted:
#      exactly one new run, attempt 2, every session got it, exactly one
#      created = true.
#   3. pgbench -c 20 hammering the same call with a third key (500 calls):
#      one run, one created = true, every call got the same id.
#   4. pgbench -c 20 retrying a key whose every attempt fails (500 calls):
#      no IDEMPOTENCY_CONFLICT, attempts 1..n without a gap.
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

N=50
db="create_stress_$$"
project="00000000-0000-4000-8000-0000000000c1"
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
psql_db -d "$db" <<SQL
$(app_tables public)
CREATE EXTENSION project_runs;
INSERT INTO projects (id, user_id, name)
    VALUES ('$project', '00000000-0000-4000-8000-0000000000aa', 'stress');
CREATE TABLE gate ();
CREATE TABLE bench_results (result jsonb NOT NULL);
SQL

# race KEY TAG: N sessions released together call project_runs_create(KEY).
# Each writes "ok|created|id" to $work/TAG.<i>.out.
race() {
    local key="$1" tag="$2" i rc waiting
    pids=()
    # The controller holds the gate until all N sessions wait on it.
    psql_db -d "$db" >"$work/$tag.controller.out" 2>&1 <<SQL &
BEGIN;
LOCK TABLE gate IN ACCESS EXCLUSIVE MODE;
DO \$\$
DECLARE n int;
BEGIN
    FOR i IN 1..1200 LOOP
        SELECT count(*) INTO n FROM pg_catalog.pg_locks
        WHERE relation = 'gate'::regclass AND NOT granted;
        EXIT WHEN n >= $N;
        PERFORM pg_catalog.pg_sleep(0.05);
    END LOOP;
    RAISE NOTICE 'gate opened with % sessions waiting', n;
END
\$\$;
COMMIT;
SQL
    local controller=$!
    pids+=("$controller")
    for _ in $(seq 1 200); do
        waiting="$(psql_db -d "$db" -c "SELECT count(*) FROM pg_locks WHERE relation = 'gate'::regclass AND granted AND mode = 'AccessExclusiveLock'")"
        [ "$waiting" = "1" ] && break
        sleep 0.05
    done
    [ "$waiting" = "1" ] || { fail "$tag: the controller never took the gate"; return 1; }

    for i in $(seq 1 "$N"); do
        psql_db -d "$db" >"$work/$tag.$i.out" 2>"$work/$tag.$i.err" <<SQL &
BEGIN;
LOCK TABLE gate IN ACCESS SHARE MODE;
SELECT coalesce(r->>'ok', 'null') || '|' || coalesce(r->>'created', 'null') || '|' ||
       coalesce(r->'data'->>'id', 'null') || '|' || coalesce(r->'data'->>'attempt', 'null')
FROM project_runs_create('$project', 1, 'v1', '$key') AS r;
SELECT pg_catalog.pg_sleep(pg_catalog.random() * 0.05) \\g /dev/null
COMMIT;
SQL
        pids+=("$!")
    done
    rc=0
    for i in "${pids[@]}"; do wait "$i" || rc=1; done
    pids=()
    if [ "$rc" -ne 0 ]; then
        fail "$tag: a session exited non-zero"
        cat "$work/$tag".*.err "$work/$tag.controller.out" >&2 || true
    fi
    grep -h "gate opened" "$work/$tag.controller.out" || true
}

# assert_race KEY TAG ATTEMPT RUNS_WITH_KEY
assert_race() {
    local key="$1" tag="$2" attempt="$3" runs="$4" lines
    lines="$(cat "$work/$tag".[0-9]*.out)"
    check_eq "$tag: result lines" "$N" "$(printf '%s\n' "$lines" | grep -c '|' || true)"
    check_eq "$tag: calls with ok=true" "$N" "$(printf '%s\n' "$lines" | grep -c '^true|' || true)"
    check_eq "$tag: calls with created=true" "1" "$(printf '%s\n' "$lines" | grep -c '^true|true|' || true)"
    check_eq "$tag: distinct ids printed" "1" "$(printf '%s\n' "$lines" | cut -d'|' -f3 | sort -u | wc -l | tr -d ' ')"
    check_eq "$tag: attempts printed" "$attempt" "$(printf '%s\n' "$lines" | cut -d'|' -f4 | sort -u | tr '\n' ' ' | sed 's/ $//')"
    local id
    id="$(printf '%s\n' "$lines" | cut -d'|' -f3 | sort -u | head -n1)"
    check_eq "$tag: rows holding the key" "$runs" \
        "$(psql_db -d "$db" -c "SELECT count(*) FROM project_runs WHERE idempotency_key = '$key'")"
    check_eq "$tag: the row that is not failed is the printed id, attempt $attempt" "$id|$attempt|queued" \
        "$(psql_db -d "$db" -c "SELECT id || '|' || attempt || '|' || status FROM project_runs WHERE idempotency_key = '$key' AND status <> 'failed'")"
    check_eq "$tag: events of that run (one insert event)" "1|1" \
        "$(psql_db -d "$db" -c "SELECT count(*) || '|' || count(*) FILTER (WHERE from_status IS NULL AND to_status = 'queued') FROM project_run_events WHERE run_id = '$id'")"
}

key="stress-key-$$"
echo "== round 1: $N sessions, one key"
race "$key" r1 || true
assert_race "$key" r1 "1" "1" || true

echo "== round 2: the run failed; $N sessions race to retry"
first_id="$(psql_db -d "$db" -c "SELECT id FROM project_runs WHERE idempotency_key = '$key'")"
check_eq "set_failed of the first run" "failed" \
    "$(psql_db -d "$db" -c "SELECT project_runs_set_failed('$first_id', 'BOOM', 'failed on purpose')->'data'->>'status'")"
race "$key" r2 || true
assert_race "$key" r2 "2" "2" || true
check_eq "r2: no orphan events" "0" \
    "$(psql_db -d "$db" -c "SELECT count(*) FROM project_run_events e WHERE NOT EXISTS (SELECT 1 FROM project_runs r WHERE r.id = e.run_id)")"

# pgbench_500 TABLE SQL: runs the statement SQL 500 times from 20 clients
# (25 each) and checks that TABLE recorded 500 results.
pgbench_500() {
    local table="$1"
    printf '%s\n' "$2" >"$work/$table.sql"
    if ! pgbench -n -c 20 -j 4 -t 25 -f "$work/$table.sql" "$db" >"$work/$table.out" 2>&1; then
        fail "pgbench ($table) exited non-zero"
        cat "$work/$table.out" >&2
    fi
    check_eq "$table: calls recorded" "500" "$(psql_db -d "$db" -c "SELECT count(*) FROM $table")"
}

echo "== round 3: pgbench -c 20, 500 calls with one key"
bench_key="bench-key-$$"
pgbench_500 bench_results \
    "INSERT INTO bench_results SELECT project_runs_create('$project', 1, 'v1', '$bench_key');"
check_eq "pgbench: calls with ok=true" "500" \
    "$(psql_db -d "$db" -c "SELECT count(*) FROM bench_results WHERE (result->>'ok')::boolean")"
check_eq "pgbench: calls with created=true" "1" \
    "$(psql_db -d "$db" -c "SELECT count(*) FROM bench_results WHERE (result->>'created')::boolean")"
check_eq "pgbench: distinct ids" "1" \
    "$(psql_db -d "$db" -c "SELECT count(DISTINCT result->'data'->>'id') FROM bench_results")"
check_eq "pgbench: rows holding the key" "1" \
    "$(psql_db -d "$db" -c "SELECT count(*) FROM project_runs WHERE idempotency_key = '$bench_key'")"
check_eq "pgbench: every call got that row" "t" \
    "$(psql_db -d "$db" -c "SELECT bool_and((b.result->'data'->>'id')::uuid = r.id) FROM bench_results b, project_runs r WHERE r.idempotency_key = '$bench_key'")"

echo "== round 4: pgbench -c 20, 500 retries of one key whose every attempt fails"
# Each call creates (or gets) the key's run and, when it made a new attempt,
# fails it in the same transaction: every commit leaves the key failed, so
# every call retries, and racing calls lose the insert to a new failed
# attempt round after round. Asserted: no call answers IDEMPOTENCY_CONFLICT,
# the attempts run 1..n without a gap, one call created each.
storm_key="storm-key-$$"
psql_db -d "$db" <<SQL
CREATE TABLE storm_results (result jsonb NOT NULL);
CREATE FUNCTION storm_retry(k text) RETURNS jsonb LANGUAGE plpgsql AS \$f\$
DECLARE r jsonb;
BEGIN
    r := project_runs_create('$project', 1, 'v1', k);
    IF (r->>'created')::boolean THEN
        PERFORM project_runs_set_running((r->'data'->>'id')::uuid);
        PERFORM project_runs_set_failed((r->'data'->>'id')::uuid, 'BOOM', 'every attempt fails');
    END IF;
    RETURN r;
END \$f\$;
SQL
pgbench_500 storm_results "INSERT INTO storm_results SELECT storm_retry('$storm_key');"
check_eq "storm: calls answered IDEMPOTENCY_CONFLICT" "0" \
    "$(psql_db -d "$db" -c "SELECT count(*) FROM storm_results WHERE result->'error'->>'code' = 'IDEMPOTENCY_CONFLICT'")"
check_eq "storm: calls with ok=true" "500" \
    "$(psql_db -d "$db" -c "SELECT count(*) FROM storm_results WHERE (result->>'ok')::boolean")"
check_eq "storm: attempts 1..n without a gap, all failed, one creating call each" "true|true|true" \
    "$(psql_db -d "$db" -c "SELECT (max(attempt) = count(*))::text || '|' || bool_and(status = 'failed')::text || '|' ||
        (count(*) = (SELECT count(*) FROM storm_results WHERE (result->>'created')::boolean))::text
        FROM project_runs WHERE idempotency_key = '$storm_key'")"
check_eq "storm: every call got a run of the key" "0" \
    "$(psql_db -d "$db" -c "SELECT count(*) FROM storm_results s WHERE NOT EXISTS (SELECT 1 FROM project_runs r
        WHERE r.id = (s.result->'data'->>'id')::uuid AND r.idempotency_key = '$storm_key')")"
echo "   $(psql_db -d "$db" -c "SELECT count(*) FROM project_runs WHERE idempotency_key = '$storm_key'") attempts for 500 calls"

if [ "$failures" -ne 0 ]; then
    echo "12_create_stress: $failures assertion(s) failed" >&2
    exit 1
fi
echo "12_create_stress: all assertions passed"
