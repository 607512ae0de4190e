-- pgbench script (section "generate", b): the repeat call. Every project of
-- setup.sql already has its generated run (scripts/bench.sh makes them
-- first), so the call finds the key's run and returns it as it is
-- ("created": false). Variables: -D nprojects=N.
\set p 100000000000 + random(1, :nprojects)
SELECT project_runs_generate(('00000000-0000-4000-8000-' || :p)::uuid);
