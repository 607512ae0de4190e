-- Sections "dashboard" and "rls": loads runs first..last (run numbers) into
-- project_runs in ONE statement, the way pg_restore does: a superuser
-- session with row_security = off may insert complete, consistent rows
-- (id, timestamps, status, attempt of its own; README, "Rules the triggers
-- enforce"). psql variables:
--   first, last   run numbers (0-based)
--   projects      number of projects (run n belongs to project n % projects)
--   step_ms       milliseconds between two runs' created_at
--   keys          1: idempotency keys like generate's (<project>:<input>:<pipeline>), 0: none
-- Run n: created at 2025-01-01 + n * step_ms, started 1-7 ms later,
-- finished 20-520 ms after that, succeeded; its id is a version 7 UUID of
-- created_at (time-ordered, like the server's); input version = the run's
-- number within its project + 1.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET row_security = off;
SET synchronous_commit = off;
INSERT INTO project_runs (id, project_id, input_version, pipeline_version, status, created_at,
                          started_at, finished_at, output, metrics, idempotency_key, attempt)
SELECT (lpad(to_hex(t.ms), 12, '0') || '7' || lpad(to_hex(n % 4096), 3, '0') || '8'
        || lpad(to_hex(n), 15, '0'))::uuid,
       bench_project(n % :projects),
       n / :projects + 1,
       '2025-12-23.v1',
       'succeeded',
       t.created,
       t.created + (1 + n % 7) * interval '1 ms',
       t.created + (21 + n % 7 + n % 500) * interval '1 ms',
       '{"summary": {"generate_opportunities": {"count": 3}}}',
       '{"pipeline_version": "2025-12-23.v1"}',
       CASE WHEN :keys = 1
            THEN bench_project(n % :projects) || ':' || (n / :projects + 1) || ':2025-12-23.v1' END,
       1
FROM generate_series(:first::bigint, :last::bigint) n,
     LATERAL (SELECT x.ts AS created, (extract(epoch FROM x.ts) * 1000)::bigint AS ms
              FROM (SELECT timestamptz '2025-01-01 00:00:00+00' + n * :step_ms * interval '1 ms' AS ts) x) t;
