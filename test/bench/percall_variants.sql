-- Included (\ir) by core_percall.sql: statement :stmt in every variant.
\set variant floor
\set label floor
\ir percall_phase.sql
\set variant floor_ev
\set label floor_ev
\ir percall_phase.sql
\set variant trig
\set label trig
\ir percall_phase.sql
\set variant func
\set label func
\ir percall_phase.sql
