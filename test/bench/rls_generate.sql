-- pgbench script (section "rls"): generate on one of the user's projects
-- whose run exists (the repeat call: the run holding the key is read and
-- returned, created = false), as PostgREST calls it: BEGIN; the role and the
-- JWT claims set locally; the call; COMMIT. The user has every run of the
-- database, so a key lookup that read the user's runs would show here.
-- Variables: -D role=authenticated|service_role, -D claims=<request.jwt.claims>,
-- -D nprojects=N (the user's projects are 0..N-1).
\set k random(0, :nprojects - 1)
BEGIN;
SELECT set_config('role', :role, true), set_config('request.jwt.claims', :claims, true);
SELECT project_runs_generate(bench_project(:k));
COMMIT;
