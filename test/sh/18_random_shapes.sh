#!/usr/bin/env bash
# The application's tables in random shapes: SHAPES_ROUNDS rounds (default
# 1,000) from a fixed seed (SHAPES_SEED, default 0.17) in one session. Each
# round makes projects and project_inputs anew, as a table, a view or a
# materialized view, each column of one of several types or missing
# (ids uuid, a domain over uuid, text or bigint; versions integer, smallint,
# bigint or text; input_json jsonb, json or text; created_at timestamptz,
# timestamp, date or text; status text, varchar or an enum; name text,
# varchar, integer or jsonb), with one project and one final input, a row of
# the same user without an id and an input row of nulls, and calls every
# function that reads them, each in a subtransaction, as the superuser and
# (the dashboard, generate) as the user under row-level security.
# Asserted afterwards:
#   - the session survived every call (a crash would end it);
#   - every call answered what the README's rules say of its shape: CONFIG
#     exactly where a column it reads is missing or of a type it cannot read
#     (the dashboard: also projects.name and projects.created_at), else ok
#     (generate: a run that succeeded; the dashboard: the one project, the
#     row without an id left out); a direct INSERT raises PR010 exactly
#     where projects' id or user_id is missing or not a uuid; the policies'
#     project list is the user's project, or empty;
#   - no error was raised by a function, and no code is INTERNAL;
#   - the rounds met both accepted and refused shapes of every column;
#   - the ledger's invariants over every run that was left.
# Runs inside scripts/test.sh's throw-away cluster (PG* variables are set).
set -euo pipefail

db="shapes_$$"
rounds="${SHAPES_ROUNDS:-1000}"
seed="${SHAPES_SEED:-0.17}"
created_roles=()

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cleanup() {
    drop_databases "$db"
    drop_created_roles 18_random_shapes
}
trap cleanup EXIT

ensure_supabase_roles 18_random_shapes
psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d "$db" <<'SQL'
CREATE EXTENSION project_runs;
-- authenticated reads every table made from here on (as Supabase's
-- default privileges give it), and works on runs under row-level security.
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO authenticated;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO authenticated;
GRANT SELECT, INSERT, UPDATE ON project_runs TO authenticated;
CREATE SCHEMA shape;
CREATE TYPE shape_state AS ENUM ('draft', 'final');
CREATE DOMAIN shape_key AS uuid;
INSERT INTO project_runs_settings VALUES ('projects_table', 'shape.projects'),
                                         ('project_inputs_table', 'shape.project_inputs');

-- One row per call: the round, its shape, the call, what it answered
-- (ok, error:<code>, value:<text> or raised:<SQLSTATE>) and what the
-- rules say it should answer.
CREATE TABLE shape_log (round int, shape text, call text, outcome text, expected text);
-- The type each column got, per round ('-': missing), for the coverage check.
CREATE TABLE shape_columns (round int, col text, type text, accepted bool);

CREATE FUNCTION pick(choices text[]) RETURNS text LANGUAGE sql AS
    'SELECT choices[1 + floor(random() * cardinality(choices))::int]';

-- Makes shape.<name> as KIND from columns (name, type or '-'), with a row
-- of literals and a row of others (NULL: a null).
CREATE FUNCTION make_relation(name text, kind text, cols text[], types text[], literals text[],
                              others text[])
RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
    defs text[] := '{}';
    names text[] := '{}';
    vals text[] := '{}';
    vals2 text[] := '{}';
BEGIN
    FOR i IN 1..cardinality(cols) LOOP
        CONTINUE WHEN types[i] = '-';
        defs := defs || (cols[i] || ' ' || types[i]);
        names := names || cols[i];
        vals := vals || (quote_literal(literals[i]) || '::' || types[i]);
        vals2 := vals2 || coalesce(quote_literal(others[i]) || '::' || types[i], 'NULL');
    END LOOP;
    EXECUTE format('CREATE TABLE shape.%I (%s)', name || '_rows', array_to_string(defs, ', '));
    IF cardinality(names) = 0 THEN
        EXECUTE format('INSERT INTO shape.%I DEFAULT VALUES', name || '_rows');
    ELSE
        EXECUTE format('INSERT INTO shape.%I (%s) VALUES (%s), (%s)', name || '_rows',
                       array_to_string(names, ', '), array_to_string(vals, ', '),
                       array_to_string(vals2, ', '));
    END IF;
    IF kind = 'table' THEN
        EXECUTE format('ALTER TABLE shape.%I RENAME TO %I', name || '_rows', name);
    ELSE
        EXECUTE format('CREATE %s shape.%I AS SELECT * FROM shape.%I', kind, name, name || '_rows');
    END IF;
END $f$;

-- A procedure: each round commits (its dropped tables' locks go with it).
CREATE PROCEDURE shapes(rounds int, seed float8) LANGUAGE plpgsql AS $f$
DECLARE
    p uuid;
    u uuid;
    kinds text[] := ARRAY['table', 'table', 'VIEW', 'MATERIALIZED VIEW'];
    t_id text; t_user text; t_name text; t_pcreated text;
    t_pid text; t_version text; t_status text; t_json text; t_icreated text;
    projects_ok bool; dashboard_ok bool; inputs_ok bool;
    shape text;
    calls text[];
    expects text[];
    res jsonb;
    val text;
    outcome text;
BEGIN
    PERFORM setseed(seed);
    FOR r IN 1..rounds LOOP
        p := md5('project ' || r)::uuid;
        u := md5('user ' || r)::uuid;
        t_id := pick(ARRAY['uuid', 'uuid', 'uuid', 'uuid', 'shape_key', 'text', 'bigint', '-']);
        t_user := pick(ARRAY['uuid', 'uuid', 'uuid', 'uuid', 'shape_key', 'text', '-']);
        t_name := pick(ARRAY['text', 'text', 'text', 'varchar(20)', 'integer', 'jsonb', '-']);
        t_pcreated := pick(ARRAY['timestamptz', 'timestamptz', 'timestamptz', 'timestamp', 'date', 'text', '-']);
        t_pid := pick(ARRAY['uuid', 'uuid', 'uuid', 'uuid', 'shape_key', 'text', '-']);
        t_version := pick(ARRAY['integer', 'integer', 'integer', 'integer', 'smallint', 'bigint', 'text', '-']);
        t_status := pick(ARRAY['text', 'text', 'text', 'varchar(10)', 'shape_state', '-']);
        t_json := pick(ARRAY['jsonb', 'jsonb', 'jsonb', 'jsonb', 'json', 'text', '-']);
        t_icreated := pick(ARRAY['timestamptz', 'timestamptz', 'timestamptz', 'timestamp', 'date', 'text', '-']);
        -- The README's rules.
        projects_ok := t_id IN ('uuid', 'shape_key') AND t_user IN ('uuid', 'shape_key');
        dashboard_ok := projects_ok AND t_name <> '-' AND t_pcreated IN ('timestamptz', 'timestamp', 'date');
        inputs_ok := t_pid IN ('uuid', 'shape_key') AND t_version IN ('integer', 'smallint')
                     AND t_status <> '-' AND t_json = 'jsonb'
                     AND t_icreated IN ('timestamptz', 'timestamp', 'date', '-');
        INSERT INTO shape_columns VALUES
            (r, 'projects.id', t_id, t_id IN ('uuid', 'shape_key')),
            (r, 'projects.user_id', t_user, t_user IN ('uuid', 'shape_key')),
            (r, 'projects.name', t_name, t_name <> '-'),
            (r, 'projects.created_at', t_pcreated, t_pcreated IN ('timestamptz', 'timestamp', 'date')),
            (r, 'project_inputs.project_id', t_pid, t_pid IN ('uuid', 'shape_key')),
            (r, 'project_inputs.version', t_version, t_version IN ('integer', 'smallint')),
            (r, 'project_inputs.status', t_status, t_status <> '-'),
            (r, 'project_inputs.input_json', t_json, t_json = 'jsonb'),
            (r, 'project_inputs.created_at', t_icreated, t_icreated IN ('timestamptz', 'timestamp', 'date', '-'));
        DROP SCHEMA shape CASCADE;
        CREATE SCHEMA shape;
        PERFORM make_relation('projects', pick(kinds), ARRAY['id', 'user_id', 'name', 'created_at'],
                              ARRAY[t_id, t_user, t_name, t_pcreated],
                              ARRAY[CASE t_id WHEN 'bigint' THEN '1' ELSE p::text END, u::text,
                                    CASE t_name WHEN 'integer' THEN '7' WHEN 'jsonb' THEN '"shape"' ELSE 'shape' END,
                                    '2025-01-01'],
                              -- a row of the same user without an id: no project
                              ARRAY[NULL, u::text, NULL, NULL]);
        PERFORM make_relation('project_inputs', pick(kinds),
                              ARRAY['project_id', 'version', 'status', 'input_json', 'created_at'],
                              ARRAY[t_pid, t_version, t_status, t_json, t_icreated],
                              ARRAY[p::text, '1', 'final', '{"q": 1}', '2025-01-01'],
                              ARRAY[p::text, NULL, NULL, NULL, NULL]);
        shape := format('projects(id %s, user_id %s, name %s, created_at %s) '
                        'project_inputs(project_id %s, version %s, status %s, input_json %s, created_at %s)',
                        t_id, t_user, t_name, t_pcreated, t_pid, t_version, t_status, t_json, t_icreated);
        calls := ARRAY[
            format('project_runs_generate(%L)', p),
            format('project_runs_generate(%L, 1, %L)', p, 'requested.v1'),
            format('project_runs_create(%L, 1, %L)', p, 'created.v1'),
            format('project_runs_latest(%L)', p),
            format('project_runs_list(%L)', p),
            'project_runs_dashboard()',
            format('project_runs_dashboard() /* as authenticated, sub %s */', u),
            format('project_runs_generate(%L) /* as authenticated, sub %s */', p, u),
            format('INSERT INTO project_runs (project_id, pipeline_version) VALUES (%L, %L)', p, 'direct.v1'),
            format('project_runs_visible_project_ids() /* sub %s */', u)];
        expects := ARRAY[
            CASE WHEN projects_ok AND inputs_ok THEN 'ok' ELSE 'error:CONFIG' END,
            CASE WHEN projects_ok AND inputs_ok THEN 'ok' ELSE 'error:CONFIG' END,
            CASE WHEN projects_ok THEN 'ok' ELSE 'error:CONFIG' END,
            CASE WHEN projects_ok THEN 'ok' ELSE 'error:CONFIG' END,
            CASE WHEN projects_ok THEN 'ok' ELSE 'error:CONFIG' END,
            CASE WHEN dashboard_ok THEN 'ok' ELSE 'error:CONFIG' END,
            CASE WHEN dashboard_ok THEN 'ok' ELSE 'error:CONFIG' END,
            CASE WHEN projects_ok AND inputs_ok THEN 'ok' ELSE 'error:CONFIG' END,
            CASE WHEN projects_ok THEN 'inserted' ELSE 'raised:PR010' END,
            CASE WHEN projects_ok THEN 'value:{' || p || '}' ELSE 'value:{}' END];
        FOR c IN 1..cardinality(calls) LOOP
            BEGIN
                IF calls[c] LIKE 'INSERT%' THEN
                    EXECUTE calls[c];
                    outcome := 'inserted';
                ELSIF calls[c] LIKE 'project_runs_visible_project_ids%' THEN
                    PERFORM set_config('request.jwt.claim.sub', u::text, true);
                    EXECUTE 'SELECT ' || calls[c] INTO val;
                    PERFORM set_config('request.jwt.claim.sub', '', true);
                    outcome := 'value:' || val;
                ELSIF calls[c] LIKE '%as authenticated%' THEN
                    PERFORM set_config('role', 'authenticated', true),
                            set_config('request.jwt.claim.sub', u::text, true);
                    EXECUTE 'SELECT ' || calls[c] INTO res;
                    PERFORM set_config('role', 'none', true), set_config('request.jwt.claim.sub', '', true);
                ELSE
                    EXECUTE 'SELECT ' || calls[c] INTO res;
                END IF;
                IF calls[c] NOT LIKE 'INSERT%' AND calls[c] NOT LIKE 'project_runs_visible_project_ids%' THEN
                    outcome := CASE
                        WHEN (res ->> 'ok')::bool AND calls[c] LIKE 'project_runs_generate%'
                             AND res -> 'data' ->> 'status' <> 'succeeded'
                            THEN 'ok but ' || (res -> 'data' ->> 'status')
                        WHEN (res ->> 'ok')::bool AND calls[c] LIKE 'project_runs_dashboard%'
                             AND jsonb_array_length(res -> 'data') <> 1
                            THEN 'ok but ' || jsonb_array_length(res -> 'data') || ' projects'
                        WHEN (res ->> 'ok')::bool THEN 'ok'
                        WHEN res -> 'error' ->> 'code' IS NOT NULL THEN 'error:' || (res -> 'error' ->> 'code')
                        ELSE 'not a result: ' || left(res::text, 200) END;
                END IF;
            EXCEPTION WHEN OTHERS THEN
                outcome := 'raised:' || SQLSTATE;
                IF SQLSTATE <> 'PR010' THEN outcome := outcome || ' ' || left(SQLERRM, 160); END IF;
            END;
            INSERT INTO shape_log VALUES (r, shape, calls[c], outcome, expects[c]);
        END LOOP;
        COMMIT;
    END LOOP;
END $f$;
SQL

t0="$(date +%s.%N)"
PGOPTIONS="-c client_min_messages=warning" psql_db -d "$db" -c "CALL shapes($rounds, $seed)" >/dev/null
echo "$rounds rounds in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
psql_db -d "$db" -F ' ' -c "
    SELECT CASE WHEN call LIKE 'INSERT%' THEN 'INSERT' ELSE split_part(call, '(', 1) END,
           regexp_replace(outcome, '[0-9a-f-]{36}', 'its-project'), count(*)
    FROM shape_log GROUP BY 1, 2 ORDER BY 1, 2" | cut -c1-120 | column -t

check_eq "calls logged" "$((rounds * 10))" "$(psql_db -d "$db" -c "SELECT count(*) FROM shape_log")"
check_eq "answers other than the rules say (first 3)" "" "$(psql_db -d "$db" -c "
    SELECT string_agg(x, E'\n') FROM (
        SELECT format('round %s: %s: got %s, expected %s; %s', round, call, outcome, expected, shape) AS x
        FROM shape_log WHERE outcome IS DISTINCT FROM expected ORDER BY round LIMIT 3) s")"
check_eq "column types met both accepted and refused" "" "$(psql_db -d "$db" -c "
    SELECT string_agg(col, ', ') FROM (SELECT col FROM shape_columns GROUP BY col
                                       HAVING count(DISTINCT accepted) < 2) s")"
check_eq "rounds where every call worked" "t" "$(psql_db -d "$db" -c "
    SELECT count(*) > 0 FROM (SELECT round FROM shape_log GROUP BY round
                              HAVING bool_and(outcome NOT LIKE 'error:%' AND outcome NOT LIKE 'raised:%')) s")"
check_eq "objects of failed frames still alive" "0" \
    "$(psql_db -d "$db" -c "SELECT project_runs_debug_state() ->> 'live_fault_sentinels'")"
ledger_invariants "$db"

exit $((failures > 0))
