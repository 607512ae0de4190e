#!/usr/bin/env bash
# Dump and restore keep the ledger lossless, and the rules still bind after.
#
# A source database gets the application's tables, the extension, a
# project, and runs in every state: queued, running (with metrics),
# succeeded (output + metrics), failed from queued and from running (error
# code, message, detail), a failed first attempt with its retry (attempt 2),
# and a failed run with no input version; plus a project_runs_settings row,
# and three registered pipeline steps, one of whose function is then dropped.
# Then, for each way of moving a database:
#   custom  pg_dump -Fc | pg_restore          (into a fresh database)
#   jobs    pg_dump -Fc | pg_restore -j 4     (parallel restore)
#   plain   pg_dump -Fp | psql -v ON_ERROR_STOP=1
# it asserts that the restore exits 0 with no error on stderr, that
# project_runs, project_run_events and project_runs_settings hold identical
# rows (md5 of every row as jsonb), and that in the restored database:
#   UPDATE of a succeeded run -> PR002, of a failed run -> PR002,
#   DELETE of a run -> PR006, INSERT of a 'succeeded' run -> PR005,
#   INSERT of a queued run with its own id -> PR004,
#   TRUNCATE project_runs / project_run_events -> PR007,
#   a direct INSERT into project_run_events -> PR009, queued->succeeded
#   -> PR001; in a restore session (row_security = off): UPDATE -> PR002,
#   DELETE -> PR006, TRUNCATE -> PR007, an inconsistent complete row -> PR005;
#   project_runs_create with a restored key returns the restored run
#   (created false; for the retried key: its attempt 2), a key held only by
#   a failed run gets attempt 2, a run for an unknown project is refused,
#   project_runs_create / set_running / set_succeeded work on new and
#   restored runs and append exactly the expected events; the registry
#   holds the two live steps, and not the one whose function was dropped
#   (whose OID means nothing there; restoring it failed the registry's COPY).
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

suffix="$$"
src="dr_src_$suffix"
targets=("dr_custom_$suffix" "dr_jobs_$suffix" "dr_plain_$suffix")
work="$(mktemp -d)"
project="00000000-0000-4000-8000-0000000000d1"

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    drop_databases "$src" "${targets[@]}"
    rm -rf "$work"
}
trap cleanup EXIT

# --------------------------------------------------------------------------
# The source database.
# --------------------------------------------------------------------------
psql_db -d postgres -c "CREATE DATABASE $src"
psql_db -d "$src" <<SQL
$(app_tables public)
CREATE EXTENSION project_runs;
INSERT INTO project_runs_settings VALUES ('projects_table', 'public.projects');
INSERT INTO projects (id, user_id, name)
    VALUES ('$project', '00000000-0000-4000-8000-0000000000aa', 'dump me');
INSERT INTO project_inputs (project_id, version, status, input_json)
    VALUES ('$project', 1, 'final', '{"topic": "restore"}');
CREATE SCHEMA steps;
CREATE FUNCTION steps.collect(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
    LANGUAGE sql AS \$\$ SELECT '{"evidence": []}'::jsonb \$\$;
CREATE FUNCTION steps.gone(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
    LANGUAGE sql AS \$\$ SELECT '{}'::jsonb \$\$;
INSERT INTO project_runs_pipeline_steps VALUES
    ('v2', 'collect_evidence', 'steps.collect(uuid,jsonb,jsonb)'),
    ('v2', 'generate_opportunities', 'steps.gone(uuid,jsonb,jsonb)'),
    ('v3', 'validate_inputs', 'steps.collect(uuid,jsonb,jsonb)');
DROP FUNCTION steps.gone(uuid, jsonb, jsonb);
SQL

runs_in_every_state "$src" "$project"

check_eq "source: runs by status" "failed:4 queued:2 running:1 succeeded:1" \
    "$(psql_db -d "$src" -c "SELECT string_agg(status || ':' || n, ' ' ORDER BY status::text) FROM (SELECT status, count(*) n FROM project_runs GROUP BY status) s")"
check_eq "source: retry has attempt 2" "2" \
    "$(psql_db -d "$src" -c "SELECT attempt FROM project_runs WHERE id = '$retry2'")"
check_eq "source: events" "16" "$(psql_db -d "$src" -c "SELECT count(*) FROM project_run_events")"
registry_sql="SELECT string_agg(pipeline_version || ' ' || step || ' ' || function::text, ', ' ORDER BY pipeline_version, step) FROM project_runs_pipeline_steps"
check_eq "source: registered steps, one of a dropped function" \
    "v2 collect_evidence steps.collect(uuid,jsonb,jsonb), v2 generate_opportunities OID, v3 validate_inputs steps.collect(uuid,jsonb,jsonb)" \
    "$(psql_db -d "$src" -c "$registry_sql" | sed 's/generate_opportunities [0-9]*/generate_opportunities OID/')"

# fingerprint DB: md5 of every row of the ledger's tables, one per table.
fingerprint() {
    ledger_fingerprint "$1"
    psql_db -d "$1" <<'SQL'
SELECT 'settings ' || count(*) || ' ' || md5(coalesce(string_agg(to_jsonb(s)::text, ',' ORDER BY s.name), ''))
FROM project_runs_settings s;
SELECT 'projects ' || count(*) FROM projects;
SQL
}
src_print="$(fingerprint "$src")"
echo "source fingerprint:"; echo "$src_print"

# --------------------------------------------------------------------------
# Dump, and restore three ways.
# --------------------------------------------------------------------------
if ! pg_dump -Fc -f "$work/src.dump" "$src" 2>"$work/dump.err"; then
    fail "pg_dump -Fc failed: $(cat "$work/dump.err")"
fi
if ! pg_dump -Fp -f "$work/src.sql" "$src" 2>"$work/dump_plain.err"; then
    fail "pg_dump -Fp failed: $(cat "$work/dump_plain.err")"
fi

restore() {  # restore KIND DB
    local kind="$1" db="$2" rc=0
    psql_db -d postgres -c "CREATE DATABASE $db"
    case "$kind" in
        custom) pg_restore -d "$db" "$work/src.dump" >"$work/$db.out" 2>"$work/$db.err" || rc=$? ;;
        jobs) pg_restore -j 4 -d "$db" "$work/src.dump" >"$work/$db.out" 2>"$work/$db.err" || rc=$? ;;
        plain) psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$work/src.sql" >"$work/$db.out" 2>"$work/$db.err" || rc=$? ;;
    esac
    if [ "$rc" -ne 0 ] || grep -qi "error" "$work/$db.err"; then
        fail "$kind restore into $db: exit $rc, stderr:"
        sed 's/^/    /' "$work/$db.err" >&2
        return 1
    fi
    echo "ok: $kind restore into $db exited 0 with a clean stderr"
}

# assert_rules DB: the triggers bind in the restored database, and the
# functions keep working on the restored rows.
assert_rules() {
    local db="$1" before after id
    check_eq "$db: fingerprint equals the source's" "$src_print" "$(fingerprint "$db")"
    check_eq "$db: ENABLE ALWAYS triggers restored" "9" \
        "$(psql_db -d "$db" -c "SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('project_runs'::regclass, 'project_run_events'::regclass, 'project_runs_settings'::regclass) AND NOT tgisinternal AND tgenabled = 'A'")"

    expect_sqlstate "$db" PR002 "UPDATE of a succeeded run" \
        "UPDATE project_runs SET status = 'running' WHERE id = '$succeeded'"
    expect_sqlstate "$db" PR002 "UPDATE of a succeeded run's output" \
        "UPDATE project_runs SET output = '{}' WHERE id = '$succeeded'"
    expect_sqlstate "$db" PR002 "UPDATE of a failed run" \
        "UPDATE project_runs SET error_message = 'rewritten' WHERE id = '$failed_r'"
    expect_sqlstate "$db" PR006 "DELETE of a run" \
        "DELETE FROM project_runs WHERE id = '$queued'"
    expect_sqlstate "$db" PR005 "INSERT of a succeeded run" \
        "INSERT INTO project_runs (project_id, input_version, pipeline_version, status, output) VALUES ('$project', 1, 'v1', 'succeeded', '{}')"
    expect_sqlstate "$db" PR004 "INSERT of a queued run with its own id" \
        "INSERT INTO project_runs (id, project_id, input_version, pipeline_version) VALUES (gen_random_uuid(), '$project', 1, 'v1')"
    expect_sqlstate "$db" PR007 "TRUNCATE project_runs" "TRUNCATE project_runs CASCADE"
    expect_sqlstate "$db" PR007 "TRUNCATE project_run_events" "TRUNCATE project_run_events"
    expect_sqlstate "$db" PR009 "direct INSERT into project_run_events" \
        "INSERT INTO project_run_events (run_id, project_id, from_status, to_status, at) VALUES ('$queued', '$project', 'queued', 'running', now())"
    expect_sqlstate "$db" PR001 "queued -> succeeded" \
        "UPDATE project_runs SET status = 'succeeded', output = '{}' WHERE id = '$queued'"

    # A restore session (row_security = off, superuser) may insert complete
    # rows, but it may not change, delete or truncate, nor insert a row
    # that is not internally consistent.
    local rs="SET row_security = off"
    expect_sqlstate "$db" PR002 "restore session: UPDATE of a succeeded run" \
        "UPDATE project_runs SET status = 'running' WHERE id = '$succeeded'" "$rs"
    expect_sqlstate "$db" PR006 "restore session: DELETE of a run" \
        "DELETE FROM project_runs WHERE id = '$failed_q'" "$rs"
    expect_sqlstate "$db" PR007 "restore session: TRUNCATE project_runs" \
        "TRUNCATE project_runs CASCADE" "$rs"
    expect_sqlstate "$db" PR007 "restore session: TRUNCATE project_run_events" \
        "TRUNCATE project_run_events" "$rs"
    expect_sqlstate "$db" PR005 "restore session: INSERT of a succeeded run with an error_code" \
        "INSERT INTO project_runs (id, project_id, input_version, pipeline_version, status, created_at, started_at, finished_at, output, error_code) VALUES (gen_random_uuid(), '$project', 1, 'v1', 'succeeded', now(), now(), now(), '{}', 'E')" "$rs"
    expect_sqlstate "$db" PR005 "restore session: INSERT of a running run without started_at" \
        "INSERT INTO project_runs (id, project_id, input_version, pipeline_version, status, created_at) VALUES (gen_random_uuid(), '$project', 1, 'v1', 'running', now())" "$rs"
    expect_sqlstate "$db" PR005 "restore session: INSERT of a run finished before it was created" \
        "INSERT INTO project_runs (id, project_id, input_version, pipeline_version, status, created_at, finished_at, error_code, error_message) VALUES (gen_random_uuid(), '$project', 1, 'v1', 'failed', now(), now() - interval '1 hour', 'E', 'm')" "$rs"
    check_eq "$db: nothing changed by the refused statements" "$src_print" "$(fingerprint "$db")"

    # Idempotency keys survive: the restored run is returned, not duplicated.
    check_eq "$db: create with a restored key returns that run" "false|$queued" \
        "$(psql_db -d "$db" -c "SELECT r->>'created' || '|' || (r->'data'->>'id') FROM project_runs_create('$project', 1, 'v1', 'key-queued') r")"
    check_eq "$db: create with the retried key returns attempt 2" "false|$retry2|2" \
        "$(psql_db -d "$db" -c "SELECT r->>'created' || '|' || (r->'data'->>'id') || '|' || (r->'data'->>'attempt') FROM project_runs_create('$project', 1, 'v1', 'key-retry') r")"
    check_eq "$db: a key held by a failed run gets attempt 2" "true|2" \
        "$(psql_db -d "$db" -c "SELECT r->>'created' || '|' || (r->'data'->>'attempt') FROM project_runs_create('$project', 1, 'v1', 'key-failed-queued') r")"

    # The functions still work and the trigger still appends events.
    before="$(psql_db -d "$db" -c "SELECT count(*) FROM project_run_events")"
    id="$(call_ok "$db" "project_runs_create('$project', 1, 'v2', 'after-restore')")"
    check_eq "$db: set_running of a new run" "running" \
        "$(psql_db -d "$db" -c "SELECT project_runs_set_running('$id')->'data'->>'status'")"
    check_eq "$db: set_running of a restored queued run" "running" \
        "$(psql_db -d "$db" -c "SELECT project_runs_set_running('$queued')->'data'->>'status'")"
    check_eq "$db: set_succeeded of the restored running run" "succeeded" \
        "$(psql_db -d "$db" -c "SELECT project_runs_set_succeeded('$running', '{\"done\": true}')->'data'->>'status'")"
    after="$(psql_db -d "$db" -c "SELECT count(*) FROM project_run_events")"
    # +1 insert (key-failed-queued attempt 2), +2 (new run: insert, running),
    # +1 (restored queued -> running), +1 (restored running -> succeeded).
    check_eq "$db: events appended after the restore" "$((before + 4))" "$after"
    check_eq "$db: events of the new run" "null>queued,queued>running" \
        "$(psql_db -d "$db" -c "SELECT string_agg(coalesce(from_status::text, 'null') || '>' || to_status, ',' ORDER BY at, to_status) FROM project_run_events WHERE run_id = '$id'")"
    check_eq "$db: the set_running result refuses a second start on a succeeded run" "ILLEGAL_TRANSITION" \
        "$(psql_db -d "$db" -c "SELECT project_runs_set_running('$succeeded')->'error'->>'code'")"
    check_eq "$db: the registry's live steps, not the one of a dropped function" \
        "v2 collect_evidence steps.collect(uuid,jsonb,jsonb), v3 validate_inputs steps.collect(uuid,jsonb,jsonb)" \
        "$(psql_db -d "$db" -c "$registry_sql")"
    check_eq "$db: the restored settings are in force" "public.projects" \
        "$(psql_db -d "$db" -c "SELECT value FROM project_runs_settings WHERE name = 'projects_table'")"
    check_eq "$db: a run for an unknown project is refused (PROJECT_NOT_FOUND)" "PROJECT_NOT_FOUND" \
        "$(psql_db -d "$db" -c "SELECT project_runs_create('00000000-0000-4000-8000-0000000000ff', 1, 'v1')->'error'->>'code'")"
}

restore custom "${targets[0]}" && assert_rules "${targets[0]}"
restore jobs "${targets[1]}" && assert_rules "${targets[1]}"
restore plain "${targets[2]}" && assert_rules "${targets[2]}"

# The source is untouched by all this.
check_eq "source fingerprint unchanged" "$src_print" "$(fingerprint "$src")"

if [ "$failures" -ne 0 ]; then
    echo "10_dump_restore: $failures assertion(s) failed" >&2
    exit 1
fi
echo "10_dump_restore: all assertions passed"
