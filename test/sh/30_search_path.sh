#!/usr/bin/env bash
# Hostile sessions that pgTAP cannot stage: the FIRST call of a fresh session.
#
# supabase/tests/database/04_hardening.test.sql covers a hostile search_path,
# look-alike tables and the reserved project_runs.* settings, but inside one
# session in which the extension's library is already loaded and its catalog
# (schema, tables, projects table, prepared plans) already read. Here every
# scenario is a new connection whose first statement is the first call of the
# extension, so the library is loaded and the catalog read under the hostile
# conditions:
#   1. search_path = evil, pg_catalog, public (and evil, pg_catalog without
#      public), where evil has look-alike projects / project_inputs /
#      project_runs tables, to_jsonb, jsonb_build_object, now, clock_timestamp
#      and = operators for uuid and text: list, latest, get_by_idempotency_key,
#      dashboard, create and generate answer exactly as usual for user A, and B
#      still gets PROJECT_NOT_FOUND / NOT_FOUND for A's project and runs;
#   2. project_runs.projects_table / project_inputs_table set before the
#      library is loaded (SET in the session, or -c in PGOPTIONS at connection
#      start, which any client may do): the placeholder is dropped when the
#      library loads and changes nothing; after that, SET fails (42602);
#   3. temporary tables named projects / project_runs (pg_temp comes first for
#      tables in every search_path) created by B before the first call:
#      nothing of A's becomes visible to B.
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

suffix="$$"
db="sp_$suffix"
created_roles=()
stderr_file="$(mktemp)"

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    drop_databases "$db"
    drop_created_roles 30_search_path
    rm -f "$stderr_file"
}
trap cleanup EXIT

# fresh_session ROLE CLAIMS SEARCH_PATH PRELUDE SQL: a new connection (extra
# libpq options in $PGOPTIONS) that replays PostgREST's request statement
# with the given role and claims, sets the search_path, runs PRELUDE (which
# must not call the extension) and then SQL, all in one transaction that is
# rolled back. Prints SQL's result, or "ERROR <SQLSTATE>"; stderr (warnings)
# goes to $stderr_file. ROLE "-" keeps the superuser (no claims).
fresh_session() {
    local request out rc=0
    if [ "$1" = "-" ]; then
        request="select set_config('search_path', '$3', true) \\g /dev/null"
    else
        request="select set_config('search_path', 'public', true), set_config('role', '$1', true), set_config('request.jwt.claims', '$2', true), set_config('request.method', 'POST', true) \\g /dev/null
SET LOCAL search_path = $3;"
    fi
    out="$(psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate -d "$db" 2>"$stderr_file" <<SQL
BEGIN;
$request
$4
$5;
ROLLBACK;
SQL
)" || rc=$?
    if [ "$rc" -ne 0 ]; then out="$(cat "$stderr_file")"; fi
    result_or_sqlstate "$rc" "$out"
}

# --------------------------------------------------------------------------
# Setup: Supabase-like roles, privileges, auth.uid(), tables, the extension,
# runs for A and B, and the hostile schema evil.
# --------------------------------------------------------------------------
ensure_supabase_roles 30_search_path

psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d "$db" <<SQL
$(supabase_project_sql)
INSERT INTO projects (id, user_id, name, created_at) VALUES
    ('$proj_a1', '$user_a', 'A1', '2025-01-01'),
    ('$proj_a2', '$user_a', 'A2', '2025-02-01'),
    ('$proj_b1', '$user_b', 'B1', '2025-03-01');
INSERT INTO project_inputs (project_id, version, status, input_json) VALUES
    ('$proj_a1', 1, 'final', '{"topic": "alpha"}'),
    ('$proj_b1', 1, 'final', '{"topic": "beta"}');

-- The hostile schema, readable and usable by everyone.
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
CREATE TABLE evil.projects (id uuid, user_id uuid, name text, created_at timestamptz);
INSERT INTO evil.projects
SELECT p.id, u.id, 'EVIL', '2099-01-01'
FROM (VALUES ('$proj_a1'::uuid), ('$proj_a2'), ('$proj_b1'), ('eeeeeeee-0000-4000-8000-00000000000e')) p(id)
CROSS JOIN (VALUES ('$user_a'::uuid), ('$user_b')) u(id);
CREATE TABLE evil.project_inputs (project_id uuid, version int, status text, input_json jsonb, created_at timestamptz);
INSERT INTO evil.project_inputs VALUES ('$proj_a1', 99, 'final', '{}', now());
CREATE TABLE evil.project_runs (LIKE public.project_runs INCLUDING DEFAULTS);
INSERT INTO evil.project_runs (id, project_id, pipeline_version, status, created_at)
VALUES ('eeeeeeee-0000-7000-8000-00000000000e', '$proj_a1', 'evil', 'succeeded', '2099-01-01');
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA evil TO PUBLIC;
CREATE FUNCTION evil.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS \$\$ SELECT '{"evil": true}'::jsonb \$\$;
CREATE FUNCTION evil.jsonb_build_object(VARIADIC text[]) RETURNS jsonb LANGUAGE sql AS \$\$ SELECT '{"evil": true}'::jsonb \$\$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS \$\$ SELECT '2000-01-01'::timestamptz \$\$;
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS \$\$ SELECT '2000-01-01'::timestamptz \$\$;
CREATE FUNCTION evil.always(uuid, uuid) RETURNS boolean LANGUAGE sql AS \$\$ SELECT true \$\$;
CREATE OPERATOR evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = evil.always);
-- Every two idempotency keys ('key-...') equal, honest otherwise (so that the
-- application's auth.uid(), whose nullif() uses "=", keeps working).
CREATE FUNCTION evil.keys_equal(text, text) RETURNS boolean LANGUAGE sql SET search_path = pg_catalog AS
    \$\$ SELECT \$1 = \$2 OR (starts_with(\$1, 'key-') AND starts_with(\$2, 'key-')) \$\$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.keys_equal);
SQL

a_queued="$(psql_db -d "$db" -c "SELECT project_runs_create('$proj_a1', 1, 'v1', 'key-a-queued')->'data'->>'id'")"
a_succeeded="$(psql_db -d "$db" -c "SELECT project_runs_create('$proj_a1', 1, 'v2', 'key-a-succeeded')->'data'->>'id'")"
psql_db -d "$db" -c "SELECT project_runs_set_running('$a_succeeded')" >/dev/null
psql_db -d "$db" -c "SELECT project_runs_set_succeeded('$a_succeeded', '{\"n\": 1}')" >/dev/null
b_queued="$(psql_db -d "$db" -c "SELECT project_runs_create('$proj_b1', 1, 'v1', 'key-b')->'data'->>'id'")"
for id in "$a_queued" "$a_succeeded" "$b_queued"; do
    if ! [[ "$id" =~ ^[0-9a-f-]{36}$ ]]; then
        echo "30_search_path: could not create the fixture runs (got '$id')" >&2
        exit 1
    fi
done
run_columns="$(psql_db -d "$db" -c "SELECT string_agg(attname, ',' ORDER BY attname) FROM pg_attribute WHERE attrelid = 'public.project_runs'::regclass AND attnum > 0 AND NOT attisdropped")"

# What user A gets from one statement: list(A1) ids, latest(A1), the key
# lookup, the dashboard, the runs visible through the table, list(B1).
a_view="SELECT concat_ws(' | ',
    (SELECT string_agg(r->>'id', ',' ORDER BY n) FROM jsonb_array_elements(public.project_runs_list('$proj_a1')->'data') WITH ORDINALITY t(r, n)),
    public.project_runs_latest('$proj_a1')->'data'->>'id',
    public.project_runs_get_by_idempotency_key('key-a-queued')->'data'->>'id',
    (SELECT string_agg(d->>'name', ',' ORDER BY n) FROM jsonb_array_elements(public.project_runs_dashboard()->'data') WITH ORDINALITY t(d, n)),
    (SELECT count(*) FROM public.project_runs),
    public.project_runs_list('$proj_b1')->'error'->>'code',
    public.project_runs_get_by_idempotency_key('key-b')->'error'->>'code')"
a_expected="$a_succeeded,$a_queued | $a_succeeded | $a_queued | A2,A1 | 2 | PROJECT_NOT_FOUND | NOT_FOUND"
# What user A gets from create and generate (keys of the run, created,
# project, created_at after 2020, generate's status and input version).
a_write="SELECT concat_ws(' | ',
    (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(c->'data') k),
    c->>'created', c->'data'->>'project_id', (c->'data'->>'created_at')::timestamptz > '2020-01-01',
    g->'data'->>'status', g->'data'->>'input_version')
FROM (SELECT public.project_runs_create('$proj_a1', 1, 'v-fresh', 'key-fresh') c,
             public.project_runs_generate('$proj_a1') g) s"
a_write_expected="$run_columns | true | $proj_a1 | t | succeeded | 1"
# What user B gets: A's project, run and key; B's dashboard; the table.
b_view="SELECT concat_ws(' | ',
    public.project_runs_list('$proj_a1')->'error'->>'code',
    public.project_runs_set_running('$a_queued')->'error'->>'code',
    public.project_runs_get_by_idempotency_key('key-a-queued')->'error'->>'code',
    public.project_runs_create('$proj_a1', 1, 'v-b')->'error'->>'code',
    (SELECT string_agg(d->>'name', ',') FROM jsonb_array_elements(public.project_runs_dashboard()->'data') d),
    (SELECT string_agg(id::text, ',') FROM public.project_runs))"
b_expected="PROJECT_NOT_FOUND | NOT_FOUND | NOT_FOUND | PROJECT_NOT_FOUND | B1 | $b_queued"

# --------------------------------------------------------------------------
# 1. A hostile search_path from the first call on.
# --------------------------------------------------------------------------
check_eq "(check) evil's objects win for unqualified names with evil, pg_catalog, public" "t | t | {\"evil\": true} | 2000" \
    "$(fresh_session authenticated "$claims_a" "evil, pg_catalog, public" "" \
        "SELECT concat_ws(' | ', 'key-x' = 'key-y', '$proj_a1'::uuid = '$proj_b1'::uuid, to_jsonb(1), extract(year FROM now()))")"
check_eq "fresh session, A, search_path evil, public" "$a_expected" \
    "$(fresh_session authenticated "$claims_a" "evil, public" "" "$a_view")"
check_eq "fresh session, A, search_path evil, pg_catalog, public" "$a_expected" \
    "$(fresh_session authenticated "$claims_a" "evil, pg_catalog, public" "" "$a_view")"
check_eq "fresh session, A, search_path evil, pg_catalog (no public)" "$a_expected" \
    "$(fresh_session authenticated "$claims_a" "evil, pg_catalog" "" "$a_view")"
check_eq "fresh session, A, search_path evil, pg_catalog, public: create and generate" "$a_write_expected" \
    "$(fresh_session authenticated "$claims_a" "evil, pg_catalog, public" "" "$a_write")"
check_eq "fresh session, B, search_path evil, pg_catalog, public" "$b_expected" \
    "$(fresh_session authenticated "$claims_b" "evil, pg_catalog, public" "" "$b_view")"
check_eq "fresh session, SQL editor, search_path evil, pg_catalog, public: dashboard and latest(A1)" "B1,A2,A1 | $a_succeeded" \
    "$(fresh_session - "" "evil, pg_catalog, public" "" "SELECT concat_ws(' | ', (SELECT string_agg(d->>'name', ',' ORDER BY n) FROM jsonb_array_elements(public.project_runs_dashboard()->'data') WITH ORDINALITY t(d, n)), public.project_runs_latest('$proj_a1')->'data'->>'id')")"

# --------------------------------------------------------------------------
# 2. project_runs.* settings made before the library is loaded.
# --------------------------------------------------------------------------
redirect="SET project_runs.projects_table = 'evil.projects';
SET project_runs.project_inputs_table = 'evil.project_inputs';"
check_eq "(check) before the library is loaded the settings are accepted" "evil.projects | evil.project_inputs" \
    "$(fresh_session authenticated "$claims_b" "public" "$redirect" \
        "SELECT concat_ws(' | ', current_setting('project_runs.projects_table', true), current_setting('project_runs.project_inputs_table', true))")"
check_eq "fresh session, B, SET project_runs.projects_table before the first call: nothing changes" "$b_expected" \
    "$(fresh_session authenticated "$claims_b" "public" "$redirect" "$b_view")"
check_eq "fresh session, A, SET project_runs.*_table before the first call: nothing changes" "$a_expected" \
    "$(fresh_session authenticated "$claims_a" "public" "$redirect" "$a_view")"
check_eq "fresh session, A, SET project_runs.*_table before the first call: generate uses the real input" "$a_write_expected" \
    "$(fresh_session authenticated "$claims_a" "public" "$redirect" "$a_write")"
check_eq "fresh session, B, PGOPTIONS -c project_runs.projects_table: nothing changes" "$b_expected" \
    "$(PGOPTIONS="-c project_runs.projects_table=evil.projects -c project_runs.project_inputs_table=evil.project_inputs" \
        fresh_session authenticated "$claims_b" "public" "" "$b_view")"
check_eq "fresh session, A, PGOPTIONS -c project_runs.*_table: generate uses the real input" "$a_write_expected" \
    "$(PGOPTIONS="-c project_runs.projects_table=evil.projects -c project_runs.project_inputs_table=evil.project_inputs" \
        fresh_session authenticated "$claims_a" "public" "" "$a_write")"
check_eq "once the library is loaded, SET project_runs.projects_table fails (42602)" "ERROR 42602" \
    "$(fresh_session authenticated "$claims_b" "public" "SELECT public.project_runs_current_user_id() \\g /dev/null" \
        "SET project_runs.projects_table = 'evil.projects'")"

# --------------------------------------------------------------------------
# 3. Temporary look-alike tables created before the first call.
# --------------------------------------------------------------------------
temp_tables="CREATE TEMP TABLE projects (id uuid, user_id uuid, name text, created_at timestamptz);
INSERT INTO pg_temp.projects VALUES ('$proj_a1', '$user_b', 'stolen', now()), ('$proj_b1', '$user_b', 'B1', now());
CREATE TEMP TABLE project_inputs (project_id uuid, version int, status text, input_json jsonb, created_at timestamptz);
CREATE TEMP TABLE project_runs (LIKE evil.project_runs);
INSERT INTO pg_temp.project_runs SELECT * FROM evil.project_runs;"
check_eq "fresh session, B, temp tables projects / project_runs before the first call" "$b_expected" \
    "$(fresh_session authenticated "$claims_b" "public" "$temp_tables" "$b_view")"
check_eq "fresh session, B, temp tables and search_path evil, pg_catalog, public" "$b_expected" \
    "$(fresh_session authenticated "$claims_b" "evil, pg_catalog, public" "$temp_tables" "$b_view")"

if [ "$failures" -ne 0 ]; then
    echo "30_search_path: $failures assertion(s) failed" >&2
    exit 1
fi
echo "30_search_path: all assertions passed"
