-- Included (\ir) by core_percall.sql: times
--   CALL bench_percall(:'variant', :'stmt', :n, '<label>_r<round>')
-- by the backend's CPU time and prints
--   PERCALL <label> <stmt> <n> <backend CPU ns> <wall seconds>
\set tag :label _r :round
\ir cpu_probe.sql
\set t0_ns :cpu_ns
\set t0_at :cpu_at
CALL bench_percall(:'variant', :'stmt', :n, :'tag');
\ir cpu_probe.sql
SELECT :cpu_ns - :t0_ns AS d_ns, :cpu_at - :t0_at AS d_at \gset
\echo PERCALL :label :stmt :n :d_ns :d_at
