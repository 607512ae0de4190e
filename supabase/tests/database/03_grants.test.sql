-- 03_grants: exact table and function privileges for anon, authenticated, service_role and PUBLIC; volatility; comments; RLS as installed.
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

-- The privileges a role holds on a table (directly, through PUBLIC or a
-- role it belongs to), in a fixed order.
CREATE FUNCTION pg_temp.table_privs(role text, tbl regclass) RETURNS text[] LANGUAGE sql STABLE AS $f$
    SELECT coalesce(array_agg(p ORDER BY n), '{}')
    FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) WITH ORDINALITY t(p, n)
    WHERE has_table_privilege(role, tbl, p)
$f$;
-- Column privileges a role holds on any column of a table.
CREATE FUNCTION pg_temp.column_privs(role text, tbl regclass) RETURNS text[] LANGUAGE sql STABLE AS $f$
    SELECT coalesce(array_agg(p ORDER BY n), '{}')
    FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) WITH ORDINALITY t(p, n)
    WHERE has_any_column_privilege(role, tbl, p)
$f$;
-- Runs a one-value query in a read-only transaction, as PostgREST runs
-- GET /rpc (in a subtransaction that is rolled back, so the rest of the test
-- stays read-write); returns the value as text, or 'ERROR <SQLSTATE>: <message>'.
CREATE FUNCTION pg_temp.read_only(query text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    result text;
    state text;
    message text;
BEGIN
    BEGIN
        PERFORM set_config('transaction_read_only', 'on', true);
        EXECUTE query INTO result;
        RAISE EXCEPTION USING ERRCODE = 'PRTOK', MESSAGE = coalesce(result, '<null>');
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
        RETURN CASE WHEN state = 'PRTOK' THEN message ELSE 'ERROR ' || state || ': ' || message END;
    END;
END
$f$;
-- The extension's functions.
CREATE FUNCTION pg_temp.extension_functions() RETURNS SETOF regprocedure LANGUAGE sql STABLE AS $f$
    SELECT p.oid::regprocedure
    FROM pg_proc p
    JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'project_runs'
$f$;

SELECT plan(70);

-- ---------------------------------------------------------------------------
-- Table privileges: exactly these, although Supabase's default privileges
-- granted ALL on every new table in public to anon, authenticated and
-- service_role when the extension created its tables.
-- ---------------------------------------------------------------------------
SELECT is(pg_temp.table_privs('anon', 'project_runs'), '{}', 'anon: no privilege on project_runs');
SELECT is(pg_temp.table_privs('authenticated', 'project_runs'), '{SELECT,INSERT,UPDATE}', 'authenticated: SELECT, INSERT, UPDATE on project_runs');
SELECT is(pg_temp.table_privs('service_role', 'project_runs'), '{SELECT,INSERT,UPDATE}', 'service_role: SELECT, INSERT, UPDATE on project_runs');
SELECT is(pg_temp.table_privs('public', 'project_runs'), '{}', 'PUBLIC: no privilege on project_runs');
SELECT is(pg_temp.table_privs('anon', 'project_run_events'), '{}', 'anon: no privilege on project_run_events');
SELECT is(pg_temp.table_privs('authenticated', 'project_run_events'), '{SELECT}', 'authenticated: only SELECT on project_run_events (the trigger appends events)');
SELECT is(pg_temp.table_privs('service_role', 'project_run_events'), '{SELECT}', 'service_role: only SELECT on project_run_events (the trigger appends events)');
SELECT is(pg_temp.table_privs('public', 'project_run_events'), '{}', 'PUBLIC: no privilege on project_run_events');
-- The settings and the registered steps: readable by every role (the
-- functions run as the caller and read them), written by the owner only.
SELECT is(pg_temp.table_privs('anon', 'project_runs_settings'), '{SELECT}', 'anon: only SELECT on project_runs_settings');
SELECT is(pg_temp.table_privs('authenticated', 'project_runs_settings'), '{SELECT}', 'authenticated: only SELECT on project_runs_settings');
SELECT is(pg_temp.table_privs('service_role', 'project_runs_settings'), '{SELECT}', 'service_role: only SELECT on project_runs_settings');
SELECT is(pg_temp.table_privs('public', 'project_runs_settings'), '{SELECT}', 'PUBLIC: only SELECT on project_runs_settings');
SELECT is(pg_temp.table_privs('anon', 'project_runs_pipeline_steps'), '{SELECT}', 'anon: only SELECT on project_runs_pipeline_steps');
SELECT is(pg_temp.table_privs('authenticated', 'project_runs_pipeline_steps'), '{SELECT}', 'authenticated: only SELECT on project_runs_pipeline_steps');
SELECT is(pg_temp.table_privs('service_role', 'project_runs_pipeline_steps'), '{SELECT}', 'service_role: only SELECT on project_runs_pipeline_steps');
SELECT is(pg_temp.table_privs('public', 'project_runs_pipeline_steps'), '{SELECT}', 'PUBLIC: only SELECT on project_runs_pipeline_steps');
-- No column-level grant reopens what the table-level grants close.
SELECT is(pg_temp.column_privs('anon', 'project_runs'), '{}', 'anon: no column privilege on project_runs');
SELECT is(pg_temp.column_privs('public', 'project_runs'), '{}', 'PUBLIC: no column privilege on project_runs');
SELECT is(pg_temp.column_privs('anon', 'project_run_events'), '{}', 'anon: no column privilege on project_run_events');
SELECT is(pg_temp.column_privs('public', 'project_run_events'), '{}', 'PUBLIC: no column privilege on project_run_events');
SELECT is(pg_temp.column_privs('authenticated', 'project_run_events'), '{SELECT}', 'authenticated: no INSERT or UPDATE on any column of project_run_events');
SELECT is(pg_temp.column_privs('service_role', 'project_runs'), '{SELECT,INSERT,UPDATE}', 'service_role: no REFERENCES on any column of project_runs');

-- ---------------------------------------------------------------------------
-- Function privileges: the API is callable by the API roles; the purge only
-- by its owner (and superusers).
-- ---------------------------------------------------------------------------
SELECT is(has_function_privilege('anon', 'project_runs_purge(uuid)', 'EXECUTE'), false, 'anon: no EXECUTE on project_runs_purge');
SELECT is(has_function_privilege('authenticated', 'project_runs_purge(uuid)', 'EXECUTE'), false, 'authenticated: no EXECUTE on project_runs_purge');
SELECT is(has_function_privilege('service_role', 'project_runs_purge(uuid)', 'EXECUTE'), false, 'service_role: no EXECUTE on project_runs_purge');
SELECT is(has_function_privilege('public', 'project_runs_purge(uuid)', 'EXECUTE'), false, 'PUBLIC: no EXECUTE on project_runs_purge');
SELECT is(has_function_privilege(current_user, 'project_runs_purge(uuid)', 'EXECUTE'), true, 'the owner may EXECUTE project_runs_purge');
SELECT is((SELECT array_agg(r ORDER BY r) FROM unnest(ARRAY['anon', 'authenticated', 'service_role', 'public']) r
           WHERE has_function_privilege(r, 'project_runs_debug_state()', 'EXECUTE')), NULL,
          'no API role (nor PUBLIC) may EXECUTE the test diagnostics project_runs_debug_state');
SELECT is((SELECT proowner::regrole::text FROM pg_proc WHERE oid = 'project_runs_purge(uuid)'::regprocedure), current_user::text,
          'project_runs_purge is owned by the role that created the extension');
SELECT is((SELECT array_agg(f::text ORDER BY f::text) FROM unnest(ARRAY[
               'project_runs_create(uuid,integer,text,text)', 'project_runs_get_by_idempotency_key(text)',
               'project_runs_set_running(uuid)', 'project_runs_set_succeeded(uuid,jsonb,jsonb)',
               'project_runs_set_failed(uuid,text,text,jsonb,jsonb)', 'project_runs_update_metrics(uuid,jsonb)',
               'project_runs_latest(uuid)', 'project_runs_list(uuid,integer,timestamp with time zone)',
               'project_runs_generate(uuid,integer,text)', 'project_runs_dashboard()', 'project_runs_current_user_id()',
               'project_runs_http_status(text)']::regprocedure[]) f
           CROSS JOIN unnest(ARRAY['anon', 'authenticated', 'service_role']) r
           WHERE NOT has_function_privilege(r, f, 'EXECUTE')), NULL,
          'anon, authenticated and service_role may EXECUTE every API function');
SELECT is((SELECT array_agg(f::text ORDER BY f::text) FROM pg_temp.extension_functions() f
           JOIN pg_proc p ON p.oid = f WHERE p.prosecdef), NULL,
          'no function of the extension is SECURITY DEFINER (they run as the caller, so RLS applies)');

-- ---------------------------------------------------------------------------
-- Volatility: PostgREST runs GET /rpc in a read-only transaction, which only
-- STABLE / IMMUTABLE functions may be called in; the writers are VOLATILE.
-- ---------------------------------------------------------------------------
SELECT is(provolatile::text, 's', 'project_runs_latest is STABLE') FROM pg_proc WHERE oid = 'project_runs_latest(uuid)'::regprocedure;
SELECT is(provolatile::text, 's', 'project_runs_list is STABLE') FROM pg_proc WHERE oid = 'project_runs_list(uuid,integer,timestamptz)'::regprocedure;
SELECT is(provolatile::text, 's', 'project_runs_get_by_idempotency_key is STABLE') FROM pg_proc WHERE oid = 'project_runs_get_by_idempotency_key(text)'::regprocedure;
SELECT is(provolatile::text, 's', 'project_runs_dashboard is STABLE') FROM pg_proc WHERE oid = 'project_runs_dashboard()'::regprocedure;
SELECT is(provolatile::text, 's', 'project_runs_current_user_id is STABLE') FROM pg_proc WHERE oid = 'project_runs_current_user_id()'::regprocedure;
SELECT is(provolatile::text, 'v', 'project_runs_create is VOLATILE') FROM pg_proc WHERE oid = 'project_runs_create(uuid,integer,text,text)'::regprocedure;
SELECT is(provolatile::text, 'v', 'project_runs_set_running is VOLATILE') FROM pg_proc WHERE oid = 'project_runs_set_running(uuid)'::regprocedure;
SELECT is(provolatile::text, 'v', 'project_runs_set_succeeded is VOLATILE') FROM pg_proc WHERE oid = 'project_runs_set_succeeded(uuid,jsonb,jsonb)'::regprocedure;
SELECT is(provolatile::text, 'v', 'project_runs_set_failed is VOLATILE') FROM pg_proc WHERE oid = 'project_runs_set_failed(uuid,text,text,jsonb,jsonb)'::regprocedure;
SELECT is(provolatile::text, 'v', 'project_runs_update_metrics is VOLATILE') FROM pg_proc WHERE oid = 'project_runs_update_metrics(uuid,jsonb)'::regprocedure;
SELECT is(provolatile::text, 'v', 'project_runs_generate is VOLATILE') FROM pg_proc WHERE oid = 'project_runs_generate(uuid,integer,text)'::regprocedure;
SELECT is(provolatile::text, 'v', 'project_runs_purge is VOLATILE') FROM pg_proc WHERE oid = 'project_runs_purge(uuid)'::regprocedure;
-- And the read-only transaction of a GET really accepts the readers.
SELECT pg_temp.request('authenticated', '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "authenticated"}');
SELECT is(pg_temp.read_only($$SELECT project_runs_latest('a1a1a1a1-0000-4000-8000-000000000001')->'data'->>'id'$$), :'a_succeeded',
          'A: latest answers in a read-only transaction (GET /rpc)');
SELECT is(pg_temp.read_only($$SELECT jsonb_array_length(project_runs_list('a1a1a1a1-0000-4000-8000-000000000001')->'data')$$), '2',
          'A: list answers in a read-only transaction (GET /rpc)');
SELECT is(pg_temp.read_only($$SELECT project_runs_get_by_idempotency_key('key-a-queued')->'data'->>'id'$$), :'a_queued',
          'A: get_by_idempotency_key answers in a read-only transaction (GET /rpc)');
SELECT is(pg_temp.read_only($$SELECT jsonb_array_length(project_runs_dashboard()->'data')$$), '2',
          'A: dashboard answers in a read-only transaction (GET /rpc)');
SELECT is(pg_temp.read_only($$SELECT project_runs_current_user_id()$$), 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
          'A: current_user_id answers in a read-only transaction (GET /rpc)');
SELECT matches(pg_temp.read_only($$SELECT project_runs_create('a1a1a1a1-0000-4000-8000-000000000001', 1, 'v-ro')$$), '^ERROR 25006',
               'A: create is refused in a read-only transaction (VOLATILE, POST only)');
SELECT pg_temp.sql_editor();

-- ---------------------------------------------------------------------------
-- Every function has a COMMENT whose first line is a summary.
-- ---------------------------------------------------------------------------
SELECT isnt(btrim(split_part(obj_description(f, 'pg_proc'), E'\n', 1)), '', 'COMMENT ON FUNCTION ' || f::text || ' starts with a summary line')
FROM unnest(ARRAY[
    'project_runs_create(uuid,integer,text,text)', 'project_runs_get_by_idempotency_key(text)',
    'project_runs_set_running(uuid)', 'project_runs_set_succeeded(uuid,jsonb,jsonb)',
    'project_runs_set_failed(uuid,text,text,jsonb,jsonb)', 'project_runs_update_metrics(uuid,jsonb)',
    'project_runs_latest(uuid)', 'project_runs_list(uuid,integer,timestamp with time zone)',
    'project_runs_generate(uuid,integer,text)', 'project_runs_dashboard()', 'project_runs_current_user_id()',
    'project_runs_http_status(text)', 'project_runs_merge_metrics(jsonb,jsonb)', 'project_runs_purge(uuid)']::regprocedure[]) f;
SELECT is((SELECT array_agg(f::text ORDER BY f::text) FROM pg_temp.extension_functions() f JOIN pg_proc p ON p.oid = f
           WHERE p.prorettype <> 'trigger'::regtype
             AND coalesce(btrim(split_part(obj_description(f, 'pg_proc'), E'\n', 1)), '') = ''), NULL,
          'every non-trigger function of the extension has a COMMENT with a summary line');

-- ---------------------------------------------------------------------------
-- Row-level security as installed.
-- ---------------------------------------------------------------------------
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'project_runs'::regclass), true, 'RLS is enabled on project_runs');
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'project_run_events'::regclass), true, 'RLS is enabled on project_run_events');
SELECT is((SELECT array_agg(cmd ORDER BY cmd) FROM pg_policies WHERE schemaname = 'public' AND tablename = 'project_runs'),
          ARRAY['INSERT', 'SELECT', 'UPDATE']::text[], 'project_runs: policies for SELECT, INSERT, UPDATE; none for DELETE or ALL');
SELECT is((SELECT array_agg(cmd ORDER BY cmd) FROM pg_policies WHERE schemaname = 'public' AND tablename = 'project_run_events'),
          ARRAY['SELECT']::text[], 'project_run_events: a policy for SELECT only; none for INSERT, UPDATE, DELETE or ALL');
SELECT is((SELECT count(*)::int FROM pg_policies WHERE schemaname = 'public' AND tablename IN ('project_runs', 'project_run_events')
             AND permissive <> 'PERMISSIVE'), 0, 'the policies are permissive');
SELECT is((SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'), true, 'service_role bypasses RLS (as on Supabase)');

SELECT * FROM finish();
ROLLBACK;
