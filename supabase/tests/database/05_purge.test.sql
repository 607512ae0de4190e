-- 05_purge: project_runs_purge is the owner's only; it erases exactly one project's runs and events.
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

-- A2 gets a run of its own, so the purges below have a neighbour to spare.
SELECT public.project_runs_create('a2a2a2a2-0000-4000-8000-000000000002', 1, 'v1', 'key-a2')->'data'->>'id' AS a2_queued \gset

-- A hostile schema whose uuid equality is always true (for the purge under a
-- hostile search_path below).
CREATE SCHEMA evil;
CREATE FUNCTION evil.always(uuid, uuid) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = evil.always);

SELECT plan(29);

-- ---------------------------------------------------------------------------
-- Nobody but the owner may purge.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('anon', '{"role": "anon"}');
SELECT throws_ok($$SELECT project_runs_purge('a1a1a1a1-0000-4000-8000-000000000001')$$, '42501', NULL, 'anon: purge -> 42501');
SELECT pg_temp.request('authenticated', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "authenticated"}');
SELECT throws_ok($$SELECT project_runs_purge('a1a1a1a1-0000-4000-8000-000000000001')$$, '42501', NULL, 'A: purge of A''s own project -> 42501');
SELECT pg_temp.request('authenticated', '{"sub": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "role": "authenticated"}');
SELECT throws_ok($$SELECT project_runs_purge('a1a1a1a1-0000-4000-8000-000000000001')$$, '42501', NULL, 'B: purge of A''s project -> 42501');
SELECT pg_temp.request('service_role', '{"role": "service_role"}');
SELECT throws_ok($$SELECT project_runs_purge('a1a1a1a1-0000-4000-8000-000000000001')$$, '42501', NULL, 'service_role: purge -> 42501');
-- Even where someone granted EXECUTE, the function itself admits only the
-- owner of project_runs.
SELECT pg_temp.sql_editor();
GRANT EXECUTE ON FUNCTION project_runs_purge(uuid) TO service_role;
SELECT pg_temp.request('service_role', '{"role": "service_role"}');
SELECT throws_ok($$SELECT project_runs_purge('a1a1a1a1-0000-4000-8000-000000000001')$$, '42501',
                 'only the owner of project_runs may purge runs', 'service_role with EXECUTE granted: purge -> 42501 from the function');
SELECT pg_temp.sql_editor();
REVOKE EXECUTE ON FUNCTION project_runs_purge(uuid) FROM service_role;
SELECT is((SELECT count(*)::int FROM project_runs), 4, 'the refused purges deleted no run');
SELECT is((SELECT count(*)::int FROM project_run_events), 6, 'the refused purges deleted no event');

-- ---------------------------------------------------------------------------
-- The owner (the SQL editor's superuser) purges A1: its runs and events go,
-- nothing else does. Under a hostile search_path, to be sure.
-- ---------------------------------------------------------------------------
SET LOCAL search_path = evil, pg_catalog, public;
SELECT public.project_runs_purge('a1a1a1a1-0000-4000-8000-000000000001') AS purged \gset
SELECT pg_temp.sql_editor();
SELECT is(:'purged'::jsonb->>'ok', 'true', 'owner: purge(A1) is ok');
SELECT is(:'purged'::jsonb->'data'->>'runs_deleted', '2', 'owner: purge(A1) deleted A1''s 2 runs');
SELECT is(:'purged'::jsonb->'data'->>'events_deleted', '4', 'owner: purge(A1) deleted A1''s 4 events');
SELECT is((SELECT count(*)::int FROM project_runs WHERE project_id = 'a1a1a1a1-0000-4000-8000-000000000001'), 0, 'no run of A1 is left');
SELECT is((SELECT count(*)::int FROM project_run_events WHERE project_id = 'a1a1a1a1-0000-4000-8000-000000000001'), 0, 'no event of A1 is left');
SELECT is((SELECT count(*)::int FROM project_run_events WHERE run_id IN (:'a_queued', :'a_succeeded')), 0, 'no event of A1''s runs is left');
SELECT is((SELECT array_agg(id::text ORDER BY id::text) FROM project_runs),
          (SELECT array_agg(x ORDER BY x) FROM unnest(ARRAY[:'a2_queued', :'b_queued']) x), 'A2''s and B1''s runs are untouched');
SELECT is((SELECT count(*)::int FROM project_run_events), 2, 'A2''s and B1''s events are untouched');
SELECT is((SELECT count(*)::int FROM projects), 3, 'the projects themselves are untouched');
SELECT is(project_runs_debug_state()->'purging', 'false'::jsonb, 'the purge flag is off again');

-- The purge was the exception, not a door left open.
SELECT throws_ok(format('DELETE FROM project_runs WHERE id = %L', :'b_queued'), 'PR006', NULL, 'owner: a plain DELETE after the purge -> PR006');
SELECT throws_ok(format('DELETE FROM project_run_events WHERE run_id = %L', :'b_queued'), 'PR009', NULL,
                 'owner: a plain DELETE of an event after the purge -> PR009');
SELECT throws_ok('TRUNCATE project_runs', 'PR007', NULL, 'owner: TRUNCATE after the purge -> PR007');

-- A purge of a project with no runs, and of one that does not exist.
SELECT is(project_runs_purge('a1a1a1a1-0000-4000-8000-000000000001')->'data',
          '{"project_id": "a1a1a1a1-0000-4000-8000-000000000001", "runs_deleted": 0, "events_deleted": 0}'::jsonb,
          'owner: purge(A1) again deletes nothing');
SELECT is(project_runs_purge('cccccccc-0000-4000-8000-00000000000c')->'data'->>'runs_deleted', '0', 'owner: purge of an unknown project deletes nothing');

-- ---------------------------------------------------------------------------
-- What A sees afterwards, and A1 lives on.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "authenticated"}');
SELECT is(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001'), '{"ok": true, "data": []}'::jsonb, 'A: list(A1) is empty');
SELECT is(project_runs_latest('a1a1a1a1-0000-4000-8000-000000000001'), '{"ok": true, "data": null}'::jsonb, 'A: latest(A1) is null');
SELECT is((SELECT d->'last_run' FROM jsonb_array_elements(project_runs_dashboard()->'data') d WHERE d->>'name' = 'A1'), 'null'::jsonb,
          'A: the dashboard shows A1 as never run');
SELECT is(project_runs_get_by_idempotency_key('key-a-queued')->'error'->>'code', 'NOT_FOUND', 'A: the purged run''s key is gone');
SELECT is(project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v1', 'key-a-queued')->>'created', 'true',
          'A: the key can be used again for a new run');
SELECT is((SELECT count(*)::int FROM project_run_events e JOIN project_runs r ON r.id = e.run_id WHERE r.idempotency_key = 'key-a-queued'), 1,
          'A: the new run has its insert event');
SELECT is((SELECT count(*)::int FROM project_runs), 2, 'A: sees A2''s run and the new A1 run');

SELECT * FROM finish();
ROLLBACK;
