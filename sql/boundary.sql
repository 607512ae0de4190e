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
SELECT string_agg(coalesce(from_status::text, '-') || '>' || to_status, ' ' ORDER BY at) AS events
FROM project_run_events WHERE run_id = :'run';

-- A missing projects table: CONFIG from the functions, PR010 from the
-- trigger, and the session goes on once it is back.
BEGIN;
ALTER TABLE projects RENAME TO projects_moved;
SELECT brief(project_runs_create(:alpha, 1, 'v1'));
SELECT sqlstate_of($$INSERT INTO project_runs (project_id, pipeline_version) VALUES ('00000000-0000-4000-8000-00000000000a', 'v1')$$);
ROLLBACK;
SELECT brief(project_runs_create(:alpha, 1, 'v1')) AS works_again;
