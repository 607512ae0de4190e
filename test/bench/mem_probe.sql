-- Included (\ir) by the memory scripts: prints one line
--   MEM <label> <epoch s> <VmRSS kB> <RssAnon kB> <RssShmem kB> <VmHWM kB> <memory-context bytes>
-- for the session's own backend. Needs the psql variable mem_label and the
-- environment variable BENCH_BACKEND_PID (\setenv, from pg_backend_pid()).
-- /proc/<pid>/status is world-readable, so psql may run as any user, but it
-- must run on the database server's machine.
SELECT sum(total_bytes)::bigint AS mem_ctx,
       extract(epoch FROM clock_timestamp())::numeric(20, 3) AS mem_at
FROM pg_backend_memory_contexts \gset
\set mem_status `awk '/^(VmRSS|RssAnon|RssShmem|VmHWM):/ { v[$1] = $2 } END { print v["VmRSS:"], v["RssAnon:"], v["RssShmem:"], v["VmHWM:"] }' /proc/$BENCH_BACKEND_PID/status`
\echo MEM :mem_label :mem_at :mem_status :mem_ctx
