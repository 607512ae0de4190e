# Shared by the shell tests in test/sh (sourced, not run): failure counting
# and the setup of a Supabase-like project in a database.

failures=0

# psql for the tests: quiet, unaligned, stop at the first error.
psql_db() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# Users, projects and JWT claims of the Supabase-shaped tests (A owns two
# projects, B one).
user_a="aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
user_b="bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
proj_a1="a1a1a1a1-0000-4000-8000-000000000001"
proj_a2="a2a2a2a2-0000-4000-8000-000000000002"
proj_b1="b1b1b1b1-0000-4000-8000-000000000001"
claims_a="{\"sub\": \"$user_a\", \"role\": \"authenticated\"}"
claims_b="{\"sub\": \"$user_b\", \"role\": \"authenticated\"}"

# fail MESSAGE: records a failed assertion.
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# kill_all PID...: stops those of the background processes still running.
kill_all() {
    local p
    for p in "$@"; do kill "$p" 2>/dev/null || true; done
}

# check_eq WHAT EXPECTED GOT
check_eq() {
    if [ "$2" != "$3" ]; then fail "$1: expected '$2', got '$3'"; else echo "ok: $1 = $3"; fi
}

# sqlstate_of DB SQL [SESSION-SETUP]: runs SQL in DB (after SESSION-SETUP)
# and prints "SQLSTATE: message" of the error it raised, or "no error".
sqlstate_of() {
    { [ -n "${3:-}" ] && echo "$3;"; cat; } <<'SQL' | psql_db -d "$1" -v q="$2"
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE st text; m text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT;
    RETURN st || ': ' || m;
END
$f$;
SELECT pg_temp.sqlstate_of(:'q');
SQL
}

# expect_sqlstate DB CODE WHAT SQL [SESSION-SETUP]
expect_sqlstate() {
    local got
    got="$(sqlstate_of "$1" "$4" "${5:-}" 2>&1)" || true
    if [ "${got%%:*}" != "$2" ]; then
        fail "$1: $3: expected SQLSTATE $2, got '$got'"
    else
        echo "ok: $1: $3 -> $got"
    fi
}

# call_ok DB EXPR: prints data.id of a function's result, and records a
# failure when the call did not return ok.
call_ok() {
    local out
    out="$(psql_db -d "$1" -c "SELECT r->>'ok', r->'data'->>'id' FROM (SELECT $2 AS r) s")"
    if [ "${out%%|*}" != "true" ]; then
        fail "$1: $2 did not return ok: $(psql_db -d "$1" -c "SELECT $2")"
        echo "00000000-0000-0000-0000-000000000000"
        return 0
    fi
    echo "${out#*|}"
}

# runs_in_every_state DB PROJECT: makes, through the functions, runs of
# PROJECT (which needs a final input 1) in every state, and sets their ids:
# queued, running (with metrics), succeeded (output with escapes and
# non-ASCII text, metrics), failed_q (failed from queued, with detail and
# metrics), failed_r (failed from running), retry1 (failed) and retry2 (its
# attempt 2, queued), no_input (failed without an input version).
runs_in_every_state() {
    queued="$(call_ok "$1" "project_runs_create('$2', 1, 'v1', 'key-queued')")"
    running="$(call_ok "$1" "project_runs_create('$2', 1, 'v1', 'key-running')")"
    call_ok "$1" "project_runs_set_running('$running')" >/dev/null
    call_ok "$1" "project_runs_update_metrics('$running', '{\"progress\": 0.5, \"steps\": [{\"name\": \"a\", \"status\": \"running\"}]}')" >/dev/null
    succeeded="$(call_ok "$1" "project_runs_create('$2', 1, 'v1', 'key-succeeded')")"
    call_ok "$1" "project_runs_set_running('$succeeded')" >/dev/null
    call_ok "$1" "project_runs_set_succeeded('$succeeded', '{\"summary\": {\"n\": 3, \"text\": \"caf\u00e9 \\\\ \\\"q\\\"\"}}', '{\"duration_ms\": 12, \"steps\": [{\"name\": \"a\", \"status\": \"succeeded\"}]}')" >/dev/null
    failed_q="$(call_ok "$1" "project_runs_create('$2', 1, 'v1', 'key-failed-queued')")"
    call_ok "$1" "project_runs_set_failed('$failed_q', 'INVALID_INPUTS', 'input_json is empty', '{\"step\": \"validate_inputs\"}', '{\"steps\": [{\"name\": \"validate_inputs\", \"status\": \"failed\"}]}')" >/dev/null
    failed_r="$(call_ok "$1" "project_runs_create('$2', 1, 'v1', 'key-failed-running')")"
    call_ok "$1" "project_runs_set_running('$failed_r')" >/dev/null
    call_ok "$1" "project_runs_set_failed('$failed_r', 'STEP_FAILED', 'collect_evidence raised', '{\"step\": \"collect_evidence\", \"sqlstate\": \"P0001\"}')" >/dev/null
    retry1="$(call_ok "$1" "project_runs_create('$2', 1, 'v1', 'key-retry')")"
    call_ok "$1" "project_runs_set_failed('$retry1', 'STEP_FAILED', 'first attempt')" >/dev/null
    retry2="$(call_ok "$1" "project_runs_create('$2', 1, 'v1', 'key-retry')")"
    no_input="$(call_ok "$1" "project_runs_create('$2', NULL, 'v1')")"
    call_ok "$1" "project_runs_set_failed('$no_input', 'NO_INPUTS', 'the project has no final input')" >/dev/null
}

# app_tables SCHEMA: the DDL of the application's tables in SCHEMA, as the
# contract describes them.
app_tables() {
    cat <<SQL
CREATE TABLE $1.projects (id uuid PRIMARY KEY, user_id uuid NOT NULL, name text,
                          created_at timestamptz DEFAULT now());
CREATE TABLE $1.project_inputs (project_id uuid, version int, status text, input_json jsonb,
                                created_at timestamptz DEFAULT now());
SQL
}

# ledger_fingerprint DB: the count and md5 of every row of project_runs and
# of project_run_events, a line each.
ledger_fingerprint() {
    psql_db -d "$1" <<'SQL'
SELECT 'runs ' || count(*) || ' ' || md5(coalesce(string_agg(to_jsonb(r)::text, ',' ORDER BY r.id), ''))
FROM project_runs r;
SELECT 'events ' || count(*) || ' ' || md5(coalesce(string_agg(to_jsonb(e)::text, ',' ORDER BY to_jsonb(e)::text), ''))
FROM project_run_events e;
SQL
}

# ledger_invariants DB: asserts (check_eq) the ledger's invariants over every
# run of DB: columns that fit the status, an event log that is exactly the
# path to the status, no event without its run, attempts 1..n per
# idempotency key with every attempt but the last failed.
ledger_invariants() {
    check_eq "runs whose columns do not fit their status" "0" "$(psql_db -d "$1" -c "
        SELECT count(*) FROM project_runs WHERE NOT coalesce(
            (status = 'queued' AND started_at IS NULL AND finished_at IS NULL AND output IS NULL
                AND error_code IS NULL)
         OR (status = 'running' AND started_at >= created_at AND finished_at IS NULL AND output IS NULL
                AND error_code IS NULL AND input_version IS NOT NULL)
         OR (status = 'succeeded' AND started_at >= created_at AND finished_at >= started_at
                AND error_code IS NULL AND input_version IS NOT NULL)
         OR (status = 'failed' AND finished_at >= coalesce(started_at, created_at) AND error_code IS NOT NULL
                AND output IS NULL), false)")"
    check_eq "runs whose event log is not the path to their status" "0" "$(psql_db -d "$1" -c "
        SELECT count(*) FROM project_runs r WHERE
            (SELECT string_agg(coalesce(e.from_status::text, '') || '>' || e.to_status, ' ' ORDER BY e.at, e.to_status)
             FROM project_run_events e WHERE e.run_id = r.id) IS DISTINCT FROM
            CASE r.status WHEN 'queued' THEN '>queued'
                          WHEN 'running' THEN '>queued queued>running'
                          WHEN 'succeeded' THEN '>queued queued>running running>succeeded'
                          ELSE CASE WHEN r.started_at IS NULL THEN '>queued queued>failed'
                                    ELSE '>queued queued>running running>failed' END END")"
    check_eq "events without their run" "0" "$(psql_db -d "$1" -c "
        SELECT count(*) FROM project_run_events e WHERE NOT EXISTS (SELECT 1 FROM project_runs r WHERE r.id = e.run_id)")"
    check_eq "keys whose attempts break the rules" "0" "$(psql_db -d "$1" -c "
        SELECT count(*) FROM (SELECT idempotency_key FROM project_runs WHERE idempotency_key IS NOT NULL
            GROUP BY 1 HAVING min(attempt) <> 1 OR max(attempt) <> count(*)
                OR count(*) FILTER (WHERE status <> 'failed') > 1
                OR count(*) FILTER (WHERE status <> 'failed' AND attempt < (SELECT max(attempt) FROM project_runs x
                                    WHERE x.idempotency_key = project_runs.idempotency_key)) > 0) k")"
}

# drop_databases NAME...: drops the databases, ending their sessions; quiet,
# for a test's cleanup.
drop_databases() {
    local d
    for d in "$@"; do
        psql_db -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
    done
}

# ensure_supabase_roles SCRIPT: creates the roles anon, authenticated and
# service_role (cluster-wide) where missing and adds them to the caller's
# created_roles array, for drop_created_roles. Needs psql_db.
ensure_supabase_roles() {
    local r attrs
    for r in anon authenticated service_role; do
        if [ "$(psql_db -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = '$r'")" = "0" ]; then
            attrs="NOLOGIN NOINHERIT"
            [ "$r" = service_role ] && attrs="$attrs BYPASSRLS"
            if psql_db -d postgres -c "CREATE ROLE $r $attrs" 2>/dev/null; then
                created_roles+=("$r")
            elif [ "$(psql_db -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = '$r'")" = "0" ]; then
                echo "$1: could not create role $r" >&2
                exit 1
            fi
        fi
    done
}

# drop_created_roles SCRIPT: drops the roles ensure_supabase_roles created.
drop_created_roles() {
    local r
    for r in "${created_roles[@]}"; do
        psql_db -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 \
            || echo "$1: warning: could not drop role $r" >&2
    done
}

# result_or_sqlstate RC OUTPUT: OUTPUT when psql exited with RC 0, else
# "ERROR <SQLSTATE>" from its error message (VERBOSITY=sqlstate).
result_or_sqlstate() {
    if [ "$1" -ne 0 ]; then
        local state
        state="$(printf '%s\n' "$2" | grep -o 'ERROR: *[0-9A-Z]\{5\}' | head -n 1 | sed 's/ERROR: */ERROR /')"
        echo "${state:-ERROR (psql exit $1): $2}"
    else
        echo "$2"
    fi
}

# supabase_project_sql: the SQL of what a Supabase project has and a plain
# database lacks (default privileges for the API roles, auth.uid(), the
# application's tables with row-level security), then the extension. The
# roles anon, authenticated and service_role must exist.
supabase_project_sql() {
    cat <<'SQL'
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
CREATE SCHEMA auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
    SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$f$;
GRANT EXECUTE ON FUNCTION auth.uid() TO anon, authenticated, service_role;
CREATE TABLE projects (id uuid PRIMARY KEY, user_id uuid NOT NULL, name text,
                       created_at timestamptz DEFAULT now());
CREATE TABLE project_inputs (project_id uuid, version int, status text, input_json jsonb,
                             created_at timestamptz DEFAULT now());
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "users manage their own projects" ON projects FOR ALL TO authenticated
    USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE EXTENSION project_runs;
SQL
}
