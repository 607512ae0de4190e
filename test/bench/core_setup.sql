-- Section "core": the floor table and the memory-loop procedure.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- The floor: the same columns, constraints and indexes as project_runs,
-- but no triggers, no events and no functions in between.
-- Its ids are time-ordered like the extension's UUIDv7 ids (first 48 bits:
-- Unix time in ms, the rest random), so that both primary keys grow at the
-- right edge; random v4 ids would make the floor's index inserts costlier.
CREATE TABLE IF NOT EXISTS bench_floor_runs (
    id uuid NOT NULL DEFAULT encode(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1), 'hex')::uuid,
    project_id uuid NOT NULL,
    input_version integer,
    pipeline_version text NOT NULL,
    status project_run_status NOT NULL DEFAULT 'queued',
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at timestamptz,
    finished_at timestamptz,
    error_code text,
    error_message text,
    error_detail jsonb,
    output jsonb,
    metrics jsonb NOT NULL DEFAULT '{}'::jsonb,
    idempotency_key text,
    attempt integer NOT NULL DEFAULT 1,
    CONSTRAINT bench_floor_runs_pkey PRIMARY KEY (id)
) WITH (fillfactor = 90);
CREATE INDEX IF NOT EXISTS bench_floor_runs_project_created_idx
    ON bench_floor_runs (project_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX IF NOT EXISTS bench_floor_runs_idempotency_key_attempt_idx
    ON bench_floor_runs (idempotency_key, attempt);

-- For the per-statement comparison: the floor plus the event rows written
-- by plain INSERTs (the same columns and index as project_run_events, no
-- trigger), to separate what the event log costs in itself from what the
-- trigger machinery adds.
CREATE TABLE IF NOT EXISTS bench_floor_events (
    run_id uuid NOT NULL,
    project_id uuid NOT NULL,
    from_status project_run_status,
    to_status project_run_status NOT NULL,
    at timestamptz NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS bench_floor_events_run_status_idx
    ON bench_floor_events (run_id, to_status);

-- n create -> set_running -> set_succeeded cycles through the extension,
-- committing every `batch` cycles. Raises when any call does not return ok.
CREATE OR REPLACE PROCEDURE bench_core_cycles(n integer, batch integer DEFAULT 1000)
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    run uuid;
BEGIN
    FOR i IN 1..n LOOP
        r := project_runs_create(
                 ('00000000-0000-4000-8000-' || (100000000001 + i % 1000))::uuid,
                 1, 'bench.mem', 'mem-' || gen_random_uuid());
        IF NOT (r->>'ok')::boolean THEN RAISE EXCEPTION 'create: %', r; END IF;
        run := (r->'data'->>'id')::uuid;
        r := project_runs_set_running(run);
        IF NOT (r->>'ok')::boolean THEN RAISE EXCEPTION 'set_running: %', r; END IF;
        r := project_runs_set_succeeded(run, '{"summary":{"n":1}}',
                 '{"steps":[{"name":"collect_evidence","status":"succeeded","duration_ms":3}]}');
        IF NOT (r->>'ok')::boolean THEN RAISE EXCEPTION 'set_succeeded: %', r; END IF;
        IF i % batch = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
    COMMIT;
END
$$;

-- One statement kind, n times, in one session (core_percall.sql times it):
--   variant: floor (bench_floor_runs), floor_ev (the floor plus one plain
--            INSERT into bench_floor_events per statement), trig (plain SQL
--            on project_runs, so
--            only the triggers run), func (the project_runs_* functions),
--            call (a trivial C function: the loop's own overhead)
--   stmt:    create, running, succeeded
-- Runs of a variant carry pipeline_version 'pc.<tag>' (tag defaults to the
-- variant) so the update phases find the runs their create phase made.
-- COMMIT every `batch` statements.
CREATE OR REPLACE PROCEDURE bench_percall(variant text, stmt text, n integer, tag text DEFAULT NULL,
                                          batch integer DEFAULT 1000)
LANGUAGE plpgsql AS $$
DECLARE
    pv text := 'pc.' || coalesce(tag, variant);
    ids uuid[];
    want project_run_status := CASE stmt WHEN 'running' THEN 'queued'::project_run_status
                                         ELSE 'running'::project_run_status END;
    rid uuid;
    pid uuid;
    ts timestamptz;
BEGIN
    IF stmt <> 'create' AND variant <> 'call' THEN
        IF variant LIKE 'floor%' THEN
            ids := ARRAY(SELECT r.id FROM bench_floor_runs r
                         WHERE r.pipeline_version = pv AND r.status = want LIMIT n);
        ELSE
            ids := ARRAY(SELECT r.id FROM project_runs r
                         WHERE r.pipeline_version = pv AND r.status = want LIMIT n);
        END IF;
        IF coalesce(array_length(ids, 1), 0) <> n THEN
            RAISE EXCEPTION 'bench_percall(%, %): % runs to update, expected %',
                variant, stmt, coalesce(array_length(ids, 1), 0), n;
        END IF;
    END IF;
    FOR i IN 1..n LOOP
        rid := ids[i];
        IF variant = 'floor' THEN
            IF stmt = 'create' THEN
                INSERT INTO bench_floor_runs (project_id, input_version, pipeline_version, idempotency_key)
                VALUES (('00000000-0000-4000-8000-' || (100000000001 + i % 1000))::uuid, 1, pv, pv || '-' || i);
            ELSIF stmt = 'running' THEN
                UPDATE bench_floor_runs SET status = 'running', started_at = clock_timestamp()
                WHERE bench_floor_runs.id = rid AND status = 'queued';
            ELSE
                UPDATE bench_floor_runs SET status = 'succeeded', finished_at = clock_timestamp(),
                    output = '{"summary":{"n":1}}',
                    metrics = metrics || '{"steps":[{"name":"collect_evidence","status":"succeeded","duration_ms":3}]}'
                WHERE bench_floor_runs.id = rid AND status = 'running';
            END IF;
        ELSIF variant = 'floor_ev' THEN
            pid := ('00000000-0000-4000-8000-' || (100000000001 + i % 1000))::uuid;
            IF stmt = 'create' THEN
                INSERT INTO bench_floor_runs (project_id, input_version, pipeline_version, idempotency_key)
                VALUES (pid, 1, pv, pv || '-' || i)
                RETURNING bench_floor_runs.id, created_at INTO rid, ts;
                INSERT INTO bench_floor_events VALUES (rid, pid, NULL, 'queued', ts);
            ELSIF stmt = 'running' THEN
                UPDATE bench_floor_runs SET status = 'running', started_at = clock_timestamp()
                WHERE bench_floor_runs.id = rid AND status = 'queued'
                RETURNING project_id, started_at INTO pid, ts;
                INSERT INTO bench_floor_events VALUES (rid, pid, 'queued', 'running', ts);
            ELSE
                UPDATE bench_floor_runs SET status = 'succeeded', finished_at = clock_timestamp(),
                    output = '{"summary":{"n":1}}',
                    metrics = metrics || '{"steps":[{"name":"collect_evidence","status":"succeeded","duration_ms":3}]}'
                WHERE bench_floor_runs.id = rid AND status = 'running'
                RETURNING project_id, finished_at INTO pid, ts;
                INSERT INTO bench_floor_events VALUES (rid, pid, 'running', 'succeeded', ts);
            END IF;
        ELSIF variant = 'trig' THEN
            IF stmt = 'create' THEN
                INSERT INTO project_runs (project_id, input_version, pipeline_version, idempotency_key)
                VALUES (('00000000-0000-4000-8000-' || (100000000001 + i % 1000))::uuid, 1, pv, pv || '-' || i);
            ELSIF stmt = 'running' THEN
                UPDATE project_runs SET status = 'running'
                WHERE project_runs.id = rid AND status = 'queued';
            ELSE
                UPDATE project_runs SET status = 'succeeded', output = '{"summary":{"n":1}}',
                    metrics = project_runs_merge_metrics(metrics,
                        '{"steps":[{"name":"collect_evidence","status":"succeeded","duration_ms":3}]}')
                WHERE project_runs.id = rid AND status = 'running';
            END IF;
        ELSIF variant = 'func' THEN
            IF stmt = 'create' THEN
                PERFORM project_runs_create(
                    ('00000000-0000-4000-8000-' || (100000000001 + i % 1000))::uuid, 1, pv, pv || '-' || i);
            ELSIF stmt = 'running' THEN
                PERFORM project_runs_set_running(rid);
            ELSE
                PERFORM project_runs_set_succeeded(rid, '{"summary":{"n":1}}',
                    '{"steps":[{"name":"collect_evidence","status":"succeeded","duration_ms":3}]}');
            END IF;
        ELSE  -- call: the loop and one trivial C call, nothing else
            PERFORM project_runs_http_status(pv);
        END IF;
        IF i % batch = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
    COMMIT;
END
$$;
