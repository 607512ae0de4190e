-- 01_rls_read: who sees which runs and events (row-level security), through the tables and through the functions.
--
-- Layout of `supabase test db` (pg_prove): one transaction, rolled back at the
-- end, so nothing is left behind. The file first builds what a Supabase project
-- has (the API roles, the default privileges, auth.uid(), the application's
-- tables with RLS), where a plain PostgreSQL database lacks it, then creates
-- the extension and fixtures for two users, A and B. Callers are replayed as
-- PostgREST does it (see pg_temp.request below). Needs pg_prove/psql (\gset)
-- and pgTAP reachable with search_path = public, where CREATE EXTENSION pgtap
-- puts it on a plain database.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
-- ---------------------------------------------------------------------------
-- What a Supabase project has (created here when missing, so that the file
-- also runs on plain PostgreSQL; everything is rolled back at the end).
-- ---------------------------------------------------------------------------
-- The API roles. Roles are cluster-wide: create them only when missing, and
-- tolerate another session creating them at the same moment.
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT%s', r,
                               CASE WHEN r = 'service_role' THEN ' BYPASSRLS' ELSE '' END);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$roles$;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
-- Supabase's default privileges: every new table, function and sequence in
-- public is granted to the API roles. Set BEFORE the extension is created,
-- so the extension script has to take back what it does not want them to have.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
-- auth.uid() as Supabase defines it (only when the project has none).
CREATE SCHEMA IF NOT EXISTS auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
DO $uid$
BEGIN
    IF to_regprocedure('auth.uid()') IS NULL THEN
        CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
            SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
        $f$;
        GRANT EXECUTE ON FUNCTION auth.uid() TO anon, authenticated, service_role;
    END IF;
END
$uid$;

-- A clean slate for this transaction: no earlier copy of the extension or of
-- the application's tables (all of this is rolled back at the end).
DROP EXTENSION IF EXISTS project_runs CASCADE;
DROP TABLE IF EXISTS public.projects, public.project_inputs CASCADE;

-- The application's tables, as a Supabase app has them: granted to the API
-- roles by the default privileges above, projects protected by RLS.
CREATE TABLE public.projects (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text,
    created_at timestamptz DEFAULT now()
);
CREATE TABLE public.project_inputs (
    project_id uuid,
    version int,
    status text,
    input_json jsonb,
    created_at timestamptz DEFAULT now()
);
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "users manage their own projects" ON public.projects
    FOR ALL TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE EXTENSION project_runs SCHEMA public;

-- Fixtures. User A owns projects A1 (with runs) and A2 (never run); user B
-- owns B1 (with one run). Made in a superuser (SQL editor) session.
INSERT INTO public.projects (id, user_id, name, created_at) VALUES
    ('a1a1a1a1-0000-4000-8000-000000000001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'A1', '2025-01-01'),
    ('a2a2a2a2-0000-4000-8000-000000000002', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'A2', '2025-02-01'),
    ('b1b1b1b1-0000-4000-8000-000000000001', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'B1', '2025-03-01');
INSERT INTO public.project_inputs (project_id, version, status, input_json) VALUES
    ('a1a1a1a1-0000-4000-8000-000000000001', 1, 'final', '{"topic": "alpha"}'),
    ('a2a2a2a2-0000-4000-8000-000000000002', 1, 'final', '{"topic": "alpha two"}'),
    ('b1b1b1b1-0000-4000-8000-000000000001', 1, 'final', '{"topic": "beta"}');

-- Runs, made in the SQL editor session: A1 has a queued run and a succeeded
-- run (4 events), B1 a queued run (1 event).
SELECT public.project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v1', 'key-a-queued')->'data'->>'id' AS a_queued \gset
SELECT public.project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v2', 'key-a-succeeded')->'data'->>'id' AS a_succeeded \gset
SELECT public.project_runs_set_running(:'a_succeeded')->>'ok' AS a_running_ok \gset
SELECT public.project_runs_set_succeeded(:'a_succeeded', '{"summary": {"n": 1}}')->>'ok' AS a_succeeded_ok \gset
SELECT public.project_runs_create('b1b1b1b1-0000-4000-8000-000000000001', 1, 'v1', 'key-b')->'data'->>'id' AS b_queued \gset

-- ---------------------------------------------------------------------------
-- Callers. PostgREST starts every request transaction with
--   select set_config('search_path', 'public', true), set_config('role', <role>, true),
--          set_config('request.jwt.claims', <claims>, true), set_config('request.method', 'POST', true);
-- (role and claims from the request's JWT), then runs the call. pg_temp.request()
-- runs exactly that statement and returns a TAP comment naming the caller; the
-- settings last until the next pg_temp.request() / pg_temp.sql_editor() or the
-- end of the transaction, like PostgREST's.
-- ---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.request(role text, claims text) RETURNS text
LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM set_config('request.jwt.claim.sub', '', true);  -- no leftover legacy claim
    EXECUTE $q$select set_config('search_path', 'public', true), set_config('role', $1, true), $q$
         || $q$set_config('request.jwt.claims', $2, true), set_config('request.method', 'POST', true)$q$
        USING role, claims;
    RETURN '# request as ' || role || ', claims ' || claims;
END
$f$;
-- PostgREST before v9 set one setting per claim instead (request.jwt.claim.sub,
-- request.jwt.claim.role, ...); claims, if given, is also set as request.jwt.claims.
CREATE FUNCTION pg_temp.legacy_request(role text, sub text, claims text DEFAULT '') RETURNS text
LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM set_config('request.jwt.claims', claims, true);
    EXECUTE $q$select set_config('search_path', 'public', true), set_config('role', $1, true), $q$
         || $q$set_config('request.jwt.claim.sub', $2, true), set_config('request.jwt.claim.role', $1, true), $q$
         || $q$set_config('request.method', 'POST', true)$q$
        USING role, sub;
    RETURN '# legacy request as ' || role || ', request.jwt.claim.sub ' || sub;
END
$f$;
-- The SQL editor: the session's own role (the superuser that created the
-- extension), no JWT claims, the session's search_path.
CREATE FUNCTION pg_temp.sql_editor() RETURNS text
LANGUAGE plpgsql AS $f$
BEGIN
    SET LOCAL ROLE NONE;
    SET LOCAL search_path TO DEFAULT;
    PERFORM set_config('request.jwt.claims', '', true), set_config('request.jwt.claim.sub', '', true),
            set_config('request.method', '', true);
    RETURN '# SQL editor session as ' || current_user;
END
$f$;

-- A sorted text[] (for comparing sets of ids).
CREATE FUNCTION pg_temp.sorted(a text[]) RETURNS text[] LANGUAGE sql IMMUTABLE AS
    $f$ SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM unnest(a) x $f$;

SELECT plan(60);

-- ---------------------------------------------------------------------------
-- User A: sees exactly A's runs and events, through the tables and the functions.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "authenticated"}');
SELECT is(current_user::text, 'authenticated', 'the request runs as authenticated');
SELECT is(project_runs_current_user_id(), 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'::uuid, 'A: current_user_id() is the sub claim');
SELECT is((SELECT array_agg(id::text ORDER BY id::text) FROM project_runs),
          pg_temp.sorted(ARRAY[:'a_queued', :'a_succeeded']),
          'A: SELECT on project_runs returns exactly A''s two runs');
SELECT is((SELECT count(*)::int FROM project_run_events), 4, 'A: SELECT on project_run_events returns A''s 4 events');
SELECT is((SELECT count(*)::int FROM project_run_events WHERE run_id NOT IN (:'a_queued', :'a_succeeded')), 0,
          'A: no event of another user''s run');
SELECT is((SELECT count(*)::int FROM project_runs WHERE id = :'b_queued'), 0, 'A: B''s run is invisible by id');

SELECT is(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')->>'ok', 'true', 'A: list(A1) is ok');
SELECT is((SELECT array_agg(r->>'id' ORDER BY n) FROM jsonb_array_elements(
              project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')->'data') WITH ORDINALITY t(r, n)),
          ARRAY[:'a_succeeded', :'a_queued'], 'A: list(A1) returns A''s runs, newest first');
SELECT is(project_runs_latest('a1a1a1a1-0000-4000-8000-000000000001')->'data'->>'id', :'a_succeeded',
          'A: latest(A1) is A''s newest run');
SELECT is(project_runs_latest('a2a2a2a2-0000-4000-8000-000000000002'), '{"ok": true, "data": null}'::jsonb,
          'A: latest(A2) of a project without runs: data null');
SELECT is(project_runs_get_by_idempotency_key('key-a-queued')->'data'->>'id', :'a_queued',
          'A: get_by_idempotency_key finds A''s run');
SELECT is((SELECT array_agg(d->>'name' ORDER BY n) FROM jsonb_array_elements(project_runs_dashboard()->'data') WITH ORDINALITY t(d, n)),
          ARRAY['A2', 'A1'], 'A: dashboard lists A''s projects only, newest first');
SELECT is((SELECT d->'last_run'->>'id' FROM jsonb_array_elements(project_runs_dashboard()->'data') d WHERE d->>'name' = 'A1'),
          :'a_succeeded', 'A: dashboard shows A1''s last run');
SELECT is((SELECT d->'last_run' FROM jsonb_array_elements(project_runs_dashboard()->'data') d WHERE d->>'name' = 'A2'),
          'null'::jsonb, 'A: dashboard shows A2 as never run');
-- Another user's project looks like no project at all.
SELECT is(project_runs_list('b1b1b1b1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND', 'A: list(B1) -> PROJECT_NOT_FOUND');
SELECT is(project_runs_latest('b1b1b1b1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND', 'A: latest(B1) -> PROJECT_NOT_FOUND');
SELECT is(project_runs_get_by_idempotency_key('key-b')->'error'->>'code', 'NOT_FOUND', 'A: B''s idempotency key -> NOT_FOUND');

-- ---------------------------------------------------------------------------
-- User B: sees none of A's.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "role": "authenticated"}');
SELECT is((SELECT array_agg(id::text) FROM project_runs), ARRAY[:'b_queued'], 'B: SELECT on project_runs returns only B''s run');
SELECT is((SELECT count(*)::int FROM project_runs WHERE project_id = 'a1a1a1a1-0000-4000-8000-000000000001'), 0,
          'B: no run of A1 through the table');
SELECT is((SELECT count(*)::int FROM project_runs WHERE id IN (:'a_queued', :'a_succeeded')), 0, 'B: A''s runs are invisible by id');
SELECT is((SELECT array_agg(DISTINCT run_id::text) FROM project_run_events), ARRAY[:'b_queued'], 'B: only the events of B''s run');
SELECT is(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND', 'B: list(A1) -> PROJECT_NOT_FOUND');
SELECT is(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')->'data', NULL, 'B: list(A1) has no data');
SELECT is(project_runs_latest('a1a1a1a1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND', 'B: latest(A1) -> PROJECT_NOT_FOUND');
SELECT is(replace(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')::text, 'a1a1a1a1-0000-4000-8000-000000000001', '<id>'),
          replace(project_runs_list('cccccccc-0000-4000-8000-00000000000c')::text, 'cccccccc-0000-4000-8000-00000000000c', '<id>'),
          'B: list(A1) answers exactly as for a project that does not exist');
SELECT is(project_runs_get_by_idempotency_key('key-a-queued')->'error'->>'code', 'NOT_FOUND', 'B: A''s idempotency key -> NOT_FOUND');
SELECT is(project_runs_get_by_idempotency_key('key-a-queued')::text ~ (:'a_queued' || '|a1a1a1a1'), false,
          'B: the NOT_FOUND answer names neither A''s run nor A''s project');
SELECT is((SELECT array_agg(d->>'name') FROM jsonb_array_elements(project_runs_dashboard()->'data') d), ARRAY['B1'],
          'B: dashboard lists only B1');
SELECT is(project_runs_list('b1b1b1b1-0000-4000-8000-000000000001')->'data'->0->>'id', :'b_queued', 'B: list(B1) returns B''s run');

-- ---------------------------------------------------------------------------
-- anon (no user id): no access to the tables, nothing through the functions.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('anon', '{"role": "anon"}');
SELECT throws_ok('SELECT count(*) FROM project_runs', '42501', NULL, 'anon: SELECT on project_runs -> 42501 permission denied');
SELECT throws_ok('SELECT count(*) FROM project_run_events', '42501', NULL, 'anon: SELECT on project_run_events -> 42501 permission denied');
SELECT is(project_runs_current_user_id(), NULL, 'anon: current_user_id() is null');
SELECT is(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND', 'anon: list(A1) -> PROJECT_NOT_FOUND');
SELECT is(project_runs_latest('a1a1a1a1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND', 'anon: latest(A1) -> PROJECT_NOT_FOUND');
SELECT is(project_runs_get_by_idempotency_key('key-a-queued')->'error'->>'code', 'NOT_FOUND', 'anon: get_by_idempotency_key -> NOT_FOUND');
SELECT is(project_runs_dashboard(), '{"ok": true, "data": []}'::jsonb, 'anon: dashboard is []');

-- ---------------------------------------------------------------------------
-- A sub that is not a UUID counts as no user.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "abc", "role": "authenticated"}');
SELECT is(project_runs_current_user_id(), NULL, 'sub "abc": current_user_id() is null');
SELECT is((SELECT count(*)::int FROM project_runs), 0, 'sub "abc": no run through the table');
SELECT is((SELECT count(*)::int FROM project_run_events), 0, 'sub "abc": no event through the table');
SELECT is(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND', 'sub "abc": list(A1) -> PROJECT_NOT_FOUND');
SELECT is(project_runs_get_by_idempotency_key('key-a-queued')->'error'->>'code', 'NOT_FOUND', 'sub "abc": get_by_idempotency_key -> NOT_FOUND');
SELECT is(project_runs_dashboard(), '{"ok": true, "data": []}'::jsonb, 'sub "abc": dashboard is []');
-- An authenticated request without any sub claim.
SELECT pg_temp.request('authenticated', '{"role": "authenticated"}');
SELECT is((SELECT count(*)::int FROM project_runs), 0, 'no sub claim: no run through the table');
SELECT is(project_runs_dashboard(), '{"ok": true, "data": []}'::jsonb, 'no sub claim: dashboard is []');

-- ---------------------------------------------------------------------------
-- The legacy setting request.jwt.claim.sub works like request.jwt.claims, and
-- wins over it (as in auth.uid()).
-- ---------------------------------------------------------------------------
SELECT pg_temp.legacy_request('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT is(project_runs_current_user_id(), 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'::uuid, 'legacy claim.sub A: current_user_id() is A');
SELECT is((SELECT array_agg(id::text ORDER BY id::text) FROM project_runs),
          pg_temp.sorted(ARRAY[:'a_queued', :'a_succeeded']), 'legacy claim.sub A: exactly A''s runs through the table');
SELECT is(jsonb_array_length(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')->'data'), 2, 'legacy claim.sub A: list(A1) returns 2 runs');
SELECT is((SELECT array_agg(d->>'name' ORDER BY n) FROM jsonb_array_elements(project_runs_dashboard()->'data') WITH ORDINALITY t(d, n)),
          ARRAY['A2', 'A1'], 'legacy claim.sub A: dashboard lists A''s projects');
SELECT is(project_runs_list('b1b1b1b1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND', 'legacy claim.sub A: list(B1) -> PROJECT_NOT_FOUND');
SELECT pg_temp.legacy_request('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
                              '{"sub": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "role": "authenticated"}');
SELECT is(project_runs_current_user_id(), 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'::uuid, 'claim.sub A with claims sub B: the user is A');
SELECT is((SELECT count(*)::int FROM project_runs WHERE id = :'b_queued'), 0, 'claim.sub A with claims sub B: B''s run is invisible');

-- ---------------------------------------------------------------------------
-- service_role (BYPASSRLS) and the SQL editor's superuser see everything.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('service_role', '{"role": "service_role"}');
SELECT is((SELECT count(*)::int FROM project_runs), 3, 'service_role: all 3 runs through the table');
SELECT is((SELECT count(*)::int FROM project_run_events), 5, 'service_role: all 5 events through the table');
SELECT is(jsonb_array_length(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')->'data'), 2, 'service_role: list(A1) returns 2 runs');
SELECT is(project_runs_latest('b1b1b1b1-0000-4000-8000-000000000001')->'data'->>'id', :'b_queued', 'service_role: latest(B1)');
SELECT is(project_runs_get_by_idempotency_key('key-b')->'data'->>'id', :'b_queued', 'service_role: get_by_idempotency_key(key-b)');
SELECT is((SELECT array_agg(d->>'name' ORDER BY n) FROM jsonb_array_elements(project_runs_dashboard()->'data') WITH ORDINALITY t(d, n)),
          ARRAY['B1', 'A2', 'A1'], 'service_role: dashboard lists every project');

SELECT pg_temp.sql_editor();
SELECT is((SELECT count(*)::int FROM project_runs), 3, 'SQL editor: all 3 runs through the table');
SELECT is(jsonb_array_length(project_runs_list('b1b1b1b1-0000-4000-8000-000000000001')->'data'), 1, 'SQL editor: list(B1) returns B''s run');
SELECT is(jsonb_array_length(project_runs_dashboard()->'data'), 3, 'SQL editor: dashboard lists every project');

SELECT * FROM finish();
ROLLBACK;
