-- Section "core": backend memory over many calls in ONE session.
-- Variables (psql -v): warm, rest (warm + rest = total calls), total.
-- Prints MEM lines (see mem_probe.sql) that scripts/bench.sh turns into a table.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT pg_backend_pid() AS bpid \gset
\setenv BENCH_BACKEND_PID :bpid

-- 1. create -> set_running -> set_succeeded cycles (plpgsql procedure,
--    COMMIT every 1000 cycles; see core_setup.sql).
\set mem_label cycles_start
\ir mem_probe.sql
CALL bench_core_cycles(:warm);
\set mem_label cycles_warm
\ir mem_probe.sql
CALL bench_core_cycles(:rest);
\set mem_label cycles_end
\ir mem_probe.sql

-- 2. The pure functions, many calls in ONE statement, twice: the first
--    statement warms up (the allocator's arenas grow to their working size),
--    the second shows whether anything grows per call. The series is in a
--    ProjectSet (target list), not a FunctionScan, so no tuplestore of the
--    whole series muddies the figures. The arguments depend on i so that the
--    planner cannot fold the IMMUTABLE calls into one.
\set mem_label pure_start
\ir mem_probe.sql
\ir pure_calls.sql
\set mem_label pure_warm
\ir mem_probe.sql
\ir pure_calls.sql
\set mem_label pure_end
\ir mem_probe.sql
