-- 04_hardening: a hostile search_path, look-alike tables and reserved settings change nothing; an unprivileged session cannot redirect the ownership check.
--
-- Layout of `supabase test db` (pg_prove): one transaction, rolled back at the
-- end, so nothing is left behind. The file first builds what a Supabase project
-- has (the API roles, the default privileges, auth.uid(), the application's
-- tables with RLS), where a plain PostgreSQL database lacks it, then creates
-- the extension and fixtures for two users, A and B. Callers are replayed as
-- PostgREST does it (pg_temp.request in ../supabase_project.psql). Needs pg_prove/psql (\gset)
-- and pgTAP reachable with search_path = public, where CREATE EXTENSION pgtap
-- puts it on a plain database.
BEGIN;
\ir ../supabase_project.psql

-- ---------------------------------------------------------------------------
-- A hostile schema: look-alike tables that say every project belongs to
-- everyone, and functions and operators that shadow the built-ins the
-- extension uses (once pg_catalog comes after evil in the search_path).
-- ---------------------------------------------------------------------------
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
CREATE TABLE evil.projects (id uuid, user_id uuid, name text, created_at timestamptz);
INSERT INTO evil.projects
SELECT p.id, u.id, 'EVIL ' || p.name, '2099-01-01'
FROM (VALUES ('a1a1a1a1-0000-4000-8000-000000000001'::uuid, 'A1'), ('a2a2a2a2-0000-4000-8000-000000000002', 'A2'),
             ('b1b1b1b1-0000-4000-8000-000000000001', 'B1'), ('eeeeeeee-0000-4000-8000-00000000000e', 'E')) p(id, name)
CROSS JOIN (VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'::uuid), ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb')) u(id);
CREATE TABLE evil.project_inputs (project_id uuid, version int, status text, input_json jsonb, created_at timestamptz);
INSERT INTO evil.project_inputs VALUES ('a1a1a1a1-0000-4000-8000-000000000001', 99, 'final', '{}', now());
CREATE TABLE evil.project_runs (LIKE public.project_runs INCLUDING DEFAULTS);
INSERT INTO evil.project_runs (id, project_id, pipeline_version, status, created_at, metrics)
VALUES ('eeeeeeee-0000-7000-8000-00000000000e', 'a1a1a1a1-0000-4000-8000-000000000001', 'evil', 'succeeded', '2099-01-01', '{}');
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA evil TO PUBLIC;
CREATE FUNCTION evil.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"evil": true}'::jsonb $$;
CREATE FUNCTION evil.jsonb_build_object(VARIADIC text[]) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"evil": true}'::jsonb $$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
CREATE FUNCTION evil.always(uuid, uuid) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE FUNCTION evil.never(uuid, uuid) RETURNS boolean LANGUAGE sql AS $$ SELECT false $$;
CREATE OPERATOR evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = evil.always);
CREATE OPERATOR evil.<> (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = evil.never);
-- Text equality that makes every two idempotency keys ('key-...') equal, and
-- is honest otherwise: the application's own auth.uid() (like Supabase's, an
-- SQL function without a pinned search_path; its nullif() uses "=") keeps
-- working, so what is tested here is the extension's own SQL.
CREATE FUNCTION evil.keys_equal(text, text) RETURNS boolean LANGUAGE sql SET search_path = pg_catalog AS
    $$ SELECT $1 = $2 OR (starts_with($1, 'key-') AND starts_with($2, 'key-')) $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.keys_equal);
-- A text equality that is always true breaks the application's auth.uid()
-- (nullif(x, '') is then always null): the caller becomes no user at all.
CREATE SCHEMA evil_text;
GRANT USAGE ON SCHEMA evil_text TO PUBLIC;
CREATE FUNCTION evil_text.always(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil_text.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil_text.always);
-- Look-alikes of the API itself: PostgREST calls "public"."project_runs_list"(...),
-- schema-qualified, so these are never reached through it.
CREATE FUNCTION evil.project_runs_list(project_id uuid, max_rows integer DEFAULT 50, before timestamptz DEFAULT NULL)
    RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"evil": true}'::jsonb $$;

-- Everything the hostile calls return is captured first (\gset) and compared
-- afterwards with the normal search_path, so that the shadowing operators
-- cannot touch the comparisons themselves.

SELECT plan(54);

-- ---------------------------------------------------------------------------
-- User A with search_path = evil, public (pg_catalog implicitly first).
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "authenticated"}');
SET LOCAL search_path = evil, public;
SELECT public.project_runs_list('a1a1a1a1-0000-4000-8000-000000000001') AS h1_list_a1,
       public.project_runs_list('b1b1b1b1-0000-4000-8000-000000000001') AS h1_list_b1,
       public.project_runs_latest('a1a1a1a1-0000-4000-8000-000000000001') AS h1_latest_a1,
       public.project_runs_get_by_idempotency_key('key-a-queued') AS h1_key,
       public.project_runs_dashboard() AS h1_dashboard,
       (SELECT count(*) FROM public.project_runs) AS h1_count \gset
SELECT public.project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v-evil-1', 'key-evil-1') AS h1_create \gset
SELECT public.project_runs_create('b1b1b1b1-0000-4000-8000-000000000001', 1, 'v-evil-1') AS h1_create_b1 \gset
SELECT public.project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001') AS h1_generate \gset

-- ---------------------------------------------------------------------------
-- User A with search_path = evil, pg_catalog, public: evil's operators and
-- functions now win over the built-ins for every unqualified name.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "authenticated"}');
SET LOCAL search_path = evil, pg_catalog, public;
SELECT public.project_runs_list('a1a1a1a1-0000-4000-8000-000000000001') AS h2_list_a1,
       public.project_runs_list('b1b1b1b1-0000-4000-8000-000000000001') AS h2_list_b1,
       public.project_runs_latest('a1a1a1a1-0000-4000-8000-000000000001') AS h2_latest_a1,
       public.project_runs_get_by_idempotency_key('key-a-queued') AS h2_key,
       public.project_runs_get_by_idempotency_key('key-b') AS h2_key_b,
       public.project_runs_dashboard() AS h2_dashboard,
       (SELECT count(*) FROM public.project_runs) AS h2_count,
       (SELECT count(*) FROM public.project_run_events) AS h2_events,
       -- the hostile objects are in force for unqualified names:
       'key-x' = 'key-y' AS h2_keys_equal,
       'a1a1a1a1-0000-4000-8000-000000000001'::uuid = 'b1b1b1b1-0000-4000-8000-000000000001'::uuid AS h2_uuids_equal,
       to_jsonb(1) AS h2_to_jsonb,
       now() AS h2_now \gset
SELECT public.project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v-evil-2', 'key-evil-2') AS h2_create \gset
SELECT public.project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v-other', 'key-evil-1') AS h2_conflict \gset
SELECT public.project_runs_set_running(:'b_queued') AS h2_running_b \gset
SELECT public.project_runs_set_running(((:'h2_create'::jsonb)->'data'->>'id')::uuid) AS h2_running \gset
SELECT public.project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001', 1, 'p-evil') AS h2_generate \gset

-- ---------------------------------------------------------------------------
-- User A with search_path = evil_text, evil, pg_catalog, public: the
-- application's auth.uid() now returns null, so its projects policy hides
-- every project; A may see less, but never anything of B's.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "authenticated"}');
SET LOCAL search_path = evil_text, evil, pg_catalog, public;
SELECT public.project_runs_list('b1b1b1b1-0000-4000-8000-000000000001') AS h3_list_b1,
       public.project_runs_get_by_idempotency_key('key-b') AS h3_key_b,
       public.project_runs_dashboard() AS h3_dashboard,
       (SELECT count(*) FROM public.project_runs WHERE project_id OPERATOR(pg_catalog.<>) 'a1a1a1a1-0000-4000-8000-000000000001') AS h3_count_other,
       public.project_runs_set_running(:'b_queued') AS h3_running_b \gset

-- ---------------------------------------------------------------------------
-- A temporary table named projects (pg_temp comes first in every search_path
-- for tables, and any role may create one): B claims A1.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "role": "authenticated"}');
CREATE TEMP TABLE projects (id uuid, user_id uuid, name text, created_at timestamptz);
CREATE TEMP TABLE project_runs (LIKE evil.project_runs);
INSERT INTO pg_temp.projects VALUES ('a1a1a1a1-0000-4000-8000-000000000001', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'stolen', now());
SELECT public.project_runs_list('a1a1a1a1-0000-4000-8000-000000000001') AS t_list_a1,
       public.project_runs_dashboard() AS t_dashboard,
       public.project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v-temp') AS t_create,
       public.project_runs_set_running(:'a_queued') AS t_running \gset
DROP TABLE pg_temp.projects, pg_temp.project_runs;

-- ---------------------------------------------------------------------------
-- service_role and the SQL editor with the hostile search_path.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('service_role', '{"role": "service_role"}');
SET LOCAL search_path = evil, pg_catalog, public;
SELECT public.project_runs_dashboard() AS s_dashboard,
       public.project_runs_list('b1b1b1b1-0000-4000-8000-000000000001') AS s_list_b1 \gset
SELECT pg_temp.sql_editor();
SET LOCAL search_path = evil, pg_catalog, public;
SELECT public.project_runs_dashboard() AS e_dashboard,
       public.project_runs_latest('a1a1a1a1-0000-4000-8000-000000000001') AS e_latest_a1 \gset

-- ---------------------------------------------------------------------------
-- The comparisons, with the ordinary search_path.
-- ---------------------------------------------------------------------------
SELECT pg_temp.sql_editor();
-- The ids of a list result, in order.
CREATE FUNCTION pg_temp.ids(result jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS
    $f$ SELECT array_agg(r->>'id' ORDER BY n) FROM jsonb_array_elements(result->'data') WITH ORDINALITY t(r, n) $f$;
CREATE FUNCTION pg_temp.names(result jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS
    $f$ SELECT array_agg(d->>'name' ORDER BY n) FROM jsonb_array_elements(result->'data') WITH ORDINALITY t(d, n) $f$;
-- The keys of a run as the functions return it (every column of project_runs).
CREATE FUNCTION pg_temp.run_keys(run jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS
    $f$ SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(run) k $f$;
SELECT array_agg(attname::text ORDER BY attname::text) AS run_columns FROM pg_attribute
WHERE attrelid = 'public.project_runs'::regclass AND attnum > 0 AND NOT attisdropped \gset

-- search_path = evil, public
SELECT is(pg_temp.ids(:'h1_list_a1'), ARRAY[:'a_succeeded', :'a_queued'], 'evil, public: list(A1) returns A''s runs, newest first');
SELECT is(:'h1_list_b1'::jsonb->'error'->>'code', 'PROJECT_NOT_FOUND', 'evil, public: list(B1) -> PROJECT_NOT_FOUND (evil.projects ignored)');
SELECT is(:'h1_latest_a1'::jsonb->'data'->>'id', :'a_succeeded', 'evil, public: latest(A1) is A''s newest run, not evil''s');
SELECT is(:'h1_key'::jsonb->'data'->>'id', :'a_queued', 'evil, public: get_by_idempotency_key');
SELECT is(pg_temp.names(:'h1_dashboard'), ARRAY['A2', 'A1'], 'evil, public: dashboard lists A''s projects only');
SELECT is(:'h1_count'::int, 2, 'evil, public: A sees 2 runs through public.project_runs');
SELECT is(:'h1_create'::jsonb->>'created', 'true', 'evil, public: create on A1 made a run');
SELECT is(pg_temp.run_keys(:'h1_create'::jsonb->'data'), :'run_columns'::text[], 'evil, public: create returns the run''s columns');
SELECT is(:'h1_create'::jsonb->'data'->>'project_id', 'a1a1a1a1-0000-4000-8000-000000000001', 'evil, public: the run is A1''s');
SELECT is(:'h1_create_b1'::jsonb->'error'->>'code', 'PROJECT_NOT_FOUND', 'evil, public: create on B1 -> PROJECT_NOT_FOUND');
SELECT is(:'h1_generate'::jsonb->'data'->>'status', 'succeeded', 'evil, public: generate on A1 succeeded');
SELECT is(:'h1_generate'::jsonb->'data'->>'input_version', '1', 'evil, public: generate used A1''s real input (not evil''s version 99)');

-- search_path = evil, pg_catalog, public
SELECT is(:'h2_keys_equal'::bool, true, 'evil, pg_catalog, public: (check) evil.= makes two different keys equal');
SELECT is(:'h2_uuids_equal'::bool, true, 'evil, pg_catalog, public: (check) evil.= makes two different uuids equal');
SELECT is(:'h2_to_jsonb'::jsonb, '{"evil": true}'::jsonb, 'evil, pg_catalog, public: (check) to_jsonb is evil''s');
SELECT is(:'h2_now'::timestamptz, '2000-01-01'::timestamptz, 'evil, pg_catalog, public: (check) now() is evil''s');
SELECT is(pg_temp.ids(:'h2_list_a1'), ARRAY[(:'h1_generate'::jsonb)->'data'->>'id', (:'h1_create'::jsonb)->'data'->>'id', :'a_succeeded', :'a_queued'],
          'evil, pg_catalog, public: list(A1) returns A''s runs, newest first');
SELECT is(pg_temp.run_keys(:'h2_list_a1'::jsonb->'data'->0), :'run_columns'::text[], 'evil, pg_catalog, public: list returns whole runs');
SELECT is(:'h2_list_b1'::jsonb->'error'->>'code', 'PROJECT_NOT_FOUND', 'evil, pg_catalog, public: list(B1) -> PROJECT_NOT_FOUND');
SELECT is(:'h2_latest_a1'::jsonb->'data'->>'id', (:'h1_generate'::jsonb)->'data'->>'id', 'evil, pg_catalog, public: latest(A1)');
SELECT is(:'h2_key'::jsonb->'data'->>'id', :'a_queued', 'evil, pg_catalog, public: get_by_idempotency_key(A''s key)');
SELECT is(:'h2_key_b'::jsonb->'error'->>'code', 'NOT_FOUND', 'evil, pg_catalog, public: get_by_idempotency_key(B''s key) -> NOT_FOUND');
SELECT is(pg_temp.names(:'h2_dashboard'), ARRAY['A2', 'A1'], 'evil, pg_catalog, public: dashboard lists A''s projects only');
SELECT is(:'h2_count'::int, 4, 'evil, pg_catalog, public: A sees A''s 4 runs through public.project_runs');
-- fixtures 1 + 3, create 1, generate 3
SELECT is(:'h2_events'::int, 8, 'evil, pg_catalog, public: A sees exactly the events of A''s runs');
SELECT is(:'h2_create'::jsonb->>'created', 'true', 'evil, pg_catalog, public: create on A1 made a run');
SELECT is(pg_temp.run_keys(:'h2_create'::jsonb->'data'), :'run_columns'::text[], 'evil, pg_catalog, public: create returns the run''s columns');
SELECT cmp_ok((:'h2_create'::jsonb->'data'->>'created_at')::timestamptz, '>', '2020-01-01'::timestamptz,
              'evil, pg_catalog, public: created_at is clock time, not evil.now()');
SELECT is(:'h2_conflict'::jsonb->'error'->>'code', 'IDEMPOTENCY_CONFLICT', 'evil, pg_catalog, public: same key, other parameters -> IDEMPOTENCY_CONFLICT');
SELECT is(:'h2_running_b'::jsonb->'error'->>'code', 'NOT_FOUND', 'evil, pg_catalog, public: set_running(B''s run) -> NOT_FOUND');
SELECT is(:'h2_running'::jsonb->'data'->>'status', 'running', 'evil, pg_catalog, public: set_running(A''s run)');
SELECT is(:'h2_generate'::jsonb->'data'->>'status', 'succeeded', 'evil, pg_catalog, public: generate on A1 succeeded');
SELECT is(:'h2_generate'::jsonb->'data'->'output'->>'input_version', '1', 'evil, pg_catalog, public: generate used A1''s real input');

-- search_path = evil_text, evil, pg_catalog, public
SELECT is(:'h3_list_b1'::jsonb->'error'->>'code', 'PROJECT_NOT_FOUND', 'evil_text, ...: list(B1) -> PROJECT_NOT_FOUND');
SELECT is(:'h3_key_b'::jsonb->'error'->>'code', 'NOT_FOUND', 'evil_text, ...: get_by_idempotency_key(B''s key) -> NOT_FOUND');
SELECT is(:'h3_dashboard'::jsonb->'data', '[]'::jsonb, 'evil_text, ...: dashboard shows no project (the app''s policy hides them all)');
SELECT is(:'h3_count_other'::int, 0, 'evil_text, ...: no run of another project through public.project_runs');
SELECT is(:'h3_running_b'::jsonb->'error'->>'code', 'NOT_FOUND', 'evil_text, ...: set_running(B''s run) -> NOT_FOUND');

-- temporary look-alike tables
SELECT is(:'t_list_a1'::jsonb->'error'->>'code', 'PROJECT_NOT_FOUND', 'temp table projects: B still gets PROJECT_NOT_FOUND for A1');
SELECT is(pg_temp.names(:'t_dashboard'), ARRAY['B1'], 'temp table projects: B''s dashboard lists only B1');
SELECT is(:'t_create'::jsonb->'error'->>'code', 'PROJECT_NOT_FOUND', 'temp table projects: B cannot create a run for A1');
SELECT is(:'t_running'::jsonb->'error'->>'code', 'NOT_FOUND', 'temp table projects: B cannot start A''s run');

-- bypass roles
SELECT is(pg_temp.names(:'s_dashboard'), ARRAY['B1', 'A2', 'A1'], 'evil, pg_catalog, public: service_role dashboard lists the real projects');
SELECT is(pg_temp.ids(:'s_list_b1'), ARRAY[:'b_queued'], 'evil, pg_catalog, public: service_role list(B1)');
SELECT is(pg_temp.names(:'e_dashboard'), ARRAY['B1', 'A2', 'A1'], 'evil, pg_catalog, public: SQL editor dashboard lists the real projects');
SELECT is(:'e_latest_a1'::jsonb->'data'->>'pipeline_version', 'p-evil', 'evil, pg_catalog, public: SQL editor latest(A1) is A''s newest real run');
SELECT is((SELECT count(*)::int FROM public.project_runs WHERE pipeline_version = 'evil'), 0, 'evil''s fake run never reached the ledger');

-- ---------------------------------------------------------------------------
-- An unprivileged session cannot redirect the ownership check.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "role": "authenticated"}');
SELECT throws_ok($$INSERT INTO project_runs_settings VALUES ('projects_table', 'evil.projects')$$, '42501', NULL,
                 'authenticated: INSERT into project_runs_settings -> 42501');
SELECT throws_ok($$UPDATE project_runs_settings SET value = 'evil.projects'$$, '42501', NULL,
                 'authenticated: UPDATE of project_runs_settings -> 42501');
SELECT throws_ok($$INSERT INTO project_runs_pipeline_steps VALUES ('2025-12-23.v1', 'collect_evidence', 'evil.now()')$$, '42501', NULL,
                 'authenticated: registering a pipeline step -> 42501');
SELECT throws_ok($$SET project_runs.projects_table = 'evil.projects'$$, '42602', NULL,
                 'authenticated: SET project_runs.projects_table fails (the project_runs prefix is reserved)');
SELECT throws_ok($$SELECT set_config('project_runs.project_inputs_table', 'evil.project_inputs', true)$$, '42602', NULL,
                 'authenticated: set_config(project_runs.project_inputs_table) fails (reserved prefix)');
SELECT pg_temp.request('service_role', '{"role": "service_role"}');
SELECT throws_ok($$INSERT INTO project_runs_settings VALUES ('projects_table', 'evil.projects')$$, '42501', NULL,
                 'service_role: INSERT into project_runs_settings -> 42501');
SELECT pg_temp.request('authenticated', '{"sub": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "role": "authenticated"}');
SELECT is(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND', 'B: after all that, list(A1) -> PROJECT_NOT_FOUND');

SELECT * FROM finish();
ROLLBACK;
