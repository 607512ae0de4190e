-- The C++ boundary: a C++ exception and a Postgres ERROR forced inside a
-- function and inside a trigger. Each becomes an ERROR with the right
-- SQLSTATE, the C++ objects of the failing frame are destroyed, and the
-- session goes on working.
\set alpha '''00000000-0000-4000-8000-00000000000a'''

-- Reports the SQLSTATE and message of a statement that fails.
CREATE FUNCTION sqlstate_of(statement text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

SELECT project_runs_version() IS NOT NULL AS module_loaded;

-- Only superusers may set the fault.
CREATE ROLE boundary_user;
SET ROLE boundary_user;
SET project_runs.fault_injection = 'function_cpp_exception';
RESET ROLE;
DROP ROLE boundary_user;

-- A C++ exception in a function: XX000, session usable, nothing leaked.
SET project_runs.fault_injection = 'function_cpp_exception';
SELECT project_runs_latest(:alpha);
SELECT sqlstate_of($$SELECT project_runs_latest('00000000-0000-4000-8000-00000000000a')$$);
RESET project_runs.fault_injection;
SELECT project_runs_debug_state();
SELECT brief(project_runs_latest(:alpha));

-- A Postgres ERROR in a function: its SQLSTATE (22012) survives.
SET project_runs.fault_injection = 'function_pg_error';
SELECT project_runs_create(:alpha, 1, 'v1');
SELECT sqlstate_of($$SELECT project_runs_create('00000000-0000-4000-8000-00000000000a', 1, 'v1')$$);
RESET project_runs.fault_injection;
SELECT project_runs_debug_state();

-- The same inside a trigger, reached through a plain INSERT and through a
-- function.
SELECT count(*) AS runs_before FROM project_runs \gset
SET project_runs.fault_injection = 'trigger_cpp_exception';
INSERT INTO project_runs (project_id, pipeline_version) VALUES (:alpha, 'v1');
SELECT sqlstate_of($$SELECT project_runs_create('00000000-0000-4000-8000-00000000000a', 1, 'v1')$$);
SET project_runs.fault_injection = 'trigger_pg_error';
INSERT INTO project_runs (project_id, pipeline_version) VALUES (:alpha, 'v1');
SELECT sqlstate_of($$SELECT project_runs_create('00000000-0000-4000-8000-00000000000a', 1, 'v1')$$);
RESET project_runs.fault_injection;
SELECT project_runs_debug_state();
SELECT count(*) - :runs_before AS runs_written FROM project_runs;

-- A fault in the middle of a transaction rolls back only that statement
-- when a savepoint guards it, and the transaction goes on.
BEGIN;
SELECT brief(project_runs_create(:alpha, 1, 'v1', 'boundary:1'));
SAVEPOINT before_fault;
SET LOCAL project_runs.fault_injection = 'trigger_pg_error';
SELECT (project_runs_get_by_idempotency_key('boundary:1')->'data'->>'id')::uuid AS run \gset
SELECT project_runs_set_running(:'run');
ROLLBACK TO before_fault;
SELECT brief(project_runs_set_running(:'run'));
COMMIT;
SELECT project_runs_debug_state();
SELECT string_agg(coalesce(from_status::text, '-') || '>' || to_status, ' ' ORDER BY at, to_status) AS events
FROM project_run_events WHERE run_id = :'run';

-- A missing projects table: CONFIG from the functions, PR010 from the
-- trigger, and the session goes on once it is back.
BEGIN;
ALTER TABLE projects RENAME TO projects_moved;
SELECT brief(project_runs_create(:alpha, 1, 'v1'));
-- every call that reads or writes runs, even of a run that exists
SELECT fn, brief(result) FROM (VALUES
    ('get_by_idempotency_key', project_runs_get_by_idempotency_key('boundary:1')),
    ('set_running', project_runs_set_running(:'run')),
    ('set_succeeded', project_runs_set_succeeded(:'run', '{}')),
    ('set_failed', project_runs_set_failed(:'run', 'E', 'm')),
    ('update_metrics', project_runs_update_metrics(:'run', '{}')),
    ('latest', project_runs_latest(:alpha)),
    ('list', project_runs_list(:alpha)),
    ('generate', project_runs_generate(:alpha)),
    ('dashboard', project_runs_dashboard())) AS c(fn, result);
SELECT sqlstate_of($$INSERT INTO project_runs (project_id, pipeline_version) VALUES ('00000000-0000-4000-8000-00000000000a', 'v1')$$);
ROLLBACK;
SELECT brief(project_runs_create(:alpha, 1, 'v1')) AS works_again;

-- A fault while a function reads runs as the ledger's owner (latest and
-- list do, once the caller's project is found visible; the dashboard when
-- it leaves its last runs to a statement): the error comes back with its
-- SQLSTATE, the caller's role and row-level security are back, and the
-- next call works.
CREATE ROLE boundary_reader;
GRANT SELECT ON projects, project_runs TO boundary_reader;
SET request.jwt.claim.sub = '00000000-0000-4000-8000-0000000000a1';
SET project_runs.fault_injection = 'owner_scope_pg_error';
SET ROLE boundary_reader;
SELECT sqlstate_of($$SELECT project_runs_latest('00000000-0000-4000-8000-00000000000a')$$);
SELECT project_runs_latest(:alpha);
SELECT current_user, count(*) FILTER (WHERE project_id <> :alpha) AS other_projects_runs_seen
FROM project_runs;
RESET ROLE;
SET project_runs.fault_injection = 'owner_scope_cpp_exception';
SET ROLE boundary_reader;
SELECT sqlstate_of($$SELECT project_runs_list('00000000-0000-4000-8000-00000000000a')$$);
SELECT current_user, count(*) FILTER (WHERE project_id <> :alpha) AS other_projects_runs_seen
FROM project_runs;
RESET ROLE;
RESET project_runs.fault_injection;
SELECT project_runs_debug_state();
SET ROLE boundary_reader;
SELECT brief(project_runs_latest(:alpha)) AS latest,
       jsonb_array_length(project_runs_list(:alpha)->'data') > 0 AS list_has_runs,
       jsonb_path_query_array(project_runs_dashboard(), '$.data[*].name') AS dashboard;
RESET ROLE;
RESET request.jwt.claim.sub;
SELECT count(*) FILTER (WHERE project_id <> :alpha) > 0 AS owner_sees_other_projects FROM project_runs;
REVOKE ALL ON projects, project_runs FROM boundary_reader;
DROP ROLE boundary_reader;

-- A fault while the dashboard holds a leaf page of the ledger's index, in a
-- subtransaction and at the top level: the error comes back with its
-- SQLSTATE, the page's lock and pin go with it (the next calls would wait
-- or warn otherwise), and the next call works.
SET project_runs.fault_injection = 'index_read_pg_error';
SELECT sqlstate_of($$SELECT project_runs_dashboard()$$);
SET project_runs.fault_injection = 'index_read_cpp_exception';
SELECT sqlstate_of($$SELECT project_runs_dashboard()$$);
SELECT project_runs_dashboard();
RESET project_runs.fault_injection;
SELECT (project_runs_dashboard()->>'ok')::bool AS dashboard_works_again,
       brief(project_runs_create(:alpha, 1, 'v1')) AS writes_work;

-- A long idempotency key is quoted in a message by its first 100 bytes or
-- so, whole characters, then "..." (and any message longer than the 1 kB
-- the boundary keeps is cut between characters): the message stays valid
-- text, so a run failed with it can be stored, dumped and restored.
CREATE FUNCTION long_message() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_runs (project_id, input_version, pipeline_version, idempotency_key)
    VALUES ('00000000-0000-4000-8000-00000000000a', 1, 'p',
            '00000000-0000-4000-8000-00000000000a:1:' || repeat('é', 600));
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLERRM;
END $$;
SELECT octet_length(m) < 300 AS short, m ~ '^idempotency key "[^"]*é\.\.\." is project_runs_generate' AS key_cut,
       convert_from(convert_to(m, 'UTF8'), 'UTF8') = m AS valid_utf8
FROM long_message() m;
DROP FUNCTION long_message();

-- A run's output that cannot be stored (beyond jsonb's limits, forced here
-- at that spot) fails the run at its last step, as a result: generate does
-- not raise. A later call retries the key as a new attempt.
BEGIN;
INSERT INTO project_inputs (project_id, version, status, input_json)
VALUES (:alpha, 900, 'final', '{"topic": "boundary"}');
CREATE FUNCTION generate_brief(r jsonb) RETURNS TABLE (ok text, code text, step text, sqlstate text,
                                                      message text, status text, attempt int, steps text)
LANGUAGE sql AS $$
SELECT r->>'ok', r#>>'{error,code}', r#>>'{error,detail,step}', r#>>'{error,detail,sqlstate}',
       r#>>'{error,message}', r#>>'{data,status}', (r#>>'{data,attempt}')::int,
       (SELECT string_agg((s->>'name') || '=' || (s->>'status'), ' ')
        FROM jsonb_array_elements(r#>'{data,metrics,steps}') s)
$$;
SET project_runs.fault_injection = 'output_pg_error';
SELECT * FROM generate_brief(project_runs_generate(:alpha, 900, 'boundary.output'));
SET project_runs.fault_injection = 'output_cpp_exception';
SELECT * FROM generate_brief(project_runs_generate(:alpha, 900, 'boundary.output'));
RESET project_runs.fault_injection;
SELECT * FROM generate_brief(project_runs_generate(:alpha, 900, 'boundary.output'));
SELECT r.attempt, string_agg(coalesce(e.from_status::text, '-') || '>' || e.to_status, ' '
                             ORDER BY e.at, e.to_status) AS events
FROM project_runs r JOIN project_run_events e ON e.run_id = r.id
WHERE r.pipeline_version = 'boundary.output' GROUP BY r.attempt ORDER BY r.attempt;
-- An output of 16 MB or more as text is converted in a subtransaction: a
-- real one (about 18 MB) is kept, and the run succeeds.
INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT :alpha, 901, 'final', jsonb_object_agg(lpad(g::text, 10, '0') || repeat('k', 90), g)
FROM generate_series(1, 48000) g;
SELECT r->>'ok' AS ok, r#>>'{data,status}' AS status,
       octet_length((r#>'{data,output}')::text) > 16 * 1024 * 1024 AS output_over_16_mb
FROM project_runs_generate(:alpha, 901, 'boundary.output') r;
-- A step's error message is kept up to 2,000 bytes, whole characters.
CREATE FUNCTION long_raise(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', repeat('é', 5000); END $$;
INSERT INTO project_runs_pipeline_steps VALUES ('boundary.long', 'collect_evidence', 'long_raise(uuid,jsonb,jsonb)');
SELECT octet_length(m) AS bytes, right(m, 4) AS ending, convert_from(convert_to(m, 'UTF8'), 'UTF8') = m AS valid
FROM (SELECT project_runs_generate(:alpha, 900, 'boundary.long')#>>'{error,detail,message}' AS m) s;
ROLLBACK;
