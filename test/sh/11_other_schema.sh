#!/usr/bin/env bash
# Where the application's tables live.
#
#   A. CREATE EXTENSION succeeds before projects / project_inputs exist; the
#      calls then return error code CONFIG (a direct INSERT raises PR010);
#      once the tables are created (same session, and a new one) the calls
#      work; dropped again -> CONFIG again; re-created -> work again.
#   B. CREATE EXTENSION project_runs SCHEMA runs, the app tables in runs, and
#      a search_path without runs (public only, and empty): every
#      runs.project_runs_* call works, the triggers bind, and a decoy
#      public.projects is never consulted.
#   C. Extension in runs, app tables in schema app: CONFIG until
#      runs.project_runs_settings points at app.projects /
#      app.project_inputs; then the functions use them in the same session,
#      in a new session, and in a session that was already open when the
#      settings changed. A value that is not schema.table is refused, a
#      setting naming a missing table gives CONFIG, and an unprivileged role
#      cannot change the settings.
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

suffix="$$"
dbs=("os_a_$suffix" "os_b_$suffix" "os_c_$suffix")
role="os_user_$suffix"
P1="00000000-0000-4000-8000-0000000000e1"
P2="00000000-0000-4000-8000-0000000000e2"
USER_ID="00000000-0000-4000-8000-0000000000aa"

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    drop_databases "${dbs[@]}"
    psql_db -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# q DB SQL...: the output of the statements (errors are captured, not fatal).
q() {
    local db="$1"
    shift
    psql_db -d "$db" "$@" 2>&1 || true
}

# st DB SQL [SESSION-SETUP]: the SQLSTATE SQL raises in DB, or "no error".
st() {
    { [ -n "${3:-}" ] && echo "$3;"; cat <<'SQL'; } | psql_db -d "$1" -v q="$2" 2>&1 || true
CREATE FUNCTION pg_temp.st(q text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $f$;
SELECT pg_temp.st(:'q');
SQL
}

for d in "${dbs[@]}"; do psql_db -d postgres -c "CREATE DATABASE $d"; done

# --------------------------------------------------------------------------
# A. The extension before the application's tables.
# --------------------------------------------------------------------------
A="${dbs[0]}"
echo "== A: CREATE EXTENSION before projects / project_inputs exist ($A)"
check_eq "A: CREATE EXTENSION without the app tables" "" \
    "$(q "$A" -c "CREATE EXTENSION project_runs")"
check_eq "A: project_runs_create -> CONFIG" "false|CONFIG" \
    "$(q "$A" -c "SELECT r->>'ok' || '|' || (r->'error'->>'code') FROM project_runs_create('$P1', 1, 'v1', 'k') r")"
check_eq "A: project_runs_latest -> CONFIG" "CONFIG" \
    "$(q "$A" -c "SELECT project_runs_latest('$P1')->'error'->>'code'")"
check_eq "A: project_runs_list -> CONFIG" "CONFIG" \
    "$(q "$A" -c "SELECT project_runs_list('$P1')->'error'->>'code'")"
check_eq "A: CONFIG maps to HTTP 500" "500" \
    "$(q "$A" -c "SELECT project_runs_http_status(project_runs_create('$P1', 1, 'v1')->'error'->>'code')")"
# Functions of the contract that may not be installed yet are checked when present.
for f in "project_runs_generate('$P1')" "project_runs_dashboard()"; do
    name="${f%%(*}"
    if [ "$(q "$A" -c "SELECT count(*) FROM pg_proc WHERE proname = '$name'")" != "0" ]; then
        check_eq "A: $name -> CONFIG" "CONFIG" "$(q "$A" -c "SELECT $f->'error'->>'code'")"
    else
        echo "skip: $name is not installed"
    fi
done
check_eq "A: a direct INSERT without the projects table -> PR010" "PR010" \
    "$(st "$A" "INSERT INTO project_runs (project_id, input_version, pipeline_version) VALUES ('$P1', 1, 'v1')")"
check_eq "A: no run was written" "0|0" \
    "$(q "$A" -c "SELECT (SELECT count(*) FROM project_runs) || '|' || (SELECT count(*) FROM project_run_events)")"

# The same session: CONFIG, then the tables appear, then the call works.
check_eq "A: same session, CONFIG then the tables appear then created" "CONFIG
true|true" \
    "$(q "$A" <<SQL
SELECT project_runs_create('$P1', 1, 'v1', 'a-1')->'error'->>'code';
$(app_tables public)
INSERT INTO projects (id, user_id, name) VALUES ('$P1', '$USER_ID', 'a');
SELECT (r->>'ok') || '|' || (r->>'created') FROM project_runs_create('$P1', 1, 'v1', 'a-1') r;
SQL
)"
check_eq "A: new session: the run is there (created false)" "true|false|queued" \
    "$(q "$A" -c "SELECT (r->>'ok') || '|' || (r->>'created') || '|' || (r->'data'->>'status') FROM project_runs_create('$P1', 1, 'v1', 'a-1') r")"
check_eq "A: new session: latest, list, set_running" "true|1|running" \
    "$(q "$A" -c "SELECT (project_runs_latest('$P1')->>'ok') || '|' || jsonb_array_length(project_runs_list('$P1')->'data') || '|' || (project_runs_set_running((project_runs_latest('$P1')->'data'->>'id')::uuid)->'data'->>'status')")"
# Dropped and re-created in one session: CONFIG in between, no stale plan.
check_eq "A: drop -> CONFIG, re-create -> works, in one session" "true|true
CONFIG
CONFIG
true|true
true|1" \
    "$(q "$A" <<SQL
SELECT (r->>'ok') || '|' || (r->>'created') FROM project_runs_create('$P1', 1, 'v1', 'a-2') r;
DROP TABLE projects, project_inputs;
SELECT project_runs_create('$P1', 1, 'v1', 'a-3')->'error'->>'code';
SELECT project_runs_latest('$P1')->'error'->>'code';
$(app_tables public)
INSERT INTO projects (id, user_id, name) VALUES ('$P1', '$USER_ID', 'a again');
SELECT (r->>'ok') || '|' || (r->>'created') FROM project_runs_create('$P1', 1, 'v1', 'a-3') r;
SELECT (r->>'ok') || '|' || (r->'data'->>'attempt') FROM project_runs_latest('$P1') r;
SQL
)"

# --------------------------------------------------------------------------
# B. The extension and the app tables in schema runs, not on the search_path.
# --------------------------------------------------------------------------
B="${dbs[1]}"
echo "== B: CREATE EXTENSION project_runs SCHEMA runs ($B)"
check_eq "B: CREATE EXTENSION ... SCHEMA runs" "" \
    "$(q "$B" -c "CREATE SCHEMA runs" -c "CREATE EXTENSION project_runs SCHEMA runs")"
check_eq "B: the ledger's objects are in runs, none in public" "runs|0" \
    "$(q "$B" -c "SELECT (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'project_runs') || '|' || (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace)")"
q "$B" >/dev/null <<SQL
$(app_tables runs)
INSERT INTO runs.projects (id, user_id, name) VALUES ('$P1', '$USER_ID', 'in runs');
INSERT INTO runs.project_inputs (project_id, version, status, input_json)
    VALUES ('$P1', 1, 'final', '{"topic": "schemas"}');
-- A decoy in public that must never be consulted.
$(app_tables public)
INSERT INTO public.projects (id, user_id, name) VALUES ('$P2', '$USER_ID', 'decoy');
SQL

i=0
for sp in "public" "''" "pg_catalog"; do
    i=$((i + 1))
    out="$(q "$B" <<SQL
SET search_path = $sp;
SELECT runs.project_runs_create('$P1', 1, 'v1', 'b-$i')->>'ok';
SELECT runs.project_runs_create('$P1', 1, 'v1', 'b-$i')->>'created';
SELECT runs.project_runs_create('$P2', 1, 'v1')->'error'->>'code';
SELECT runs.project_runs_set_running((runs.project_runs_get_by_idempotency_key('b-$i')->'data'->>'id')::uuid)->'data'->>'status';
SELECT runs.project_runs_update_metrics((runs.project_runs_get_by_idempotency_key('b-$i')->'data'->>'id')::uuid, '{"steps": [{"name": "a", "status": "running"}]}')->>'ok';
SELECT runs.project_runs_set_succeeded((runs.project_runs_get_by_idempotency_key('b-$i')->'data'->>'id')::uuid, '{"summary": {}}', '{"steps": [{"name": "a", "status": "succeeded"}]}')->'data'->'metrics'->'steps'->0->>'status';
SELECT runs.project_runs_latest('$P1')->'data'->>'status';
SELECT (jsonb_array_length(runs.project_runs_list('$P1', 1000)->'data') > 0)::text;
SELECT runs.project_runs_set_failed((runs.project_runs_create('$P1', 1, 'v1')->'data'->>'id')::uuid, 'E', 'failed on purpose')->'data'->>'status';
SELECT runs.project_runs_latest('$P2')->'error'->>'code';
SQL
)"
    check_eq "B: search_path = $sp: every call works on runs.projects" \
        "true
false
PROJECT_NOT_FOUND
running
true
succeeded
succeeded
true
failed
PROJECT_NOT_FOUND" "$out"
done

check_eq "B: the triggers bind in schema runs (search_path = public)" "PR002|PR006|PR005|PR007" \
    "$(q "$B" <<'SQL'
CREATE FUNCTION pg_temp.st(q text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $f$;
SET search_path = public;
SELECT pg_temp.st($$UPDATE runs.project_runs SET metrics = '{}' WHERE status = 'succeeded'$$) || '|' ||
       pg_temp.st($$DELETE FROM runs.project_runs$$) || '|' ||
       pg_temp.st($$INSERT INTO runs.project_runs (project_id, input_version, pipeline_version, status)
                    VALUES ('00000000-0000-4000-8000-0000000000e1', 1, 'v1', 'succeeded')$$) || '|' ||
       pg_temp.st($$TRUNCATE runs.project_runs CASCADE$$);
SQL
)"
check_eq "B: a direct INSERT with search_path = public uses runs.projects" "queued|PR008" \
    "$(q "$B" <<'SQL'
CREATE FUNCTION pg_temp.st(q text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $f$;
SET search_path = public;
WITH r AS (INSERT INTO runs.project_runs (project_id, input_version, pipeline_version)
           VALUES ('00000000-0000-4000-8000-0000000000e1', 1, 'v1') RETURNING status)
SELECT status || '|' ||
       pg_temp.st($$INSERT INTO runs.project_runs (project_id, input_version, pipeline_version)
                    VALUES ('00000000-0000-4000-8000-0000000000e2', 1, 'v1')$$) FROM r;
SQL
)"
check_eq "B: every run has its insert event" "0" \
    "$(q "$B" -c "SELECT count(*) FROM runs.project_runs r WHERE NOT EXISTS (SELECT 1 FROM runs.project_run_events e WHERE e.run_id = r.id AND e.from_status IS NULL AND e.to_status = 'queued')")"

# --------------------------------------------------------------------------
# C. Extension in runs, app tables in app, settings point at them.
# --------------------------------------------------------------------------
C="${dbs[2]}"
echo "== C: app tables in schema app, named in runs.project_runs_settings ($C)"
q "$C" >/dev/null <<SQL
CREATE SCHEMA runs;
CREATE EXTENSION project_runs SCHEMA runs;
CREATE SCHEMA app;
$(app_tables app)
INSERT INTO app.projects (id, user_id, name) VALUES ('$P1', '$USER_ID', 'in app');
INSERT INTO app.project_inputs (project_id, version, status, input_json)
    VALUES ('$P1', 1, 'final', '{"topic": "settings"}');
SQL
check_eq "C: before the settings: CONFIG (runs.projects does not exist)" "CONFIG" \
    "$(q "$C" -c "SELECT runs.project_runs_create('$P1', 1, 'v1', 'c-0')->'error'->>'code'")"
check_eq "C: a value that is not schema.table is refused (22023)" "22023" \
    "$(st "$C" "INSERT INTO runs.project_runs_settings VALUES ('projects_table', 'projects')")"
check_eq "C: an unknown setting name is refused (23514)" "23514" \
    "$(st "$C" "INSERT INTO runs.project_runs_settings VALUES ('runs_table', 'app.projects')")"

# Session S stays open across the change made by another session (\!).
check_eq "C: same session: CONFIG, settings inserted, then created" "CONFIG
true|true
true|1" \
    "$(q "$C" <<SQL
SET search_path = public;
SELECT runs.project_runs_create('$P1', 1, 'v1', 'c-1')->'error'->>'code';
INSERT INTO runs.project_runs_settings VALUES ('projects_table', 'app.projects'),
                                              ('project_inputs_table', 'app.project_inputs');
SELECT (r->>'ok') || '|' || (r->>'created') FROM runs.project_runs_create('$P1', 1, 'v1', 'c-1') r;
SELECT (r->>'ok') || '|' || jsonb_array_length(r->'data') FROM runs.project_runs_list('$P1') r;
SQL
)"
check_eq "C: new session: the settings hold" "true|false|true|running" \
    "$(q "$C" -c "SET search_path = public" -c "SELECT (r->>'ok') || '|' || (r->>'created') || '|' || (runs.project_runs_latest('$P1')->>'ok') || '|' || (runs.project_runs_set_running((r->'data'->>'id')::uuid)->'data'->>'status') FROM runs.project_runs_create('$P1', 1, 'v1', 'c-1') r")"
check_eq "C: a direct INSERT uses app.projects too" "queued" \
    "$(q "$C" -c "SET search_path = public" -c "INSERT INTO runs.project_runs (project_id, input_version, pipeline_version) VALUES ('$P1', 1, 'v1') RETURNING status")"

# An open session sees a change made by another session.
check_eq "C: an open session follows settings changed by another session" "true
CONFIG
true" \
    "$(q "$C" <<SQL
SET search_path = public;
SELECT runs.project_runs_latest('$P1')->>'ok';
\\! psql -X -q -v ON_ERROR_STOP=1 -d $C -c "UPDATE runs.project_runs_settings SET value = 'app.no_such_table' WHERE name = 'projects_table'"
SELECT runs.project_runs_latest('$P1')->'error'->>'code';
\\! psql -X -q -v ON_ERROR_STOP=1 -d $C -c "UPDATE runs.project_runs_settings SET value = 'app.projects' WHERE name = 'projects_table'"
SELECT runs.project_runs_latest('$P1')->>'ok';
SQL
)"
check_eq "C: settings deleted -> back to runs.projects -> CONFIG (same session)" "CONFIG" \
    "$(q "$C" -c "DELETE FROM runs.project_runs_settings" -c "SELECT runs.project_runs_latest('$P1')->'error'->>'code'")"
check_eq "C: settings deleted -> CONFIG (new session)" "CONFIG" \
    "$(q "$C" -c "SELECT runs.project_runs_create('$P1', 1, 'v1', 'c-1')->'error'->>'code'")"
q "$C" >/dev/null -c "INSERT INTO runs.project_runs_settings VALUES ('projects_table', 'app.projects'), ('project_inputs_table', 'app.project_inputs')"

# An unprivileged role cannot redirect the ownership check.
psql_db -d postgres -c "CREATE ROLE $role LOGIN"
q "$C" >/dev/null -c "GRANT USAGE ON SCHEMA runs, app TO $role"
for stmt in "INSERT INTO runs.project_runs_settings VALUES ('project_inputs_table', 'public.x')" \
            "UPDATE runs.project_runs_settings SET value = 'public.x'" \
            "DELETE FROM runs.project_runs_settings" \
            "TRUNCATE runs.project_runs_settings"; do
    check_eq "C: an unprivileged role cannot: $stmt (42501)" "42501" \
        "$(st "$C" "$stmt" "SET ROLE $role")"
done
check_eq "C: the settings are unchanged" "project_inputs_table=app.project_inputs,projects_table=app.projects" \
    "$(q "$C" -c "SELECT string_agg(name || '=' || value, ',' ORDER BY name) FROM runs.project_runs_settings")"

if [ "$failures" -ne 0 ]; then
    echo "11_other_schema: $failures assertion(s) failed" >&2
    exit 1
fi
echo "11_other_schema: all assertions passed"
