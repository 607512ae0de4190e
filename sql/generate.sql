-- project_runs_generate: input resolution, idempotency, retries, the
-- built-in and registered steps, and errors that come back as failed runs.
\set alpha '''00000000-0000-4000-8000-00000000000a'''
INSERT INTO projects (id, user_id, name, created_at) VALUES
    ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-0000000000d0', 'Gen', now()),
    ('00000000-0000-4000-8000-0000000000d2', '00000000-0000-4000-8000-0000000000d0', 'Drafts only', now()),
    ('00000000-0000-4000-8000-0000000000d3', '00000000-0000-4000-8000-0000000000d0', 'No inputs', now()),
    ('00000000-0000-4000-8000-0000000000d4', '00000000-0000-4000-8000-0000000000d0', 'Bad inputs', now());
\set gen '''00000000-0000-4000-8000-0000000000d1'''
\set drafts '''00000000-0000-4000-8000-0000000000d2'''
\set empty '''00000000-0000-4000-8000-0000000000d3'''
\set bad '''00000000-0000-4000-8000-0000000000d4'''
INSERT INTO project_inputs (project_id, version, status, input_json) VALUES
    (:gen, 1, 'draft', '{"hypothesis": "draft"}'),
    (:gen, 2, 'final', '{"hypothesis": "teams want reports", "market": "EU", "size": 40}'),
    (:gen, 3, 'draft', '{"hypothesis": "newer draft"}'),
    (:drafts, 1, 'draft', '{"hypothesis": "x"}'),
    (:bad, 1, 'final', '[]'),
    (:bad, 2, 'final', '{}'),
    (:bad, 3, 'final', '"text"'),
    (:bad, 4, 'final', NULL);

-- Several rows of one version (the contract does not make versions unique):
-- the newest by created_at is the input, a final row before any draft.
INSERT INTO projects (id, user_id, name, created_at) VALUES
    ('00000000-0000-4000-8000-0000000000d6', '00000000-0000-4000-8000-0000000000d0', 'Twice', now());
\set twice '''00000000-0000-4000-8000-0000000000d6'''
INSERT INTO project_inputs (project_id, version, status, input_json, created_at) VALUES
    (:twice, 1, 'final', '{"a": 1}', '2025-01-01'),
    (:twice, 1, 'final', '{"a": 1, "b": 2, "c": 3, "d": 4}', '2025-02-01'),
    (:twice, 1, 'final', '{"a": 1, "b": 2}', NULL),
    (:twice, 1, 'draft', '{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}', '2025-03-01');
SELECT r1->'data'->'output'->'summary'->'validate_inputs' AS highest_final,
       r2->'data'->'output'->'summary'->'validate_inputs' AS requested
FROM project_runs_generate(:twice) r1, project_runs_generate(:twice, 1, 'twice.v2') r2;

-- A short view of a generate result.
CREATE FUNCTION gen_brief(result jsonb) RETURNS TABLE (ok bool, created bool, code text,
    status text, input_version int, attempt int, key text)
LANGUAGE sql AS $$
    SELECT (result->>'ok')::bool, (result->>'created')::bool, result->'error'->>'code',
           result->'data'->>'status', (result->'data'->>'input_version')::int,
           (result->'data'->>'attempt')::int,
           regexp_replace(result->'data'->>'idempotency_key', '^[0-9a-f-]{36}', '<project>')
$$;

-- The highest final version is used (drafts do not count), and the run
-- goes queued -> running -> succeeded with every step recorded.
SELECT * FROM gen_brief(project_runs_generate(:gen));
SELECT (project_runs_latest(:gen)->'data'->>'id')::uuid AS run \gset
SELECT output->>'pipeline_version' AS pipeline_version, output->'input_version' AS input_version,
       output->'summary'->'validate_inputs' AS validate_inputs,
       output->'summary'->'collect_evidence'->'count' AS evidence,
       output->'summary'->'generate_opportunities'->'count' AS opportunities
FROM project_runs WHERE id = :'run';
SELECT jsonb_pretty(output->'summary'->'generate_opportunities'->'opportunities') AS opportunities
FROM project_runs WHERE id = :'run';
SELECT metrics->>'pipeline_version' AS pipeline_version FROM project_runs WHERE id = :'run';
SELECT s.name, s.status, s.error, s.started_at IS NOT NULL AS has_start,
       s.finished_at >= s.started_at AS ordered, s.duration_ms >= 0 AS has_duration
FROM project_runs r, jsonb_to_recordset(r.metrics->'steps')
    AS s(name text, status text, started_at timestamptz, finished_at timestamptz, duration_ms float8, error jsonb)
WHERE r.id = :'run';
SELECT string_agg(coalesce(from_status::text, '-') || '>' || to_status, ' ' ORDER BY at, to_status) AS events
FROM project_run_events WHERE run_id = :'run';

-- The double click: the same run comes back, nothing runs again.
SELECT * FROM gen_brief(project_runs_generate(:gen));
SELECT project_runs_generate(:gen)->'data'->>'id' = :'run' AS same_run,
       (SELECT count(*) FROM project_run_events WHERE run_id = :'run') AS events_unchanged;
-- Asking for the version explicitly is the same key.
SELECT * FROM gen_brief(project_runs_generate(:gen, 2));
SELECT count(*) AS runs FROM project_runs WHERE project_id = :gen;

-- A requested version that is a draft or missing: a failed run, INPUT_NOT_FOUND.
SELECT * FROM gen_brief(project_runs_generate(:gen, 3));
SELECT r->'error'->'detail' AS detail, r->'data'->'input_version' AS input_version,
       project_runs_http_status(r->'error'->>'code') AS http
FROM project_runs_generate(:gen, 9) AS r;

-- No final input at all: a failed run with NO_INPUTS, no input version, no key.
SELECT * FROM gen_brief(project_runs_generate(:drafts));
SELECT * FROM gen_brief(project_runs_generate(:empty));
SELECT r->'error'->>'message' AS message, project_runs_http_status(r->'error'->>'code') AS http,
       jsonb_path_query_array(r->'data'->'metrics', '$.steps[*].status') AS steps
FROM project_runs_generate(:empty) AS r;
SELECT string_agg(coalesce(e.from_status::text, '-') || '>' || e.to_status, ' ' ORDER BY e.at, e.to_status) AS events
FROM project_run_events e WHERE e.run_id = (project_runs_latest(:empty)->'data'->>'id')::uuid;
SELECT count(*) AS no_input_runs FROM project_runs WHERE project_id = :empty;

-- input_json that is not a non-empty object: INVALID_INPUTS at validate_inputs.
SELECT * FROM gen_brief(project_runs_generate(:bad, 1));
SELECT * FROM gen_brief(project_runs_generate(:bad, 2));
SELECT * FROM gen_brief(project_runs_generate(:bad, 3));
SELECT * FROM gen_brief(project_runs_generate(:bad, 4));
SELECT r->'error' AS error FROM project_runs_generate(:bad, 2) AS r;
SELECT s.name, s.status, s.error->>'message' AS error
FROM project_runs_generate(:bad, 1) AS r,
     jsonb_to_recordset(r->'data'->'metrics'->'steps') AS s(name text, status text, error jsonb);
-- Each call after a failure is a new attempt.
SELECT attempt, status, error_code FROM project_runs WHERE project_id = :bad AND input_version = 1 ORDER BY attempt;
-- An object nested deeper than the built-in steps read (200 levels) is
-- INVALID_INPUTS too; the same depth in a registered step's output fails
-- the built-in step that reads it (54000, program limit), not as a crash.
INSERT INTO project_inputs (project_id, version, status, input_json) VALUES
    (:bad, 5, 'final', ('{"a": ' || repeat('[', 300) || '1' || repeat(']', 300) || '}')::jsonb);
SELECT r->'error'->>'code' AS code, r->'data'->'error_detail' AS detail
FROM project_runs_generate(:bad, 5) AS r;
CREATE FUNCTION deep_evidence(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT ('{"evidence": ' || repeat('[', 300) || '1' || repeat(']', 300) || '}')::jsonb $$;
INSERT INTO project_runs_pipeline_steps VALUES ('deep.v1', 'collect_evidence', 'deep_evidence(uuid,jsonb,jsonb)');
SELECT r->'error'->>'code' AS code, r->'data'->'error_detail' AS detail
FROM project_runs_generate(:gen, NULL, 'deep.v1') AS r;

-- No project, or bad arguments: an error without a run.
SELECT * FROM gen_brief(project_runs_generate('00000000-0000-4000-8000-00000000dead'));
SELECT * FROM gen_brief(project_runs_generate(NULL));
SELECT * FROM gen_brief(project_runs_generate(:gen, NULL, NULL));
SELECT * FROM gen_brief(project_runs_generate(:gen, NULL, ''));
SELECT * FROM gen_brief(project_runs_generate(:gen, NULL, repeat('p', 201)));

-- Registered steps. Only a function (uuid, jsonb, jsonb) returns jsonb fits.
CREATE TABLE step_switch (fail bool, writes int DEFAULT 0);
INSERT INTO step_switch VALUES (true);
CREATE FUNCTION flaky_evidence(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE step_switch SET writes = writes + 1;
    IF (SELECT fail FROM step_switch) THEN
        RAISE EXCEPTION 'evidence service unavailable' USING ERRCODE = '58000';
    END IF;
    RETURN jsonb_build_object('evidence', jsonb_build_array(jsonb_build_object('field', 'custom')),
                              'count', 1, 'saw_step', context->>'step',
                              'saw_validate', context->'previous'->'validate_inputs');
END
$$;
CREATE FUNCTION wrong_shape(run_id uuid, input jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT input';
SELECT expect_error($$INSERT INTO project_runs_pipeline_steps VALUES ('flaky.v1', 'collect_evidence', 'wrong_shape(uuid,jsonb)')$$);
SELECT expect_error($$INSERT INTO project_runs_pipeline_steps VALUES ('flaky.v1', 'no_such_step', 'flaky_evidence(uuid,jsonb,jsonb)')$$);
INSERT INTO project_runs_pipeline_steps VALUES ('flaky.v1', 'collect_evidence', 'flaky_evidence(uuid,jsonb,jsonb)');

-- The step raises: the run fails with STEP_FAILED, its detail names the
-- step, SQLSTATE and message, later steps are skipped, the step's writes
-- are rolled back, and the call returns normally.
SELECT * FROM gen_brief(project_runs_generate(:gen, NULL, 'flaky.v1'));
SELECT r->'error'->>'message' AS message, r->'data'->'error_detail' AS detail
FROM project_runs_generate(:gen, NULL, 'flaky.v1') AS r;
SELECT s.name, s.status, s.error
FROM project_runs r, jsonb_to_recordset(r.metrics->'steps') AS s(name text, status text, error jsonb)
WHERE r.project_id = :gen AND r.pipeline_version = 'flaky.v1' AND r.attempt = 1;
SELECT writes AS kept_writes FROM step_switch;
-- Once the step works, the retry succeeds as attempt 3, and then is reused.
UPDATE step_switch SET fail = false;
SELECT * FROM gen_brief(project_runs_generate(:gen, NULL, 'flaky.v1'));
SELECT * FROM gen_brief(project_runs_generate(:gen, NULL, 'flaky.v1'));
SELECT output->'summary'->'collect_evidence' AS evidence,
       output->'summary'->'generate_opportunities' AS opportunities
FROM project_runs WHERE project_id = :gen AND pipeline_version = 'flaky.v1' AND status = 'succeeded';
SELECT writes AS kept_writes FROM step_switch;
SELECT attempt, status FROM project_runs WHERE project_id = :gen AND pipeline_version = 'flaky.v1' ORDER BY attempt;

-- A registered function is checked again when its step runs: one that
-- went in while the registry's trigger was disabled (by the table's owner)
-- or that was dropped since fails as a step, never called with arguments
-- it does not take.
BEGIN;
ALTER TABLE project_runs_pipeline_steps DISABLE TRIGGER project_runs_pipeline_steps_check;
INSERT INTO project_runs_pipeline_steps VALUES ('unchecked.v1', 'collect_evidence', 'abs(integer)');
ALTER TABLE project_runs_pipeline_steps ENABLE ALWAYS TRIGGER project_runs_pipeline_steps_check;
SELECT r->'error'->>'code' AS code, r->'data'->'error_detail' AS detail
FROM project_runs_generate(:gen, NULL, 'unchecked.v1') AS r;
ROLLBACK;
CREATE FUNCTION dropped_step(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT '{"count": 0}'::jsonb $$;
INSERT INTO project_runs_pipeline_steps VALUES ('dropped.v1', 'collect_evidence', 'dropped_step(uuid,jsonb,jsonb)');
DROP FUNCTION dropped_step(uuid, jsonb, jsonb);
SELECT r->'error'->>'code' AS code, r->'data'->'error_detail'->>'sqlstate' AS sqlstate,
       regexp_replace(r->'data'->'error_detail'->>'message', '[0-9]+', '<oid>') AS message
FROM project_runs_generate(:gen, NULL, 'dropped.v1') AS r;
DELETE FROM project_runs_pipeline_steps WHERE pipeline_version = 'dropped.v1';

-- A step that outlives statement_timeout (or meets a cancel request) fails
-- like any other step: the run is kept as failed with SQLSTATE 57014, the
-- later step is skipped, and the call returns; the session stays usable.
CREATE FUNCTION slow_evidence(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT pg_sleep(30); SELECT '{"count": 0}'::jsonb $$;
INSERT INTO project_runs_pipeline_steps VALUES ('slow.v1', 'collect_evidence', 'slow_evidence(uuid,jsonb,jsonb)');
SET statement_timeout = '300ms';
SELECT r->>'ok' AS ok, r->'error'->>'code' AS code, r->'data'->'error_detail' AS detail,
       (SELECT string_agg(s->>'name' || ' ' || (s->>'status'), ', ')
        FROM jsonb_array_elements(r->'data'->'metrics'->'steps') s) AS steps
FROM project_runs_generate(:gen, NULL, 'slow.v1') AS r;
RESET statement_timeout;
SELECT r.status, string_agg(coalesce(e.from_status::text, '-') || '>' || e.to_status, ' ' ORDER BY e.at, e.to_status) AS events
FROM project_runs r JOIN project_run_events e ON e.run_id = r.id
WHERE r.project_id = :gen AND r.pipeline_version = 'slow.v1' GROUP BY r.id, r.status;

-- A step may add metrics to its run, and they are kept; it may not move its
-- run on (through the functions or an UPDATE): the step then fails with
-- 55000, its writes are rolled back, and the orchestrator fails the run.
CREATE FUNCTION metering_step(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM project_runs_update_metrics(run_id, '{"tokens": 42}');
    RETURN '{"count": 0}';
END
$$;
CREATE FUNCTION finishing_step(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE step_switch SET writes = writes + 100;
    CASE context->>'pipeline_version'
        WHEN 'finish.v1' THEN PERFORM project_runs_set_succeeded(run_id, '{"by": "step"}');
        WHEN 'finish.v2' THEN PERFORM project_runs_set_failed(run_id, 'MINE', 'the step gave up');
        ELSE UPDATE project_runs SET status = 'failed', error_code = 'MINE' WHERE id = run_id;
    END CASE;
    RETURN '{"count": 0}';
END
$$;
INSERT INTO project_runs_pipeline_steps VALUES
    ('meter.v1', 'collect_evidence', 'metering_step(uuid,jsonb,jsonb)'),
    ('finish.v1', 'collect_evidence', 'finishing_step(uuid,jsonb,jsonb)'),
    ('finish.v2', 'collect_evidence', 'finishing_step(uuid,jsonb,jsonb)'),
    ('finish.v3', 'collect_evidence', 'finishing_step(uuid,jsonb,jsonb)');
SELECT r->'data'->>'status' AS status, r->'data'->'metrics'->'tokens' AS tokens,
       jsonb_array_length(r->'data'->'metrics'->'steps') AS steps
FROM project_runs_generate(:gen, NULL, 'meter.v1') AS r;
SELECT v AS pipeline, r->'error'->>'code' AS code,
       regexp_replace(r->'data'->'error_detail'->>'message', '[0-9a-f-]{36}', '<id>') AS message,
       r->'data'->'error_detail'->>'sqlstate' AS sqlstate, r->'data'->>'error_code' AS run_error,
       r->'data'->'output' AS output
FROM unnest(ARRAY['finish.v1', 'finish.v2', 'finish.v3']) v, project_runs_generate(:gen, NULL, v) AS r;
SELECT r.pipeline_version, string_agg(coalesce(e.from_status::text, '-') || '>' || e.to_status, ' ' ORDER BY e.at, e.to_status) AS events
FROM project_runs r JOIN project_run_events e ON e.run_id = r.id
WHERE r.project_id = :gen AND r.pipeline_version LIKE 'finish.v%' GROUP BY r.pipeline_version ORDER BY 1;
SELECT writes AS kept_writes FROM step_switch;

-- The registry is read once per session and again when it changes: a step
-- registered, replaced or removed counts from the next call on, within a
-- transaction too, and a change rolled back is forgotten.
INSERT INTO projects (id, user_id, name, created_at) VALUES
    ('00000000-0000-4000-8000-0000000000d5', '00000000-0000-4000-8000-0000000000d0', 'Swap', now());
\set swap '''00000000-0000-4000-8000-0000000000d5'''
INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT :swap, v, 'final', '{"hypothesis": "swap"}' FROM generate_series(1, 5) v;
CREATE FUNCTION step_used(result jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN result->'data'->'output'->'summary'->'collect_evidence' ? 'saw_step'
                THEN 'registered' ELSE 'built-in' END || ' ' || (result->'data'->>'status')
$$;
SELECT step_used(project_runs_generate(:swap, 1, 'swap.v1')) AS before_registering;
INSERT INTO project_runs_pipeline_steps VALUES ('swap.v1', 'collect_evidence', 'flaky_evidence(uuid,jsonb,jsonb)');
SELECT step_used(project_runs_generate(:swap, 2, 'swap.v1')) AS after_registering;
BEGIN;
DELETE FROM project_runs_pipeline_steps WHERE pipeline_version = 'swap.v1';
SELECT step_used(project_runs_generate(:swap, 3, 'swap.v1')) AS removed_in_transaction;
ROLLBACK;
SELECT step_used(project_runs_generate(:swap, 3, 'swap.v1')) AS removal_rolled_back;
UPDATE project_runs_pipeline_steps SET pipeline_version = 'swap.v2' WHERE pipeline_version = 'swap.v1';
SELECT step_used(project_runs_generate(:swap, 4, 'swap.v1')) AS moved_away,
       step_used(project_runs_generate(:swap, 4, 'swap.v2')) AS moved_here;
TRUNCATE project_runs_pipeline_steps;
SELECT step_used(project_runs_generate(:swap, 5, 'swap.v2')) AS after_truncate;
INSERT INTO project_runs_pipeline_steps VALUES ('flaky.v1', 'collect_evidence', 'flaky_evidence(uuid,jsonb,jsonb)');

-- Only the owner changes the registry; others may read it.
CREATE ROLE step_stranger;
GRANT SELECT ON projects, project_inputs TO step_stranger;
SET ROLE step_stranger;
SELECT expect_error($$INSERT INTO project_runs_pipeline_steps VALUES ('x', 'collect_evidence', 'flaky_evidence(uuid,jsonb,jsonb)')$$);
SELECT expect_error($$DELETE FROM project_runs_pipeline_steps$$);
SELECT count(*) AS visible_registrations FROM project_runs_pipeline_steps;
RESET ROLE;
-- The owner may hand the registry to an administrator role that is not the
-- owner (a superuser installed the extension): a GRANT is enough.
CREATE ROLE step_admin;
GRANT INSERT, UPDATE, DELETE ON project_runs_pipeline_steps TO step_admin;
SET ROLE step_admin;
INSERT INTO project_runs_pipeline_steps VALUES ('delegated.v1', 'collect_evidence', 'flaky_evidence(uuid,jsonb,jsonb)');
SELECT expect_error($$INSERT INTO project_runs_pipeline_steps VALUES ('delegated.v2', 'collect_evidence', 'wrong_shape(uuid,jsonb)')$$);
RESET ROLE;
SELECT step_used(project_runs_generate(:swap, 5, 'delegated.v1')) AS delegated_registration;
SET ROLE step_admin;
DELETE FROM project_runs_pipeline_steps WHERE pipeline_version = 'delegated.v1';
RESET ROLE;
REVOKE ALL ON project_runs_pipeline_steps FROM step_admin;
DROP ROLE step_admin;

-- A step the caller may not execute fails as a step, not as a crash.
CREATE FUNCTION locked_step(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT '{"secret": true}'::jsonb $$;
REVOKE EXECUTE ON FUNCTION locked_step(uuid, jsonb, jsonb) FROM PUBLIC;
INSERT INTO project_runs_pipeline_steps VALUES ('locked.v1', 'generate_opportunities', 'locked_step(uuid,jsonb,jsonb)');
CREATE FUNCTION whoami_step(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT jsonb_build_object('current_user', current_user::text,
                                             'runs_visible', (SELECT count(DISTINCT project_id) FROM project_runs)) $$;
INSERT INTO project_runs_pipeline_steps VALUES ('whoami.v1', 'generate_opportunities', 'whoami_step(uuid,jsonb,jsonb)');
GRANT ALL ON project_runs, project_run_events, step_switch TO step_stranger;
SET ROLE step_stranger;
-- (as the project's owner, through the JWT claims)
SET request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000000d0", "role": "authenticated"}';
SELECT r->'error'->>'code' AS code, r->'error'->'detail' AS detail
FROM project_runs_generate(:gen, 2, 'locked.v1') AS r;
-- A registered step runs as the caller (the run's own statements run as the
-- ledger's owner once the project is found to be the caller's).
SELECT r->'data'->'output'->'summary'->'generate_opportunities' AS step_saw
FROM project_runs_generate(:gen, 2, 'whoami.v1') AS r;
RESET request.jwt.claims;
RESET ROLE;
-- The extension reads its own settings and step registry with the ledger
-- owner's rights, so what a backend caches does not depend on which caller
-- loaded it: with PUBLIC's SELECT on them revoked, a caller in a new
-- session (nothing cached) gets the answer it would get anywhere.
INSERT INTO project_runs_pipeline_steps VALUES ('whoami.v2', 'generate_opportunities', 'whoami_step(uuid,jsonb,jsonb)');
REVOKE SELECT ON project_runs_settings, project_runs_pipeline_steps FROM PUBLIC;
\c
SET ROLE step_stranger;
SET request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000000d0", "role": "authenticated"}';
SELECT r->>'ok' AS ok, r->'data'->'output'->'summary'->'generate_opportunities'->>'current_user' AS step_ran_as
FROM project_runs_generate(:gen, 2, 'whoami.v2') AS r;
SELECT project_runs_list(:gen, 1)->>'ok' AS list_ok;
RESET request.jwt.claims;
RESET ROLE;
GRANT SELECT ON project_runs_settings, project_runs_pipeline_steps TO PUBLIC;
REVOKE ALL ON projects, project_inputs, project_runs, project_run_events, step_switch FROM step_stranger;
DROP ROLE step_stranger;

-- Thousands of calls in one transaction, with a registered step running
-- in a subtransaction each time, finish without error.
INSERT INTO projects (id, user_id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(4096 + g), 12, '0'))::uuid,
       '00000000-0000-4000-8000-0000000000e0', 'Loop ' || g
FROM generate_series(1, 2000) g;
INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(4096 + g), 12, '0'))::uuid, 1, 'final', '{"n": 1}'
FROM generate_series(1, 2000) g;
BEGIN;
SELECT count(*) FILTER (WHERE (r->>'ok')::bool) AS succeeded, count(*) AS calls
FROM generate_series(1, 2000) g,
     LATERAL project_runs_generate(('00000000-0000-4000-8000-' || lpad(to_hex(4096 + g), 12, '0'))::uuid, NULL, 'flaky.v1') AS r;
COMMIT;

-- A key of generate's form names its project, input and pipeline version:
-- a run of another project may not hold it (that generate would then fail
-- with IDEMPOTENCY_CONFLICT for as long as the run is not failed).
\set squat_key '''00000000-0000-4000-8000-0000000000d1:2:squat.v1'''
SELECT * FROM gen_brief(project_runs_create(:alpha, 2, 'squat.v1', :squat_key));
SELECT * FROM gen_brief(project_runs_create(:gen, 3, 'squat.v1', :squat_key));
INSERT INTO project_runs (project_id, input_version, pipeline_version, idempotency_key)
VALUES (:alpha, 2, 'squat.v1', :squat_key);
SELECT count(*) AS squatted FROM project_runs WHERE idempotency_key = :squat_key;
-- So generate finds the key free and makes its run.
SELECT * FROM gen_brief(project_runs_generate(:gen, 2, 'squat.v1'));
-- A run's own generation key is accepted, through create and the table; a
-- key of any other form is free (an upper-case UUID is not generate's).
SELECT * FROM gen_brief(project_runs_create(:gen, 2, 'own.v1', '00000000-0000-4000-8000-0000000000d1:2:own.v1'));
INSERT INTO project_runs (project_id, input_version, pipeline_version, idempotency_key)
VALUES (:gen, 2, 'own.v2', '00000000-0000-4000-8000-0000000000d1:2:own.v2') RETURNING status, attempt;
SELECT * FROM gen_brief(project_runs_create(:alpha, 2, 'free.v1', '00000000-0000-4000-8000-0000000000D1:2:squat.v1'));

-- Generate when an input becomes final, from an AFTER trigger on the inputs
-- table (README's recipe): one run per version, however often it is saved.
INSERT INTO projects (id, user_id, name, created_at) VALUES
    ('00000000-0000-4000-8000-0000000000d7', '00000000-0000-4000-8000-0000000000d0', 'Auto', now());
\set auto '''00000000-0000-4000-8000-0000000000d7'''
CREATE FUNCTION generate_on_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM project_runs_generate(NEW.project_id, NEW.version);
    RETURN NULL;
END $$;
CREATE TRIGGER generate_on_final AFTER INSERT OR UPDATE OF status ON project_inputs
    FOR EACH ROW WHEN (NEW.status = 'final') EXECUTE FUNCTION generate_on_final();
INSERT INTO project_inputs (project_id, version, status, input_json) VALUES (:auto, 1, 'draft', '{"q": 1}');
SELECT count(*) AS runs_of_a_draft FROM project_runs WHERE project_id = :auto;
UPDATE project_inputs SET status = 'final' WHERE project_id = :auto AND version = 1;
UPDATE project_inputs SET status = 'final' WHERE project_id = :auto AND version = 1;
INSERT INTO project_inputs (project_id, version, status, input_json) VALUES (:auto, 2, 'final', '{"q": 2}');
SELECT input_version, status, attempt FROM project_runs WHERE project_id = :auto ORDER BY created_at;
DROP TRIGGER generate_on_final ON project_inputs;
DROP FUNCTION generate_on_final();

-- A missing project_inputs table: CONFIG, no run.
BEGIN;
ALTER TABLE project_inputs RENAME TO project_inputs_moved;
SELECT * FROM gen_brief(project_runs_generate(:gen));
ROLLBACK;

-- An inputs table without the contract's created_at column still works
-- (rows of one version are then taken in no set order). A new session, as
-- an application that made its table that way would have: statements are
-- prepared per session, for the table as it is then.
\c
BEGIN;
ALTER TABLE project_inputs RENAME TO project_inputs_moved;
CREATE TABLE project_inputs (project_id uuid, version int, status text, input_json jsonb);
INSERT INTO project_inputs VALUES (:gen, 7, 'final', '{"q": 7}');
SELECT * FROM gen_brief(project_runs_generate(:gen, NULL, 'nocol.v1'));
SELECT * FROM gen_brief(project_runs_generate(:gen, 7, 'nocol.v2'));
ROLLBACK;
-- A session whose statements are prepared already follows the column
-- being dropped, then added, at its next call.
SELECT (project_runs_generate(:gen)->>'ok')::bool AS prepared;
BEGIN;
ALTER TABLE project_inputs DROP COLUMN created_at;
INSERT INTO project_inputs VALUES (:gen, 8, 'final', '{"q": 8}');
SELECT * FROM gen_brief(project_runs_generate(:gen, NULL, 'dropped.v1'));
ALTER TABLE project_inputs ADD COLUMN created_at timestamptz;
INSERT INTO project_inputs VALUES (:gen, 9, 'final', '{"q": 9, "older": true}', '2025-01-01'),
                                  (:gen, 9, 'final', '{"q": 9}', '2025-06-01');
SELECT r->'data'->'output'->'summary'->'validate_inputs' AS newest_row_of_9
FROM project_runs_generate(:gen, 9, 'added.v1') r;
ROLLBACK;
SELECT project_runs_debug_state();
