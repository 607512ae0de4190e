-- 02_rls_write: who may write which runs; B cannot touch or learn about A's; the triggers bind every role; nobody deletes.
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

SELECT plan(67);

-- ---------------------------------------------------------------------------
-- User A writes A's runs: the functions and the table.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "authenticated"}');
SELECT project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v3', 'key-a-new') AS a_create \gset
SELECT is(:'a_create'::jsonb->>'ok', 'true', 'A: create on A1 is ok');
SELECT is(:'a_create'::jsonb->>'created', 'true', 'A: create on A1 made a run');
SELECT is(:'a_create'::jsonb->'data'->>'status', 'queued', 'A: the new run is queued');
SELECT :'a_create'::jsonb->'data'->>'id' AS a_new \gset
SELECT is(project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v3', 'key-a-new')->'data'->>'id', :'a_new',
          'A: create with the same key returns the same run');
SELECT is(project_runs_set_running(:'a_new')->'data'->>'status', 'running', 'A: set_running on A''s run');
SELECT is(project_runs_update_metrics(:'a_new', '{"progress": 0.5}')->'data'->'metrics', '{"progress": 0.5}'::jsonb,
          'A: update_metrics on A''s run');
SELECT is(project_runs_set_succeeded(:'a_new', '{"answer": 42}')->'data'->>'status', 'succeeded', 'A: set_succeeded on A''s run');
SELECT is((SELECT array_agg(coalesce(from_status::text, '-') || '>' || to_status ORDER BY at, to_status) FROM project_run_events WHERE run_id = :'a_new'),
          ARRAY['->queued', 'queued>running', 'running>succeeded'], 'A: the run''s events, read as A');
SELECT is(project_runs_set_running(:'a_succeeded')->'error'->>'code', 'ILLEGAL_TRANSITION', 'A: set_running on A''s succeeded run -> ILLEGAL_TRANSITION');
SELECT project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001') AS a_generate \gset
SELECT is(:'a_generate'::jsonb->>'ok', 'true', 'A: generate on A1 is ok');
SELECT is(:'a_generate'::jsonb->'data'->>'status', 'succeeded', 'A: generate on A1 ran the pipeline to succeeded');
SELECT is(:'a_generate'::jsonb->'data'->>'project_id', 'a1a1a1a1-0000-4000-8000-000000000001', 'A: the generated run belongs to A1');
SELECT is(project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001')->'data'->>'id', :'a_generate'::jsonb->'data'->>'id',
          'A: generate again returns the same run');
-- Through the table: insert (the trigger sets id, status, created_at) and update.
WITH i AS (INSERT INTO project_runs (project_id, input_version, pipeline_version)
           VALUES ('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v-table') RETURNING status)
SELECT is((SELECT array_agg(status::text) FROM i), ARRAY['queued'], 'A: INSERT into project_runs for A1 -> one queued run');
WITH u AS (UPDATE project_runs SET metrics = '{"through": "table"}' WHERE id = :'a_queued' RETURNING 1)
SELECT is((SELECT count(*)::int FROM u), 1, 'A: UPDATE of A''s queued run through the table -> 1 row');
-- The triggers bind A as well.
SELECT throws_ok(format('UPDATE project_runs SET status = %L WHERE id = %L', 'running', :'a_succeeded'), 'PR002', NULL,
                 'A: UPDATE of A''s succeeded run -> PR002');
SELECT throws_ok(format('INSERT INTO project_run_events (run_id, project_id, from_status, to_status, at) VALUES (%L, %L, %L, %L, now())',
                        :'a_queued', 'a1a1a1a1-0000-4000-8000-000000000001', 'queued', 'running'), '42501', NULL,
                 'A: a direct INSERT into project_run_events -> 42501 (only the trigger appends events)');
-- Nobody deletes: authenticated has no DELETE privilege at all.
SELECT throws_ok(format('DELETE FROM project_runs WHERE id = %L', :'a_queued'), '42501', NULL,
                 'A: DELETE of A''s run -> 42501 permission denied');
SELECT throws_ok('DELETE FROM project_run_events', '42501', NULL, 'A: DELETE from project_run_events -> 42501 permission denied');
SELECT throws_ok('TRUNCATE project_runs', '42501', NULL, 'A: TRUNCATE project_runs -> 42501 permission denied');

-- ---------------------------------------------------------------------------
-- User B cannot touch A's runs, nor learn anything about them.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('authenticated', '{"sub": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "role": "authenticated"}');
SELECT is(project_runs_set_running(:'a_queued')->'error'->>'code', 'NOT_FOUND', 'B: set_running(A''s run) -> NOT_FOUND');
SELECT is(replace(project_runs_set_running(:'a_queued')::text, :'a_queued', '<id>'),
          replace(project_runs_set_running('cccccccc-0000-4000-8000-00000000000c')::text, 'cccccccc-0000-4000-8000-00000000000c', '<id>'),
          'B: set_running(A''s run) answers exactly as for a run that does not exist');
SELECT is(project_runs_set_failed(:'a_queued', 'X', 'by B')->'error'->>'code', 'NOT_FOUND', 'B: set_failed(A''s run) -> NOT_FOUND');
SELECT is(project_runs_set_succeeded(:'a_queued', '{}')->'error'->>'code', 'NOT_FOUND', 'B: set_succeeded(A''s run) -> NOT_FOUND');
SELECT is(project_runs_update_metrics(:'a_queued', '{"by": "B"}')->'error'->>'code', 'NOT_FOUND', 'B: update_metrics(A''s run) -> NOT_FOUND');
SELECT is(project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v9')->'error'->>'code', 'PROJECT_NOT_FOUND',
          'B: create on A1 -> PROJECT_NOT_FOUND');
SELECT is(project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND',
          'B: generate on A1 -> PROJECT_NOT_FOUND');
WITH u AS (UPDATE project_runs SET metrics = '{"by": "B"}' WHERE id = :'a_queued' RETURNING 1)
SELECT is((SELECT count(*)::int FROM u), 0, 'B: UPDATE of A''s run through the table -> 0 rows');
-- An insert for A's project is refused (by the insert trigger, which finds no
-- such project for B, before the policy's WITH CHECK would refuse it).
SELECT throws_ok($$INSERT INTO project_runs (project_id, input_version, pipeline_version)
                   VALUES ('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v-by-b')$$, 'PR008',
                 'project a1a1a1a1-0000-4000-8000-000000000001 does not exist',
                 'B: INSERT of a run for A1 -> refused, as for a project that does not exist');
-- Idempotency keys held by A's runs: a conflict that reveals nothing.
SELECT project_runs_create('b1b1b1b1-0000-4000-8000-000000000001', 1, 'v1', 'key-a-queued') AS b_conflict \gset
SELECT is(:'b_conflict'::jsonb->'error'->>'code', 'IDEMPOTENCY_CONFLICT', 'B: create with A''s key -> IDEMPOTENCY_CONFLICT');
SELECT unalike(:'b_conflict'::text, '%' || :'a_queued' || '%', 'B: the conflict does not name A''s run');
SELECT unalike(:'b_conflict'::text, '%a1a1a1a1-0000-4000-8000-000000000001%', 'B: the conflict does not name A''s project');
SELECT unalike(:'b_conflict'::text, '%aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa%', 'B: the conflict does not name user A');
SELECT is(:'b_conflict'::jsonb->'data', NULL, 'B: the conflict has no data');
SELECT is(project_runs_create('b1b1b1b1-0000-4000-8000-000000000001', 1, 'v2', 'key-a-succeeded')->'error'->>'code', 'IDEMPOTENCY_CONFLICT',
          'B: create with the key of A''s succeeded run -> IDEMPOTENCY_CONFLICT');
SELECT is(project_runs_create('b1b1b1b1-0000-4000-8000-000000000001', 1, 'v1', 'key-b-new')->>'ok', 'true', 'B: create on B1 with a fresh key is ok');
-- The key generate uses for A's never-run project A2: B cannot take it for a
-- run of B1 (it would block A's generate), through the function or the table.
SELECT is(project_runs_create('b1b1b1b1-0000-4000-8000-000000000001', 1, '2025-12-23.v1',
                              'a2a2a2a2-0000-4000-8000-000000000002:1:2025-12-23.v1')->'error'->>'code',
          'IDEMPOTENCY_CONFLICT', 'B: create on B1 with the generate key of A''s A2 -> IDEMPOTENCY_CONFLICT');
SELECT throws_ok($$INSERT INTO project_runs (project_id, input_version, pipeline_version, idempotency_key)
                   VALUES ('b1b1b1b1-0000-4000-8000-000000000001', 1, '2025-12-23.v1',
                           'a2a2a2a2-0000-4000-8000-000000000002:1:2025-12-23.v1')$$, 'PR011', NULL,
                 'B: INSERT of a B1 run with the generate key of A''s A2 -> PR011');
SELECT pg_temp.request('authenticated', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "authenticated"}');
SELECT is(project_runs_generate('a2a2a2a2-0000-4000-8000-000000000002')->>'created', 'true',
          'A: generate on A2 still makes its run after B''s attempts');

-- ---------------------------------------------------------------------------
-- anon writes nothing.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('anon', '{"role": "anon"}');
SELECT is(project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v9')->'error'->>'code', 'PROJECT_NOT_FOUND', 'anon: create on A1 -> PROJECT_NOT_FOUND');
SELECT is(project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND', 'anon: generate on A1 -> PROJECT_NOT_FOUND');
SELECT is(project_runs_set_running(:'a_queued')->'error'->>'code', 'NOT_FOUND', 'anon: set_running(A''s run) -> NOT_FOUND');
SELECT throws_ok($$INSERT INTO project_runs (project_id, input_version, pipeline_version)
                   VALUES ('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v-by-anon')$$, '42501', NULL,
                 'anon: INSERT into project_runs -> 42501 permission denied');
SELECT throws_ok(format('UPDATE project_runs SET metrics = %L WHERE id = %L', '{}', :'a_queued'), '42501', NULL,
                 'anon: UPDATE of project_runs -> 42501 permission denied');
-- anon whose claims name A (a custom JWT): it sees no project of A's, so
-- generate answers PROJECT_NOT_FOUND without reading runs; the calls that
-- read or write runs as the caller meet anon's missing privileges.
SELECT pg_temp.request('anon', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "anon"}');
SELECT is(project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND',
          'anon with A''s sub: generate on A1 -> PROJECT_NOT_FOUND');
SELECT is(project_runs_latest('a1a1a1a1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND',
          'anon with A''s sub: latest(A1) -> PROJECT_NOT_FOUND');
SELECT throws_ok($$SELECT project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v9')$$, '42501', NULL,
                 'anon with A''s sub: create on A1 -> 42501 permission denied');
SELECT throws_ok(format('SELECT project_runs_set_running(%L)', :'a_queued'), '42501', NULL,
                 'anon with A''s sub: set_running(A''s run) -> 42501 permission denied');
-- Where the application lets anon see the projects its claims name, generate
-- answers as it does for A: it reads the run holding the key as the
-- ledger's owner, not through anon's missing privileges.
SELECT pg_temp.sql_editor();
CREATE POLICY "anon with a user's claims reads that user's projects" ON public.projects
    FOR SELECT TO anon USING (user_id = (SELECT auth.uid()));
SELECT pg_temp.request('anon', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "anon"}');
SELECT is(project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001') - 'data',
          '{"ok": true, "created": false}'::jsonb,
          'anon with A''s sub, projects visible: generate on A1 -> ok, the run A made');
SELECT is(project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001')->'data'->>'id', :'a_generate'::jsonb->'data'->>'id',
          'anon with A''s sub, projects visible: that run is the one A generated');
SELECT is(project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v-anon')->'data'->>'status', 'succeeded',
          'anon with A''s sub, projects visible: generate for a new pipeline version runs it to succeeded');
SELECT is(project_runs_generate('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v-anon')->>'created', 'false',
          'anon with A''s sub, projects visible: generate again -> created false');
SELECT is(project_runs_generate('b1b1b1b1-0000-4000-8000-000000000001')->'error'->>'code', 'PROJECT_NOT_FOUND',
          'anon with A''s sub, projects visible: generate on B1 -> PROJECT_NOT_FOUND');
SELECT pg_temp.sql_editor();
DROP POLICY "anon with a user's claims reads that user's projects" ON public.projects;

-- ---------------------------------------------------------------------------
-- service_role sees and writes everything, and the triggers still bind it.
-- ---------------------------------------------------------------------------
SELECT pg_temp.request('service_role', '{"role": "service_role"}');
SELECT is(project_runs_set_running(:'b_queued')->'data'->>'status', 'running', 'service_role: set_running on B''s run');
SELECT throws_ok(format('UPDATE project_runs SET status = %L WHERE id = %L', 'running', :'a_succeeded'), 'PR002', NULL,
                 'service_role: UPDATE of a succeeded run -> PR002');
SELECT throws_ok(format('UPDATE project_runs SET output = %L WHERE id = %L', '{"rewritten": true}', :'a_succeeded'), 'PR002', NULL,
                 'service_role: UPDATE of a succeeded run''s output -> PR002');
SELECT throws_ok($$INSERT INTO project_runs (project_id, input_version, pipeline_version, status, output)
                   VALUES ('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v1', 'succeeded', '{}')$$, 'PR005', NULL,
                 'service_role: INSERT of a succeeded run -> PR005');
-- service_role has no DELETE or TRUNCATE privilege: refused before the
-- triggers (which would refuse with PR006 / PR007, see the SQL editor below).
SELECT throws_ok(format('DELETE FROM project_runs WHERE id = %L', :'a_queued'), '42501', NULL,
                 'service_role: DELETE of a run -> 42501 permission denied');
SELECT throws_ok('TRUNCATE project_runs', '42501', NULL, 'service_role: TRUNCATE project_runs -> 42501 permission denied');
SELECT throws_ok('TRUNCATE project_run_events', '42501', NULL, 'service_role: TRUNCATE project_run_events -> 42501 permission denied');

-- ---------------------------------------------------------------------------
-- The SQL editor (superuser, owner): bypasses RLS, still bound by the triggers.
-- ---------------------------------------------------------------------------
SELECT pg_temp.sql_editor();
SELECT throws_ok(format('UPDATE project_runs SET status = %L WHERE id = %L', 'running', :'a_succeeded'), 'PR002', NULL,
                 'SQL editor: UPDATE of a succeeded run -> PR002');
SELECT throws_ok(format('DELETE FROM project_runs WHERE id = %L', :'a_queued'), 'PR006', NULL, 'SQL editor: DELETE of a run -> PR006');
SELECT throws_ok('TRUNCATE project_runs', 'PR007', NULL, 'SQL editor: TRUNCATE project_runs -> PR007');
SELECT throws_ok('TRUNCATE project_run_events', 'PR007', NULL, 'SQL editor: TRUNCATE project_run_events -> PR007');
-- What B and anon tried changed nothing of A's.
SELECT is((SELECT status::text || ' ' || metrics::text FROM project_runs WHERE id = :'a_queued'), 'queued {"through": "table"}',
          'A''s queued run is as A left it');
SELECT is((SELECT count(*)::int FROM project_runs WHERE project_id = 'a1a1a1a1-0000-4000-8000-000000000001'), 6,
          'A1 has its 2 fixture runs + create + generate + the table insert + anon''s generate with A''s sub, nothing from B');
SELECT is((SELECT count(*)::int FROM project_runs WHERE project_id = 'b1b1b1b1-0000-4000-8000-000000000001'), 2,
          'B1 has its fixture run and B''s fresh-key run');

SELECT * FROM finish();
ROLLBACK;
