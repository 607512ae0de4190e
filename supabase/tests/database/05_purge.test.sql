-- 05_purge: project_runs_purge is the owner's only; it erases exactly one project's runs and events.
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
