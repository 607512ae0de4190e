-- 01_rls_read: who sees which runs and events (row-level security), through the tables and through the functions.
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
