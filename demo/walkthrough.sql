-- The seed's manual test plan (PR-2 "Manual Test Plan"), walked through in
-- SQL against a fresh database. scripts/demo.sh runs it inside a throw-away
-- cluster:
--
--   psql -X -q -v ON_ERROR_STOP=1 -f demo/walkthrough.sql
--
-- It needs PGDATABASE (and the other PG* variables) in the environment: the
-- "real double click" of step 6 starts two more psql sessions with \!.
-- Every acceptance check is recorded in demo.checks as the walk goes on;
-- the "Result" section at the end lists them, and scripts/demo.sh exits
-- non-zero when one of them failed.

\set ON_ERROR_STOP 1
\set SHOW_CONTEXT never
\encoding UTF8
\pset pager off
\pset border 2
\pset linestyle unicode
\pset footer off
\pset null '—'
-- Tables wider than the terminal are shown as records (one line per column).
\x auto
SET client_min_messages = warning;

\echo
\echo '== 1. Create project =='
\echo
\echo 'The app''s own tables (projects, project_inputs), then the extension, which adds'
\echo 'project_runs (the append-only run ledger) and project_run_events (its status log).'

CREATE TABLE projects (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text,
    created_at timestamptz DEFAULT now()
);
CREATE INDEX projects_user_id_idx ON projects (user_id, created_at DESC NULLS LAST, id DESC) INCLUDE (name);
CREATE TABLE project_inputs (
    project_id uuid,
    version int,
    status text,  -- 'draft' | 'final'
    input_json jsonb,
    created_at timestamptz DEFAULT now()
);
CREATE EXTENSION project_runs;

-- Bookkeeping of the demo itself (not part of the app or the extension).
CREATE SCHEMA demo;
CREATE TABLE demo.checks (ord serial, label text NOT NULL, ok boolean);  -- null counts as failed
CREATE TABLE demo.calls (ord serial, label text NOT NULL, result jsonb NOT NULL);
CREATE TABLE demo.clicks (session text, clicked_at timestamptz, result jsonb, answered_at timestamptz);

-- One generate result as a row: the fields a person (or the UI) looks at.
CREATE FUNCTION demo.brief(r jsonb, OUT ok text, OUT created text, OUT run_id text,
                           OUT status text, OUT attempt int, OUT error_code text, OUT http int)
LANGUAGE sql IMMUTABLE AS $$
    SELECT r->>'ok', r->>'created', r->'data'->>'id',
           r->'data'->>'status', (r->'data'->>'attempt')::int, r->'error'->>'code',
           CASE WHEN r->'error'->>'code' IS NOT NULL
                THEN project_runs_http_status(r->'error'->>'code') ELSE 200 END
$$;

-- A time of day, precise enough to see the order of things.
CREATE FUNCTION demo.t(ts timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT to_char(ts, 'HH24:MI:SS.US') $$;


SELECT e.extname AS extension, e.extversion AS version,
       string_agg(c.relname, ', ' ORDER BY c.relname) AS tables
FROM pg_extension e
JOIN pg_depend d ON d.refobjid = e.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'r'
WHERE e.extname = 'project_runs'
GROUP BY e.extname, e.extversion;

\echo 'A user creates "Test Project":'
SELECT gen_random_uuid() AS user_id \gset
INSERT INTO projects (id, user_id, name, created_at)
VALUES (gen_random_uuid(), :'user_id', 'Test Project', NOW())
RETURNING id AS project_id, user_id, name \gset p1_
SELECT :'p1_project_id' AS project_id, :'p1_user_id' AS user_id, :'p1_name' AS name;
\set p1 :p1_project_id


\echo
\echo '== 2. Add inputs =='
\echo
\echo 'Test Project gets its first input: version 1, final.'
INSERT INTO project_inputs (project_id, version, status, input_json)
VALUES (:'p1', 1, 'final', '{"hypothesis": "test"}');
SELECT version, status, input_json FROM project_inputs WHERE project_id = :'p1';


\echo
\echo '== 3. Generate analysis =='
\echo
\echo 'The "Generate analysis" button calls project_runs_generate(project_id). It picks the'
\echo 'newest final input, creates a run, executes the pipeline''s steps and returns the run:'

INSERT INTO demo.calls (label, result) VALUES ('click 1 (step 3)', project_runs_generate(:'p1'));
SELECT b.* FROM demo.calls, demo.brief(result) b WHERE label = 'click 1 (step 3)';
SELECT result->'data'->>'id' AS run1 FROM demo.calls WHERE label = 'click 1 (step 3)' \gset

INSERT INTO demo.checks (label, ok) VALUES ('Clicking Generate creates a run',
    (SELECT (result->>'ok')::boolean AND (result->>'created')::boolean
     FROM demo.calls WHERE label = 'click 1 (step 3)')
    AND (SELECT count(*) = 1 FROM project_runs WHERE project_id = :'p1'));


\echo
\echo '== 4. Verify the run row, its output, its steps and its status transitions =='
\echo
\echo 'SELECT ... FROM project_runs WHERE project_id = <Test Project> ORDER BY created_at DESC:'
SELECT id, status, input_version AS input, pipeline_version AS pipeline, attempt,
       demo.t(created_at) AS created_at, demo.t(started_at) AS started_at,
       demo.t(finished_at) AS finished_at, error_code
FROM project_runs WHERE project_id = :'p1' ORDER BY created_at DESC;

\echo 'output: what the analysis produced (pipeline_version, input_version, summary)'
SELECT output->>'pipeline_version' AS pipeline_version,
       (output->>'input_version')::int AS input_version,
       (output#>>'{summary,validate_inputs,fields}')::int AS input_fields,
       (output#>>'{summary,collect_evidence,count}')::int AS evidence,
       (output#>>'{summary,generate_opportunities,count}')::int AS opportunities,
       (SELECT string_agg(o->>'title', ', ')
        FROM jsonb_array_elements(output#>'{summary,generate_opportunities,opportunities}') o)
           AS titles
FROM project_runs WHERE id = :'run1';

\echo 'metrics: one entry per pipeline step'
SELECT s.name AS step, s.status, s.duration_ms
FROM project_runs r,
     jsonb_to_recordset(r.metrics->'steps') AS s(name text, status text, duration_ms numeric)
WHERE r.id = :'run1';

\echo 'project_run_events: every status change, written by the table''s trigger'
SELECT coalesce(from_status::text, '(new)') || ' → ' || to_status AS transition, demo.t(at) AS at
FROM project_run_events WHERE run_id = :'run1' ORDER BY at, to_status;

INSERT INTO demo.checks (label, ok) VALUES ('Status transitions queued → running → succeeded',
    (SELECT array_agg(coalesce(from_status::text, '') || '>' || to_status ORDER BY at, to_status)
     FROM project_run_events WHERE run_id = :'run1')
    = ARRAY['>queued', 'queued>running', 'running>succeeded']);
INSERT INTO demo.checks (label, ok) VALUES ('The run has output {pipeline_version, input_version, summary} and step metrics',
    (SELECT status = 'succeeded'
        AND output ?& ARRAY['pipeline_version', 'input_version', 'summary']
        AND (output->>'input_version')::int = 1
        AND (SELECT array_agg(s->>'name' || '=' || (s->>'status'))
             FROM jsonb_array_elements(metrics->'steps') s)
            = ARRAY['validate_inputs=succeeded', 'collect_evidence=succeeded',
                    'generate_opportunities=succeeded']
     FROM project_runs WHERE id = :'run1'));


\echo
\echo '== 5. NO_INPUTS: a project without inputs =='
\echo
\echo '"Empty Project" has no project_inputs. Generate still records what happened: a new run'
\echo '(created = true) that failed at once, and an error the API maps to HTTP 422.'
INSERT INTO projects (id, user_id, name, created_at)
VALUES (gen_random_uuid(), :'user_id', 'Empty Project', NOW())
RETURNING id AS p2 \gset

INSERT INTO demo.calls (label, result) VALUES ('no inputs', project_runs_generate(:'p2'));
SELECT b.ok, b.created, b.run_id, b.status, b.error_code,
       project_runs_http_status(b.error_code) AS http_status
FROM demo.calls, demo.brief(result) b WHERE label = 'no inputs';
\echo 'The run row: no input version, no idempotency key (nothing to be idempotent about):'
SELECT status, input_version AS input, idempotency_key, error_code, error_message
FROM project_runs WHERE project_id = :'p2' ORDER BY created_at DESC;

INSERT INTO demo.checks (label, ok) VALUES ('A project with no inputs gets a failed run with NO_INPUTS (HTTP 422)',
    (SELECT count(*) = 1 AND bool_and(status = 'failed' AND error_code = 'NO_INPUTS'
                                      AND input_version IS NULL AND finished_at IS NOT NULL)
     FROM project_runs WHERE project_id = :'p2')
    AND (SELECT result->'error'->>'code' = 'NO_INPUTS' FROM demo.calls WHERE label = 'no inputs')
    AND project_runs_http_status('NO_INPUTS') = 422);


\echo
\echo '== 6. Idempotency: clicking twice =='
\echo
\echo 'Click "Generate analysis" on Test Project again. The idempotency key is'
\echo '<project_id>:<input_version>:<pipeline_version>, so the same run comes back (created = false)'
\echo 'and nothing is executed again:'
INSERT INTO demo.calls (label, result) VALUES ('click 2 (now)', project_runs_generate(:'p1'));
SELECT c.label AS click, b.created, b.run_id, b.status,
       CASE WHEN b.run_id = :'run1' THEN 'yes' ELSE 'NO' END AS same_run
FROM demo.calls c, demo.brief(c.result) b
WHERE c.label LIKE 'click%' ORDER BY c.ord;

SELECT idempotency_key, count(*) AS runs_with_this_key
FROM project_runs WHERE idempotency_key = (SELECT idempotency_key FROM project_runs WHERE id = :'run1')
GROUP BY idempotency_key;

\echo 'A real double click: two psql sessions (demo/click.sh) call generate for "Race Project" at'
\echo 'the same moment. Each keeps its transaction open 0.3 s after the call, like a slow request,'
\echo 'so the second click arrives while the first run is not committed yet: it waits for it and'
\echo 'gets that run back instead of making a second one.'
INSERT INTO projects (id, user_id, name, created_at)
VALUES (gen_random_uuid(), :'user_id', 'Race Project', NOW())
RETURNING id AS p3 \gset
INSERT INTO project_inputs (project_id, version, status, input_json)
VALUES (:'p3', 1, 'final', '{"hypothesis": "race", "market": "EU"}');

-- A start gate: this session holds an advisory lock, both sessions queue up
-- behind it, and releasing it lets them go at once.
SELECT pg_advisory_lock(4242) AS gate_closed \gset
\setenv DEMO_P3 :p3
\! for s in A B; do bash demo/click.sh $s "$DEMO_P3" & done
DO $$
DECLARE deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE (SELECT count(*) FROM pg_locks
           WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted) < 2 LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'the two clicking sessions did not reach the start gate';
        END IF;
        PERFORM pg_sleep(0.01);
    END LOOP;
END $$;
SELECT pg_advisory_unlock(4242) AS gate_opened \gset
DO $$
DECLARE deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE (SELECT count(*) FROM demo.clicks) < 2 LOOP
        IF clock_timestamp() > deadline THEN
            RAISE WARNING 'only % of the two clicking sessions answered',
                (SELECT count(*) FROM demo.clicks);
            RETURN;
        END IF;
        PERFORM pg_sleep(0.01);
    END LOOP;
END $$;

SELECT c.session, demo.t(c.clicked_at) AS clicked_at,
       round(extract(epoch FROM c.answered_at - c.clicked_at) * 1000) || ' ms' AS answered_after,
       b.ok, b.created, b.run_id, b.status
FROM demo.clicks c, demo.brief(c.result) b ORDER BY c.clicked_at, c.session;
SELECT count(*) AS runs_for_race_project FROM project_runs WHERE project_id = :'p3';

INSERT INTO demo.checks (label, ok) VALUES ('Double click makes one run (the second click returns it, created = false)',
    (SELECT (result->>'created')::boolean = false AND result->'data'->>'id' = :'run1'
     FROM demo.calls WHERE label = 'click 2 (now)')
    AND (SELECT count(*) = 1 FROM project_runs
         WHERE idempotency_key = (SELECT idempotency_key FROM project_runs WHERE id = :'run1'))
    AND (SELECT count(*) = 2 AND count(DISTINCT c.result->'data'->>'id') = 1
                AND bool_and((c.result->>'ok')::boolean)
                AND count(*) FILTER (WHERE (c.result->>'created')::boolean) = 1
         FROM demo.clicks c)
    AND (SELECT count(*) = 1 FROM project_runs WHERE project_id = :'p3'));


\echo
\echo '== 7. Dashboard =='
\echo
\echo '"Fresh Project" has never been generated. project_runs_dashboard() derives each project''s'
\echo 'last run from project_runs at read time (projects stores nothing about runs):'
INSERT INTO projects (id, user_id, name, created_at)
VALUES (gen_random_uuid(), :'user_id', 'Fresh Project', NOW())
RETURNING id AS p4 \gset

SELECT d->>'name' AS project,
       coalesce(d#>>'{last_run,status}', '—') AS last_run_status,
       coalesce(to_char((d#>>'{last_run,created_at}')::timestamptz, 'YYYY-MM-DD HH24:MI:SS TZ'),
                'Never') AS last_run
FROM jsonb_array_elements(project_runs_dashboard()->'data') d;

INSERT INTO demo.checks (label, ok) VALUES ('Dashboard "Last run" is derived from project_runs',
    (SELECT count(*) = (SELECT count(*) FROM projects)
            AND bool_and((d#>>'{last_run,id}') IS NOT DISTINCT FROM
                         (SELECT r.id::text FROM project_runs r
                          WHERE r.project_id = (d->>'project_id')::uuid
                          ORDER BY r.created_at DESC, r.id DESC LIMIT 1))
     FROM jsonb_array_elements(project_runs_dashboard()->'data') d));
INSERT INTO demo.checks (label, ok) VALUES ('Dashboard shows "Never" for a project without runs',
    (SELECT jsonb_typeof(d->'last_run') = 'null'
     FROM jsonb_array_elements(project_runs_dashboard()->'data') d
     WHERE d->>'project_id' = :'p4'));
INSERT INTO demo.checks (label, ok) VALUES ('No latest_* columns on projects',
    NOT EXISTS (SELECT FROM information_schema.columns
                WHERE table_name = 'projects' AND column_name LIKE 'latest%'));


\echo
\echo '== Extra: a failing step, and a retry =='
\echo
\echo 'The database owner can plug a SQL function into a pipeline step. For pipeline version'
\echo '"demo.fails", collect_evidence calls an evidence service that is down at first:'
CREATE TABLE demo.evidence_service (up boolean NOT NULL);
INSERT INTO demo.evidence_service VALUES (false);
CREATE FUNCTION demo.collect_evidence(run_id uuid, input jsonb, context jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (SELECT up FROM demo.evidence_service) THEN
        RAISE EXCEPTION 'evidence service unavailable' USING ERRCODE = '08006';
    END IF;
    RETURN (SELECT jsonb_build_object(
                'evidence', jsonb_agg(jsonb_build_object('field', key, 'kind', jsonb_typeof(value))),
                'count', count(*))
            FROM jsonb_each(input));
END $$;
INSERT INTO project_runs_pipeline_steps (pipeline_version, step, function)
VALUES ('demo.fails', 'collect_evidence', 'demo.collect_evidence(uuid, jsonb, jsonb)');

INSERT INTO demo.calls (label, result)
VALUES ('demo.fails 1', project_runs_generate(:'p1', NULL, 'demo.fails'));
SELECT b.ok, b.run_id, b.status, b.attempt, b.error_code, b.http
FROM demo.calls, demo.brief(result) b WHERE label = 'demo.fails 1';
\echo 'error_detail:'
\pset format unaligned
\pset tuples_only on
SELECT regexp_replace(jsonb_pretty(error_detail), '^', '    ', 'gn') FROM project_runs
WHERE id = (SELECT (result->'data'->>'id')::uuid FROM demo.calls WHERE label = 'demo.fails 1');
\pset format aligned
\pset tuples_only off
\echo
\echo 'metrics: the steps after the failing one are skipped'
SELECT s.name AS step, s.status, s.error->>'message' AS error
FROM project_runs r, jsonb_to_recordset(r.metrics->'steps') AS s(name text, status text, error jsonb)
WHERE r.id = (SELECT (result->'data'->>'id')::uuid FROM demo.calls WHERE label = 'demo.fails 1');

\echo 'The service comes back; clicking again retries: every run with the key failed, so a new'
\echo 'attempt is made under the same key.'
UPDATE demo.evidence_service SET up = true;
INSERT INTO demo.calls (label, result)
VALUES ('demo.fails 2', project_runs_generate(:'p1', NULL, 'demo.fails'));
SELECT idempotency_key, attempt, status, error_code, demo.t(created_at) AS created_at
FROM project_runs WHERE project_id = :'p1' AND pipeline_version = 'demo.fails' ORDER BY attempt;

INSERT INTO demo.checks (label, ok) VALUES ('A failing step gives STEP_FAILED, later steps skipped; a retry makes attempt 2',
    (SELECT r.status = 'failed' AND r.error_code = 'STEP_FAILED' AND r.attempt = 1
            AND r.error_detail @> '{"step": "collect_evidence", "sqlstate": "08006",
                                    "message": "evidence service unavailable"}'
            AND r.metrics->'steps' @> '[{"name": "validate_inputs", "status": "succeeded"},
                                         {"name": "collect_evidence", "status": "failed"},
                                         {"name": "generate_opportunities", "status": "skipped"}]'
     FROM demo.calls c JOIN project_runs r ON r.id = (c.result->'data'->>'id')::uuid
     WHERE c.label = 'demo.fails 1')
    AND (SELECT (c.result->>'created')::boolean AND r.status = 'succeeded' AND r.attempt = 2
            AND r.idempotency_key = :'p1' || ':1:demo.fails'
     FROM demo.calls c JOIN project_runs r ON r.id = (c.result->'data'->>'id')::uuid
     WHERE c.label = 'demo.fails 2'));


\echo
\echo '== Extra: finished runs are frozen =='
\echo
\echo 'Even a superuser cannot rewrite history. Try to put the succeeded run back to running:'
\echo '  UPDATE project_runs SET status = ''running'' WHERE id = <the run of step 3>;'
\set ON_ERROR_STOP 0
UPDATE project_runs SET status = 'running' WHERE id = :'run1';
\set ON_ERROR_STOP 1
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate,
       (SELECT status FROM project_runs WHERE id = :'run1') AS run_status_afterwards;

INSERT INTO demo.checks (label, ok) VALUES ('The trigger refuses changing a finished run (SQLSTATE PR002)',
    :'LAST_ERROR_SQLSTATE' = 'PR002'
    AND (SELECT status = 'succeeded' FROM project_runs WHERE id = :'run1'));


\echo
\echo '== Result =='
\echo
\pset format unaligned
\pset tuples_only on
SELECT CASE WHEN coalesce(ok, false) THEN '  ✓ ' ELSE '  ✗ ' END || label FROM demo.checks ORDER BY ord;
\echo
SELECT CASE WHEN bool_and(coalesce(ok, false)) THEN 'All ' || count(*) || ' checks passed.'
            ELSE count(*) FILTER (WHERE ok IS NOT TRUE) || ' of ' || count(*) || ' checks FAILED.' END
FROM demo.checks;
