-- Section "generate" (c): thousands of generate calls in ONE transaction, in
-- one statement, each on a fresh key (its own project, which has one final
-- input). psql variables:
--   variant   label (builtin | read | write)
--   pv        the pipeline version: the default (built-in steps, no
--             subtransaction), or one whose collect_evidence step is a
--             registered SQL function (generate_setup.sql) that runs in a
--             subtransaction: bench_step_read only reads, bench_step_write
--             inserts a row, so its subtransaction takes an XID
--   n         calls; batch: calls per timed batch; edge: calls in the
--             first/last figure
-- Environment: BENCH_DIR, BENCH_LOOP_DB (for the concurrent reader, run
-- while the transaction is open and after its COMMIT).
-- Prints (scripts/bench.sh turns them into a table):
--   LOOPB <variant> <batch k> <calls> <ok+created> <us per call>
--   LOOPE <variant> <first edge: us per call> <last edge: us per call>
--   LOOPX <variant> <top XID assigned> <rows the steps wrote> <distinct XIDs of those rows>
--   LOOPT <variant> <statement wall s> <backend CPU s> <COMMIT ms>
--   LOOPC <variant> <succeeded runs of the pipeline version after COMMIT>
--   READER lines (generate_reader.sql), MEM lines (mem_probe.sql)
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT pg_backend_pid() AS bpid \gset
\setenv BENCH_BACKEND_PID :bpid

-- The loop's projects 0..n (0 warms the session up), each with one final input.
WITH p AS (
    INSERT INTO projects (id, user_id, name, created_at)
    SELECT bench_loop_project(i), ('00000000-0000-4000-9000-' || (100000000000 + i % 50))::uuid,
           'loop project ' || i, now()
    FROM generate_series(0, :n) i
    ON CONFLICT (id) DO NOTHING
    RETURNING id
)
INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT id, 1, 'final', '{"topic": "loop", "market": "b2b", "keywords": ["a", "b"]}' FROM p;
ANALYZE projects;
ANALYZE project_inputs;

-- Warm-up: one call (plans prepared, caches filled), not counted.
SELECT project_runs_generate(bench_loop_project(0), NULL, :'pv') \g /dev/null

-- The smallest version 7 id of this millisecond: every run the loop makes
-- has a larger id (ids are time-ordered), the warm-up run a smaller one.
SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
        || '70008000000000000000')::uuid AS from_id \gset
\setenv BENCH_READER_FROM :from_id

\set mem_label :variant '_start'
\ir mem_probe.sql
BEGIN;
\ir cpu_probe.sql
\set cpu0 :cpu_ns
\set at0 :cpu_at
WITH c AS MATERIALIZED (
    SELECT g,
           project_runs_generate(bench_loop_project(g), NULL, :'pv') @> '{"ok": true, "created": true}' AS good,
           clock_timestamp() AS ts
    FROM generate_series(1, :n) g
), b AS (
    SELECT (g - 1) / :batch + 1 AS k, count(*) AS calls, count(*) FILTER (WHERE good) AS good,
           max(ts) AS t_end
    FROM c GROUP BY 1
)
SELECT format('LOOPB %s %s %s %s %s', :'variant', k, calls, good,
              round((extract(epoch FROM t_end - lag(t_end, 1, statement_timestamp()) OVER (ORDER BY k))
                     * 1e6 / calls)::numeric, 1))
FROM b
UNION ALL
SELECT format('LOOPE %s %s %s', :'variant',
              round((extract(epoch FROM (SELECT ts FROM c WHERE g = :edge) - statement_timestamp())
                     * 1e6 / :edge)::numeric, 1),
              round((extract(epoch FROM (SELECT ts FROM c WHERE g = :n) - (SELECT ts FROM c WHERE g = :n - :edge))
                     * 1e6 / :edge)::numeric, 1));
\ir cpu_probe.sql
SELECT format('LOOPT_PART %s %s', round(:cpu_at - :at0, 3), round((:cpu_ns - :cpu0) / 1e9, 3)) AS loopt_part \gset
SELECT format('LOOPX %s %s %s %s', :'variant', pg_current_xact_id_if_assigned() IS NOT NULL,
              count(*), count(DISTINCT s.xmin::text))
FROM bench_step_log s JOIN project_runs r ON r.id = s.run_id
WHERE r.pipeline_version = :'pv' AND r.id >= :'from_id';
\set mem_label :variant '_in_tx'
\ir mem_probe.sql
-- A reader in another session while this transaction is open.
\set rlabel :variant '_open'
\setenv BENCH_READER_LABEL :rlabel
\! psql -X -q -At -v ON_ERROR_STOP=1 -d "$BENCH_LOOP_DB" -v label="$BENCH_READER_LABEL" -v from="$BENCH_READER_FROM" -f "$BENCH_DIR/generate_reader.sql"
SELECT extract(epoch FROM clock_timestamp()) AS c0 \gset
COMMIT;
SELECT format('LOOPT %s %s %s %s', :'variant', split_part(:'loopt_part', ' ', 2), split_part(:'loopt_part', ' ', 3),
              round(((extract(epoch FROM clock_timestamp()) - :c0) * 1000)::numeric, 2));
\set mem_label :variant '_end'
\ir mem_probe.sql
\set rlabel :variant '_done'
\setenv BENCH_READER_LABEL :rlabel
\! psql -X -q -At -v ON_ERROR_STOP=1 -d "$BENCH_LOOP_DB" -v label="$BENCH_READER_LABEL" -v from="$BENCH_READER_FROM" -f "$BENCH_DIR/generate_reader.sql"
SELECT format('LOOPC %s %s', :'variant', count(*))
FROM project_runs
WHERE pipeline_version = :'pv' AND status = 'succeeded'
  AND project_id IN (SELECT bench_loop_project(i) FROM generate_series(1, :n) i);
