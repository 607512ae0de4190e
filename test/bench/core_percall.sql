-- Section "core": the server cost of each statement, in ONE session and
-- without the network: n calls of each statement from a plpgsql loop
-- (bench_percall in core_setup.sql), timed by the backend's CPU time.
-- Variables (psql -v): n, round (scripts/bench.sh runs several rounds, each
-- in a new session, and keeps the lowest figure of each cell).
-- Prints PERCALL lines (percall_phase.sql) and CHECK lines (runs per
-- variant and status) for scripts/bench.sh.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT pg_backend_pid() AS bpid \gset
\setenv BENCH_BACKEND_PID :bpid

-- Warm up the session's caches (plans, catalog) on a few calls of each.
\set w warm_r :round
CALL bench_percall('floor', 'create', 200, :'w');
CALL bench_percall('floor', 'running', 200, :'w');
CALL bench_percall('floor', 'succeeded', 200, :'w');
CALL bench_percall('floor_ev', 'create', 200, :'w' || '_ev');
CALL bench_percall('floor_ev', 'running', 200, :'w' || '_ev');
CALL bench_percall('floor_ev', 'succeeded', 200, :'w' || '_ev');
CALL bench_percall('trig', 'create', 200, :'w');
CALL bench_percall('trig', 'running', 200, :'w');
CALL bench_percall('trig', 'succeeded', 200, :'w');
CALL bench_percall('func', 'create', 200, :'w' || '_fn');
CALL bench_percall('func', 'running', 200, :'w' || '_fn');
CALL bench_percall('func', 'succeeded', 200, :'w' || '_fn');

-- The loop's own cost: one trivial C call per iteration.
\set variant call
\set label call
\set stmt create
\ir percall_phase.sql

-- Each statement kind in turn, the variants side by side.
\set stmt create
\ir percall_variants.sql
\set stmt running
\ir percall_variants.sql
\set stmt succeeded
\ir percall_variants.sql

-- The functions again with the event trigger (project_run_events) off, to
-- show what the event log costs. Re-enabled right after.
ALTER TABLE project_runs DISABLE TRIGGER project_runs_log_event;
\set variant func
\set label func_noev
\set stmt create
\ir percall_phase.sql
\set stmt running
\ir percall_phase.sql
\set stmt succeeded
\ir percall_phase.sql
ALTER TABLE project_runs ENABLE ALWAYS TRIGGER project_runs_log_event;

SELECT 'CHECK ' || pipeline_version || ' ' || status || ' ' || count(*)
FROM (SELECT pipeline_version, status::text FROM project_runs
      UNION ALL SELECT pipeline_version, status::text FROM bench_floor_runs) AS r
WHERE pipeline_version LIKE 'pc.%\_r' || :'round'
GROUP BY pipeline_version, status ORDER BY 1;
