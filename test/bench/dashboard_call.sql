-- pgbench script (section "dashboard"): the dashboard call alone, one round
-- trip: the role and the claims are set (locally, for this statement's
-- transaction) by a sub-select evaluated before the call, so the latency
-- pgbench logs is the call's own plus one round trip. Variables: -D users=N.
\set u random(0, :users - 1)
SELECT project_runs_dashboard() FROM (SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', bench_claims(:u), true) OFFSET 0) s;
