#!/usr/bin/env bash
# Many sessions using the ledger at once, the way a busy app does, then the
# ledger's invariants checked over everything they left behind.
#
# A Supabase-like database (RLS on projects, the API roles) with three users
# of two projects each. pgbench runs 6 clients for MIX_SECONDS (default 12);
# each transaction is one PostgREST-shaped request of a random user (role
# authenticated, request.jwt.claims) doing one random thing:
#   generate (pipelines 'v1' and 'flaky-0' to 'flaky-39', whose registered collect_evidence
#   writes a row, adds metrics, and raises for 30% of its calls; input
#   versions latest, 1, 2 or a missing 9), create with a small set of keys,
#   set_running / set_succeeded / set_failed / update_metrics on one of the
#   user's runs, a worker starting and finishing a run in one transaction, a
#   direct UPDATE of a run to a random status, a direct DELETE, the same calls
#   aimed at another user's run or project, and latest / list / dashboard.
# Every outcome (result code, or SQLSTATE of an error) is logged. Half-way, a
# copy of the finished runs is taken. Asserted afterwards:
#   - pgbench finished every transaction; no call answered INTERNAL, CONFIG
#     or INVALID_ARGUMENT, and no error other than the triggers' PR001, PR002,
#     PR005 for the direct UPDATEs and 42501 for the DELETEs (no deadlock, no
#     internal error);
#   - nothing of another user was ever seen, changed or created (results,
#     dashboard entries, table reads);
#   - every run's columns fit its status; every run's event log is exactly
#     the path to its status; no event without its run;
#   - per idempotency key: attempts 1..n, every attempt but the last failed,
#     at most one run not failed;
#   - the finished runs copied half-way are unchanged, and none was deleted;
#   - a 'flaky-*' run that failed in collect_evidence has the step's SQLSTATE,
#     a skipped generate_opportunities, and neither the step's row nor its
#     metrics (rolled back with the step); a succeeded one has its row;
#   - each kind of call had an ok (but the direct DELETE, which is refused
#     with 42501), and each racy outcome was seen.
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
# MIX_KEEP=1 keeps the database (mix_<pid>) for a look afterwards.
set -euo pipefail

db="mix_$$"
work="$(mktemp -d)"
seconds="${MIX_SECONDS:-12}"
created_roles=()

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    [ -n "${MIX_KEEP:-}" ] || drop_databases "$db"
    drop_created_roles 15_concurrent_mix
    rm -rf "$work"
}
trap cleanup EXIT

ensure_supabase_roles 15_concurrent_mix
psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d "$db" <<SQL
$(supabase_project_sql)
-- Users 0..2, projects (u, 0) and (u, 1) of each; final inputs 1 and 2, and
-- a draft 3.
CREATE FUNCTION mix_user(u int) RETURNS uuid IMMUTABLE LANGUAGE sql AS
    \$f\$ SELECT ('00000000-0000-4000-8000-0000000000' || lpad(u::text, 2, '0'))::uuid \$f\$;
CREATE FUNCTION mix_project(u int, k int) RETURNS uuid IMMUTABLE LANGUAGE sql AS
    \$f\$ SELECT ('00000000-0000-4000-9000-0000000000' || u || k)::uuid \$f\$;
CREATE FUNCTION mix_claims(u int) RETURNS text IMMUTABLE LANGUAGE sql AS
    \$f\$ SELECT jsonb_build_object('sub', mix_user(u), 'role', 'authenticated')::text \$f\$;
INSERT INTO projects (id, user_id, name)
SELECT mix_project(u, k), mix_user(u), 'project ' || u || k FROM generate_series(0, 2) u, generate_series(0, 1) k;
INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT p.id, v, CASE WHEN v = 3 THEN 'draft' ELSE 'final' END, jsonb_build_object('q', v)
FROM projects p, generate_series(1, 3) v;

-- The registered step of pipelines 'flaky-0' to 'flaky-39': writes a row and metrics, then
-- raises for 30% of its calls (P0001 or 22012).
CREATE TABLE mix_side (run_id uuid NOT NULL);
CREATE FUNCTION mix_collect(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE plpgsql AS \$f\$
DECLARE r float8 := random();
BEGIN
    INSERT INTO mix_side VALUES (run_id);
    IF r > 0.5 THEN PERFORM project_runs_update_metrics(run_id, '{"side": 1}'); END IF;
    IF r > 0.75 THEN RAISE EXCEPTION 'flaky evidence'; END IF;
    IF r > 0.7 THEN PERFORM 1 / 0; END IF;
    RETURN jsonb_build_object('evidence', r);
END \$f\$;
INSERT INTO project_runs_pipeline_steps
SELECT 'flaky-' || i, 'collect_evidence', 'mix_collect(uuid,jsonb,jsonb)' FROM generate_series(0, 39) i;

-- What each call answered.
CREATE TABLE mix_log (op text NOT NULL, outcome text NOT NULL, leak boolean NOT NULL DEFAULT false);

-- A run of another user's project, read past row-level security.
CREATE FUNCTION mix_foreign_run(u int) RETURNS uuid SECURITY DEFINER LANGUAGE sql AS \$f\$
    SELECT r.id FROM project_runs r JOIN projects p ON p.id = r.project_id
    WHERE p.user_id <> mix_user(u) ORDER BY random() LIMIT 1 \$f\$;
-- Whether a result holds anything that is not user u's.
CREATE FUNCTION mix_foreign(u int, result jsonb) RETURNS boolean SECURITY DEFINER LANGUAGE sql AS \$f\$
    SELECT EXISTS (SELECT 1 FROM jsonb_path_query(result, 'strict \$.** ? (@.type() == "object")') o
                   JOIN projects p ON p.id::text IN (o ->> 'project_id', o ->> 'id')
                   WHERE p.user_id <> mix_user(u))
        OR EXISTS (SELECT 1 FROM jsonb_path_query(result, 'strict \$.** ? (@.type() == "object")') o
                   JOIN project_runs r ON r.id::text = o ->> 'id'
                   JOIN projects p ON p.id = r.project_id
                   WHERE p.user_id <> mix_user(u)) \$f\$;

-- One request of user u: operation op on the user's project k (or, for the
-- cross-user ones, on someone else's).
CREATE FUNCTION mix_op(u int, op int, k int, x int) RETURNS void LANGUAGE plpgsql AS \$f\$
DECLARE
    project uuid := mix_project(u, k);
    other uuid := mix_project((u + 1 + x % 2) % 3, k);
    mine uuid;
    theirs uuid;
    res jsonb;
    name text;
    st text;
    n bigint;
BEGIN
    -- one of the project's runs; mostly one still queued or running, when
    -- there is one, so that sessions race on live runs
    SELECT id INTO mine FROM project_runs WHERE project_id = project
    ORDER BY (status IN ('queued', 'running') AND x % 3 > 0) DESC, random() LIMIT 1;
    IF mine IS NULL AND op BETWEEN 4 AND 10 THEN op := 0; END IF;  -- no run yet: make one
    IF op = 11 THEN
        theirs := mix_foreign_run(u);
        IF theirs IS NULL THEN op := 13; END IF;  -- nobody else has a run yet: read
    END IF;
    BEGIN
        CASE op
        WHEN 0, 1, 2 THEN
            name := 'generate';
            res := project_runs_generate(project, (ARRAY[NULL, 1, 2, 9])[1 + x % 4],
                                         CASE WHEN x % 3 = 0 THEN 'v1' ELSE 'flaky-' || x % 40 END);
        WHEN 3 THEN
            name := 'create';
            res := project_runs_create(project, 1, 'v1', 'key-' || project || '-' || x % 50);
        WHEN 4 THEN
            name := 'set_running';
            res := project_runs_set_running(mine);
        WHEN 5 THEN
            name := 'set_succeeded';
            res := project_runs_set_succeeded(mine, jsonb_build_object('x', x), jsonb_build_object('by', 'worker'));
        WHEN 6 THEN
            name := 'set_failed';
            res := project_runs_set_failed(mine, 'CANCELLED', 'stopped', NULL, '{"cancelled": true}');
        WHEN 7 THEN
            name := 'update_metrics';
            res := project_runs_update_metrics(mine, jsonb_build_object('steps', jsonb_build_array(
                jsonb_build_object('name', 'progress', 'n', x))));
        WHEN 8 THEN
            name := 'worker';
            res := project_runs_set_running(mine);
            IF (res ->> 'ok')::boolean THEN
                res := project_runs_set_succeeded(mine, '{"done": true}');
            END IF;
        WHEN 9 THEN
            name := 'direct_update';
            UPDATE project_runs SET status = (ARRAY['queued', 'running', 'succeeded', 'failed'])[1 + x % 4]::project_run_status,
                   error_code = CASE WHEN x % 4 = 3 THEN 'DIRECT' END
            WHERE id = mine;
            GET DIAGNOSTICS n = ROW_COUNT;
            res := jsonb_build_object('ok', true, 'rows', n);
        WHEN 10 THEN
            name := 'direct_delete';
            DELETE FROM project_runs WHERE id = mine;
            GET DIAGNOSTICS n = ROW_COUNT;
            res := jsonb_build_object('ok', n = 0);
        WHEN 11 THEN
            name := 'foreign_write';
            res := CASE x % 4
                WHEN 0 THEN project_runs_set_running(theirs)
                WHEN 1 THEN project_runs_set_failed(theirs, 'X', 'x')
                WHEN 2 THEN project_runs_update_metrics(theirs, '{"x": 1}')
                ELSE project_runs_set_succeeded(theirs, '{"x": 1}') END;
            UPDATE project_runs SET status = 'failed', error_code = 'X' WHERE id = theirs;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n <> 0 THEN res := '{"ok": true, "leak": "update"}'; END IF;
        WHEN 12 THEN
            name := 'foreign_project';
            res := CASE x % 4
                WHEN 0 THEN project_runs_generate(other)
                WHEN 1 THEN project_runs_create(other, 1, 'v1')
                WHEN 2 THEN project_runs_latest(other)
                ELSE project_runs_list(other) END;
            SELECT count(*) INTO n FROM project_runs WHERE project_id = other;
            IF n <> 0 THEN res := '{"ok": true, "leak": "select"}'; END IF;
        ELSE
            name := 'read';
            res := CASE x % 3
                WHEN 0 THEN project_runs_latest(project)
                WHEN 1 THEN project_runs_list(project, 5)
                ELSE project_runs_dashboard() END;
        END CASE;
        INSERT INTO mix_log VALUES (name,
            CASE WHEN (res ->> 'ok')::boolean THEN 'ok' ELSE coalesce(res -> 'error' ->> 'code', 'no code') END,
            (name IN ('foreign_write', 'foreign_project') AND (res ->> 'ok')::boolean
                AND (res -> 'data') IS NOT NULL AND jsonb_typeof(res -> 'data') <> 'null')
            OR res ? 'leak' OR mix_foreign(u, res -> 'data'));
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
        INSERT INTO mix_log VALUES (coalesce(name, 'op ' || op), 'SQLSTATE ' || st);
    END;
END \$f\$;
SQL

cat >"$work/mix.sql" <<'EOF'
\set u random(0, 2)
\set op random(0, 13)
\set k random(0, 1)
\set x random(0, 1000000)
BEGIN;
SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', mix_claims(:u), true);
SELECT mix_op(:u, :op, :k, :x);
COMMIT;
EOF

# Half-way, a copy of the finished runs (they must never change).
( sleep "$((seconds / 2))"
  psql_db -d "$db" -c "CREATE TABLE mix_frozen AS SELECT * FROM project_runs WHERE status IN ('succeeded', 'failed')"
) &
copier=$!
pgbench -n -c 6 -j 3 -T "$seconds" -f "$work/mix.sql" "$db" >"$work/pgbench.out" 2>&1 || {
    cat "$work/pgbench.out" >&2
    fail "pgbench exited with an error"
}
wait "$copier" || fail "the half-way copy of the finished runs failed"
processed="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench.out")"
failed_tx="$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/pgbench.out")"
echo "pgbench: ${processed:-?} transactions, ${failed_tx:-?} failed, in ${seconds}s"
check_eq "failed pgbench transactions" "0" "${failed_tx:-0}"
check_eq "calls logged = transactions" "$processed" "$(psql_db -d "$db" -c "SELECT count(*) FROM mix_log")"

psql_db -d "$db" -c "SELECT op, outcome, count(*) FROM mix_log GROUP BY 1, 2 ORDER BY 1, 2" |
    sed 's/^/  /'

check_eq "unexpected outcomes" "" "$(psql_db -d "$db" -c "
    SELECT string_agg(DISTINCT op || ': ' || outcome, ', ') FROM mix_log
    WHERE outcome NOT IN ('ok', 'NOT_FOUND', 'PROJECT_NOT_FOUND', 'ILLEGAL_TRANSITION',
                          'IDEMPOTENCY_CONFLICT', 'STEP_FAILED', 'INPUT_NOT_FOUND')
      AND NOT (op = 'direct_update' AND outcome IN ('SQLSTATE PR001', 'SQLSTATE PR002', 'SQLSTATE PR005'))
      AND NOT (op = 'direct_delete' AND outcome = 'SQLSTATE 42501')")"
# The leak check sees a leak when there is one: user 0 given a run and a
# project of user 1, nested as the functions return them, and its own.
check_eq "the leak check on user 1's run, user 1's project, user 0's run" "t t f" "$(psql_db -d "$db" -c "
    SELECT concat_ws(' ',
        mix_foreign(0, jsonb_build_object('data', jsonb_build_array(jsonb_build_object('id',
            (SELECT id FROM project_runs WHERE project_id = mix_project(1, 0) LIMIT 1))))),
        mix_foreign(0, jsonb_build_object('x', jsonb_build_object('project_id', mix_project(1, 1)))),
        mix_foreign(0, jsonb_build_object('id',
            (SELECT id FROM project_runs WHERE project_id = mix_project(0, 0) LIMIT 1))))")"
check_eq "calls that saw, changed or created another user's data" "0" \
    "$(psql_db -d "$db" -c "SELECT count(*) FROM mix_log WHERE leak")"
check_eq "foreign calls answered ok" "0" "$(psql_db -d "$db" -c "
    SELECT count(*) FROM mix_log WHERE op IN ('foreign_write', 'foreign_project') AND outcome = 'ok'")"

ledger_invariants "$db"
check_eq "finished runs changed or gone since half-way" "0" "$(psql_db -d "$db" -c "
    SELECT count(*) FROM mix_frozen f LEFT JOIN project_runs r ON r.id = f.id
    WHERE r.id IS NULL OR to_jsonb(r) <> to_jsonb(f)")"
check_eq "flaky runs failed in collect_evidence keeping the step's writes or missing its SQLSTATE" "0" \
    "$(psql_db -d "$db" -c "
    SELECT count(*) FROM project_runs r WHERE r.pipeline_version LIKE 'flaky-%' AND r.error_code = 'STEP_FAILED'
      AND (r.error_detail ->> 'step' <> 'collect_evidence'
           OR r.error_detail ->> 'sqlstate' NOT IN ('P0001', '22012')
           OR r.metrics ? 'side'
           OR EXISTS (SELECT 1 FROM mix_side s WHERE s.run_id = r.id)
           OR NOT r.metrics -> 'steps' @> '[{\"name\": \"generate_opportunities\", \"status\": \"skipped\"}]')")"
check_eq "succeeded flaky runs without their step's row" "0" "$(psql_db -d "$db" -c "
    SELECT count(*) FROM project_runs r WHERE r.pipeline_version LIKE 'flaky-%' AND r.status = 'succeeded'
      AND (SELECT count(*) FROM mix_side s WHERE s.run_id = r.id) <> 1")"

# The test exercised what it claims to.
check_eq "kinds of call with an ok" \
    "create direct_update generate read set_failed set_running set_succeeded update_metrics worker" \
    "$(psql_db -d "$db" -c "SELECT string_agg(DISTINCT op, ' ') FROM mix_log WHERE outcome = 'ok'")"
check_eq "racy outcomes seen (STEP_FAILED, ILLEGAL_TRANSITION, NOT_FOUND, PROJECT_NOT_FOUND, a trigger's refusal)" "5" \
    "$(psql_db -d "$db" -c "
    SELECT count(DISTINCT CASE WHEN outcome LIKE 'SQLSTATE PR%' THEN 'trigger' ELSE outcome END) FROM mix_log
    WHERE outcome IN ('STEP_FAILED', 'ILLEGAL_TRANSITION', 'NOT_FOUND', 'PROJECT_NOT_FOUND') OR outcome LIKE 'SQLSTATE PR%'")"
psql_db -d "$db" -c "SELECT 'runs: ' || count(*) || ' (' || string_agg(DISTINCT status::text, ', ') || '), events: ' ||
    (SELECT count(*) FROM project_run_events) FROM project_runs"

if [ "$failures" -ne 0 ]; then
    echo "15_concurrent_mix: $failures failure(s)" >&2
    exit 1
fi
echo "15_concurrent_mix: ok"
