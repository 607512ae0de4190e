-- The rules the triggers enforce for every role: superusers, ordinary
-- roles, and sessions with session_replication_role = replica. Each
-- violation has its own SQLSTATE.
\set alpha '''00000000-0000-4000-8000-00000000000a'''
\set nobody '''00000000-0000-4000-8000-00000000dead'''

CREATE TABLE fixture (name text PRIMARY KEY, run uuid);
-- Makes a run in the given state through the functions.
CREATE FUNCTION make_run(name text, target text) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    run uuid := (project_runs_create('00000000-0000-4000-8000-00000000000a', 1, 'inv')->'data'->>'id')::uuid;
BEGIN
    IF target IN ('running', 'succeeded') THEN PERFORM project_runs_set_running(run); END IF;
    IF target = 'succeeded' THEN PERFORM project_runs_set_succeeded(run, '{"n": 1}'); END IF;
    IF target = 'failed' THEN PERFORM project_runs_set_failed(run, 'E', 'boom'); END IF;
    INSERT INTO fixture VALUES (name, run);
    RETURN run;
END
$$;
SELECT make_run('queued', 'queued') IS NOT NULL, make_run('running', 'running') IS NOT NULL,
       make_run('succeeded', 'succeeded') IS NOT NULL, make_run('failed', 'failed') IS NOT NULL;

-- The checks, run once per kind of session below.
CREATE FUNCTION check_rules() RETURNS TABLE (rule text, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    q uuid := (SELECT run FROM fixture WHERE name = 'queued');
    r uuid := (SELECT run FROM fixture WHERE name = 'running');
    s uuid := (SELECT run FROM fixture WHERE name = 'succeeded');
    f uuid := (SELECT run FROM fixture WHERE name = 'failed');
BEGIN
    rule := 'insert as succeeded';
    outcome := expect_error(format($q$INSERT INTO project_runs (project_id, pipeline_version, status) VALUES (%L, 'v', 'succeeded')$q$, '00000000-0000-4000-8000-00000000000a')); RETURN NEXT;
    rule := 'insert with an id';
    outcome := expect_error(format($q$INSERT INTO project_runs (id, project_id, pipeline_version) VALUES (gen_random_uuid(), %L, 'v')$q$, '00000000-0000-4000-8000-00000000000a')); RETURN NEXT;
    rule := 'insert with created_at';
    outcome := expect_error(format($q$INSERT INTO project_runs (created_at, project_id, pipeline_version) VALUES (now(), %L, 'v')$q$, '00000000-0000-4000-8000-00000000000a')); RETURN NEXT;
    rule := 'insert with started_at';
    outcome := expect_error(format($q$INSERT INTO project_runs (started_at, project_id, pipeline_version) VALUES (now(), %L, 'v')$q$, '00000000-0000-4000-8000-00000000000a')); RETURN NEXT;
    rule := 'insert with output';
    outcome := expect_error(format($q$INSERT INTO project_runs (output, project_id, pipeline_version) VALUES ('{}', %L, 'v')$q$, '00000000-0000-4000-8000-00000000000a')); RETURN NEXT;
    rule := 'insert with an error_code';
    outcome := expect_error(format($q$INSERT INTO project_runs (error_code, project_id, pipeline_version) VALUES ('E', %L, 'v')$q$, '00000000-0000-4000-8000-00000000000a')); RETURN NEXT;
    rule := 'insert with attempt 5';
    outcome := expect_error(format($q$INSERT INTO project_runs (attempt, project_id, pipeline_version) VALUES (5, %L, 'v')$q$, '00000000-0000-4000-8000-00000000000a')); RETURN NEXT;
    rule := 'insert for a missing project';
    outcome := expect_error($q$INSERT INTO project_runs (project_id, pipeline_version) VALUES ('00000000-0000-4000-8000-00000000dead', 'v')$q$); RETURN NEXT;
    rule := 'queued -> succeeded';
    outcome := expect_error(format($q$UPDATE project_runs SET status = 'succeeded', output = '{}' WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'running -> queued';
    outcome := expect_error(format($q$UPDATE project_runs SET status = 'queued' WHERE id = %L$q$, r)); RETURN NEXT;
    rule := 'succeeded -> running';
    outcome := expect_error(format($q$UPDATE project_runs SET status = 'running' WHERE id = %L$q$, s)); RETURN NEXT;
    rule := 'failed -> queued';
    outcome := expect_error(format($q$UPDATE project_runs SET status = 'queued' WHERE id = %L$q$, f)); RETURN NEXT;
    rule := 'metrics of a succeeded run';
    outcome := expect_error(format($q$UPDATE project_runs SET metrics = '{"late": 1}' WHERE id = %L$q$, s)); RETURN NEXT;
    rule := 'no-op update of a failed run';
    outcome := expect_error(format($q$UPDATE project_runs SET metrics = metrics WHERE id = %L$q$, f)); RETURN NEXT;
    rule := 'change project_id';
    outcome := expect_error(format($q$UPDATE project_runs SET project_id = '00000000-0000-4000-8000-00000000000b' WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'change input_version';
    outcome := expect_error(format($q$UPDATE project_runs SET input_version = 2 WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'change pipeline_version';
    outcome := expect_error(format($q$UPDATE project_runs SET pipeline_version = 'other' WHERE id = %L$q$, r)); RETURN NEXT;
    rule := 'change idempotency_key';
    outcome := expect_error(format($q$UPDATE project_runs SET idempotency_key = 'k' WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'change created_at';
    outcome := expect_error(format($q$UPDATE project_runs SET created_at = now() - interval '1 day' WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'change attempt';
    outcome := expect_error(format($q$UPDATE project_runs SET attempt = 2 WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'change id';
    outcome := expect_error(format($q$UPDATE project_runs SET id = gen_random_uuid() WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'set started_at by hand';
    outcome := expect_error(format($q$UPDATE project_runs SET status = 'running', started_at = '2000-01-01' WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'set finished_at by hand';
    outcome := expect_error(format($q$UPDATE project_runs SET status = 'failed', error_code = 'E', finished_at = '2000-01-01' WHERE id = %L$q$, r)); RETURN NEXT;
    rule := 'failed without error_code';
    outcome := expect_error(format($q$UPDATE project_runs SET status = 'failed' WHERE id = %L$q$, r)); RETURN NEXT;
    rule := 'output on a running run';
    outcome := expect_error(format($q$UPDATE project_runs SET output = '{}' WHERE id = %L$q$, r)); RETURN NEXT;
    rule := 'error on a queued run';
    outcome := expect_error(format($q$UPDATE project_runs SET error_message = 'x' WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'metrics that are not an object';
    outcome := expect_error(format($q$UPDATE project_runs SET metrics = '[]' WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'status set to null';
    outcome := expect_error(format($q$UPDATE project_runs SET status = NULL WHERE id = %L$q$, q)); RETURN NEXT;
    rule := 'status of a succeeded run set to null';
    outcome := expect_error(format($q$UPDATE project_runs SET status = NULL WHERE id = %L$q$, s)); RETURN NEXT;
    rule := 'delete a run';
    outcome := expect_error(format($q$DELETE FROM project_runs WHERE id = %L$q$, s)); RETURN NEXT;
    rule := 'truncate runs';
    outcome := expect_error('TRUNCATE project_runs CASCADE'); RETURN NEXT;
    rule := 'insert an event';
    outcome := expect_error(format($q$INSERT INTO project_run_events VALUES (%L, '00000000-0000-4000-8000-00000000000a', 'running', 'succeeded', now())$q$, r)); RETURN NEXT;
    rule := 'update an event';
    outcome := expect_error($q$UPDATE project_run_events SET at = now()$q$); RETURN NEXT;
    rule := 'delete an event';
    outcome := expect_error($q$DELETE FROM project_run_events$q$); RETURN NEXT;
    rule := 'truncate events';
    outcome := expect_error('TRUNCATE project_run_events'); RETURN NEXT;
    rule := 'legal: metrics of a running run';
    outcome := expect_error(format($q$UPDATE project_runs SET metrics = '{"m": 1}' WHERE id = %L$q$, r)); RETURN NEXT;
END
$$;

-- As the superuser.
SELECT * FROM check_rules();

-- With session_replication_role = replica (the triggers fire ALWAYS).
SET session_replication_role = replica;
SELECT rule, outcome FROM check_rules() WHERE outcome NOT LIKE 'PR%' AND rule NOT LIKE 'legal:%';
SELECT count(*) AS refused_under_replica FROM check_rules() WHERE outcome LIKE 'PR%';
RESET session_replication_role;

-- As an ordinary role with every privilege on the tables, signed in (JWT
-- claims) as the owner of the project, so that row-level security lets it
-- reach the runs. No policy allows DELETE, and none allows UPDATE of
-- events, so those statements match no row at all (nothing changes, see
-- below) before a trigger could refuse them.
CREATE ROLE ledger_writer;
GRANT ALL ON project_runs, project_run_events, fixture, projects TO ledger_writer;
SET ROLE ledger_writer;
SET request.jwt.claim.sub = '00000000-0000-4000-8000-0000000000a1';
SELECT rule, outcome FROM check_rules() WHERE outcome NOT LIKE 'PR%' AND rule NOT LIKE 'legal:%';
SELECT count(*) AS refused_for_ordinary_role FROM check_rules() WHERE outcome LIKE 'PR%';
RESET ROLE;

-- As a role with BYPASSRLS (like Supabase's service_role): it sees every
-- run, and the triggers bind it all the same.
CREATE ROLE ledger_service BYPASSRLS;
GRANT ALL ON project_runs, project_run_events, fixture, projects TO ledger_service;
SET ROLE ledger_service;
RESET request.jwt.claim.sub;
SELECT rule, outcome FROM check_rules() WHERE outcome NOT LIKE 'PR%' AND rule NOT LIKE 'legal:%';
SELECT count(*) AS refused_for_bypassrls_role FROM check_rules() WHERE outcome LIKE 'PR%';
RESET ROLE;
REVOKE ALL ON project_runs, project_run_events, fixture, projects FROM ledger_service;
DROP ROLE ledger_service;

-- Nothing above changed a run or an event.
SELECT name, status FROM fixture JOIN project_runs ON id = run ORDER BY name;

-- An ordinary insert: queued, server-set id (UUIDv7), created_at and
-- attempt, one event.
INSERT INTO project_runs (project_id, input_version, pipeline_version, idempotency_key)
VALUES (:alpha, 1, 'inv', 'inv:direct') RETURNING status, substr(id::text, 15, 1) AS uuid_version,
    created_at IS NOT NULL AS has_created_at, attempt;
SELECT count(*) AS events FROM project_run_events e JOIN project_runs r ON r.id = e.run_id
WHERE r.idempotency_key = 'inv:direct';
-- A second one with the same key while the first is queued: refused.
SELECT expect_error($$INSERT INTO project_runs (project_id, input_version, pipeline_version, idempotency_key) VALUES ('00000000-0000-4000-8000-00000000000a', 1, 'inv', 'inv:direct')$$);
-- Once it failed, a direct insert becomes attempt 2.
UPDATE project_runs SET status = 'failed', error_code = 'E' WHERE idempotency_key = 'inv:direct';
INSERT INTO project_runs (project_id, input_version, pipeline_version, idempotency_key)
VALUES (:alpha, 1, 'inv', 'inv:direct') RETURNING attempt;
-- A run without input version can only fail.
INSERT INTO project_runs (project_id, pipeline_version, idempotency_key)
VALUES (:alpha, 'inv', 'inv:noinput');
SELECT expect_error($$UPDATE project_runs SET status = 'running' WHERE idempotency_key = 'inv:noinput'$$);
-- Through the functions: its metrics may change while it is queued, and
-- set_running answers ILLEGAL_TRANSITION instead of raising.
SELECT brief(project_runs_update_metrics((SELECT id FROM project_runs WHERE idempotency_key = 'inv:noinput'), '{"seen": 1}'));
SELECT r->'error'->>'code' AS code, regexp_replace(r->'error'->>'message', '[0-9a-f-]{36}', '<id>') AS message
FROM project_runs_set_running((SELECT id FROM project_runs WHERE idempotency_key = 'inv:noinput')) AS r;
SELECT expect_error($$UPDATE project_runs SET status = 'failed', error_code = 'NO_INPUTS' WHERE idempotency_key = 'inv:noinput'$$);

-- UUIDv7 ids are time-ordered within this backend (restored runs, pipeline
-- 'old', keep the ids they came with).
SELECT bool_and(id > lag) AS increasing FROM (
    SELECT id, lag(id) OVER (ORDER BY created_at, id) FROM project_runs
    WHERE pipeline_version <> 'old') t WHERE lag IS NOT NULL;

-- A restore session (row_security = off, superuser) may insert a complete,
-- consistent row as it is, without an event; every other rule holds.
SET row_security = off;
INSERT INTO project_runs (id, project_id, input_version, pipeline_version, status, created_at,
    started_at, finished_at, output, metrics, attempt)
VALUES ('01900000-0000-7000-8000-000000000001', :nobody, 4, 'old', 'succeeded',
    '2025-01-01 10:00', '2025-01-01 10:01', '2025-01-01 10:02', '{"kept": true}', '{}', 1);
SELECT count(*) AS events_of_restored_run FROM project_run_events
WHERE run_id = '01900000-0000-7000-8000-000000000001';
SELECT expect_error($$INSERT INTO project_runs (id, project_id, pipeline_version, status, created_at) VALUES ('01900000-0000-7000-8000-000000000002', '00000000-0000-4000-8000-00000000dead', 'old', 'succeeded', '2025-01-01')$$);
SELECT expect_error($$INSERT INTO project_runs (id, project_id, pipeline_version, status, created_at, started_at, finished_at, error_code) VALUES ('01900000-0000-7000-8000-000000000003', '00000000-0000-4000-8000-00000000dead', 'old', 'failed', '2025-01-02', '2025-01-02', '2025-01-01', 'E')$$);
SELECT expect_error($$UPDATE project_runs SET status = 'running' WHERE id = '01900000-0000-7000-8000-000000000001'$$);
SELECT expect_error($$DELETE FROM project_runs WHERE id = '01900000-0000-7000-8000-000000000001'$$);
INSERT INTO project_run_events VALUES ('01900000-0000-7000-8000-000000000001', :nobody, NULL, 'queued', '2025-01-01 10:00');
-- An ordinary insert in such a session is still an ordinary insert.
INSERT INTO project_runs (project_id, pipeline_version, idempotency_key) VALUES (:alpha, 'inv', 'inv:restore-session');
SELECT count(*) AS events FROM project_run_events e JOIN project_runs r ON r.id = e.run_id
WHERE r.idempotency_key = 'inv:restore-session';
RESET row_security;
-- Without row_security = off, the same complete row is refused.
SELECT expect_error($$INSERT INTO project_runs (id, project_id, input_version, pipeline_version, status, created_at, started_at, finished_at) VALUES ('01900000-0000-7000-8000-000000000004', '00000000-0000-4000-8000-00000000000a', 1, 'old', 'succeeded', '2025-01-01', '2025-01-01', '2025-01-01')$$);
-- Nor may an ordinary role use it.
SET ROLE ledger_writer;
SET request.jwt.claim.sub = '00000000-0000-4000-8000-0000000000a1';
SET row_security = off;
SELECT expect_error($$INSERT INTO project_runs (id, project_id, input_version, pipeline_version, status, created_at, started_at, finished_at) VALUES ('01900000-0000-7000-8000-000000000005', '00000000-0000-4000-8000-00000000000a', 1, 'old', 'succeeded', '2025-01-01', '2025-01-01', '2025-01-01')$$);
RESET row_security;
RESET request.jwt.claim.sub;
RESET ROLE;

-- The owner's purge is the one path that deletes; others may not call it.
SET ROLE ledger_writer;
SELECT expect_error($$SELECT project_runs_purge('00000000-0000-4000-8000-00000000dead')$$);
RESET ROLE;
SELECT project_runs_purge(:nobody);
SELECT count(*) AS left_runs FROM project_runs WHERE project_id = :nobody;
SELECT count(*) AS left_events FROM project_run_events WHERE project_id = :nobody;
SELECT project_runs_debug_state();
REVOKE ALL ON project_runs, project_run_events, fixture, projects FROM ledger_writer;
DROP ROLE ledger_writer;
