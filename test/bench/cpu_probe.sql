-- Included (\ir): sets cpu_ns (CPU time of the session's backend so far, in
-- nanoseconds, the first field of /proc/<pid>/schedstat) and cpu_at (wall
-- clock, seconds). Needs the environment variable BENCH_BACKEND_PID (\setenv);
-- psql must run on the database server's machine.
\set cpu_ns `awk '{ print $1 }' /proc/$BENCH_BACKEND_PID/schedstat`
SELECT extract(epoch FROM clock_timestamp())::numeric(20, 6) AS cpu_at \gset
