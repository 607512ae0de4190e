-- Section "generate": objects for the orchestrator's benchmarks.
-- Run once in the bench database (after setup.sql), as the superuser.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- (a) A pool of fresh projects, each with one final input, handed out in
-- order by a sequence, so that every generate call of
-- generate_fresh.sql gets a key nobody holds. Pool project n is
--   ('00000000-0000-4000-c000-' || lpad(n::text, 12, '0'))::uuid
-- bench_gen_topup(k) seeds projects until at least k of them are unused.
CREATE SEQUENCE IF NOT EXISTS bench_gen_seq;
CREATE TABLE IF NOT EXISTS bench_gen_pool (seeded bigint NOT NULL);
INSERT INTO bench_gen_pool SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM bench_gen_pool);

CREATE OR REPLACE FUNCTION bench_gen_project(n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ('00000000-0000-4000-c000-' || lpad(n::text, 12, '0'))::uuid $$;

-- The input of every pool project: what a user of the seed app types in.
CREATE OR REPLACE FUNCTION bench_gen_input(n bigint) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT jsonb_build_object('topic', 'bench topic ' || n, 'market', 'b2b',
                                    'keywords', jsonb_build_array('analytics', 'runs', 'ledger'),
                                    'budget', 1000) $$;

-- The owner of pool project n: 20 consecutive projects per user (the
-- flow's users of setup.sql also own 20 each), and the request.jwt.claims
-- PostgREST sets for that user (generate_fresh_rest.sql), and the same for
-- project p of setup.sql (generate_flow_rest.sql). Their bodies use only
-- immutable operators (::text before ||), so that the planner inlines them
-- even in a generic plan, as runs_db_setup.sql explains.
CREATE OR REPLACE FUNCTION bench_gen_user(n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ('00000000-0000-4000-9100-' || lpad((n / 20)::text, 12, '0'))::uuid $$;
CREATE OR REPLACE FUNCTION bench_gen_claims(n bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT '{"sub":"' || bench_gen_user(n)::text || '","role":"authenticated","aud":"authenticated"}' $$;
CREATE OR REPLACE FUNCTION bench_flow_claims(p bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT '{"sub":"00000000-0000-4000-9000-' || (100000000000 + p % 50)::text
                 || '","role":"authenticated","aud":"authenticated"}' $$;
-- What PostgREST's authenticated role holds in a Supabase project: the
-- application's tables to read (the extension granted it the ledger).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        GRANT SELECT ON projects, project_inputs TO authenticated;
        GRANT USAGE ON SEQUENCE bench_gen_seq TO authenticated;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION bench_gen_topup(min_free bigint) RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE
    used bigint;
    have bigint;
    want bigint;
BEGIN
    SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO used FROM bench_gen_seq;
    SELECT seeded INTO have FROM bench_gen_pool FOR UPDATE;
    want := used + min_free;
    IF want > have THEN
        INSERT INTO projects (id, user_id, name, created_at)
        SELECT bench_gen_project(n), bench_gen_user(n),
               'generate pool ' || n, now()
        FROM generate_series(have + 1, want) n;
        INSERT INTO project_inputs (project_id, version, status, input_json)
        SELECT bench_gen_project(n), 1, 'final', bench_gen_input(n)
        FROM generate_series(have + 1, want) n;
        UPDATE bench_gen_pool SET seeded = want;
        have := want;
    END IF;
    RETURN have - used;
END
$$;

-- (c) The subtransaction loop: its own projects, each with one final input.
-- Loop project n is ('00000000-0000-4000-d000-' || lpad(n::text, 12, '0'))::uuid.
CREATE OR REPLACE FUNCTION bench_loop_project(n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ('00000000-0000-4000-d000-' || lpad(n::text, 12, '0'))::uuid $$;

-- Registered steps (the database owner's SQL functions) for two pipeline
-- versions that only the loop uses: one that only reads, one that WRITES a
-- row (so its subtransaction takes an XID of its own).
CREATE TABLE IF NOT EXISTS bench_step_log (
    run_id uuid NOT NULL,
    step text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE OR REPLACE FUNCTION bench_step_read(run_id uuid, input jsonb, context jsonb)
    RETURNS jsonb LANGUAGE sql VOLATILE
    AS $$ SELECT jsonb_build_object('evidence', '[]'::jsonb, 'count', 0,
                                    'fields', (SELECT count(*) FROM jsonb_object_keys(input))) $$;

CREATE OR REPLACE FUNCTION bench_step_write(run_id uuid, input jsonb, context jsonb)
    RETURNS jsonb LANGUAGE sql VOLATILE
    AS $$ INSERT INTO bench_step_log (run_id, step) VALUES (run_id, context ->> 'step');
          SELECT jsonb_build_object('evidence', '[]'::jsonb, 'count', 0) $$;

INSERT INTO project_runs_pipeline_steps VALUES
    ('bench.read.v1', 'collect_evidence', 'bench_step_read(uuid,jsonb,jsonb)'),
    ('bench.write.v1', 'collect_evidence', 'bench_step_write(uuid,jsonb,jsonb)')
ON CONFLICT DO NOTHING;

ANALYZE projects;
ANALYZE project_inputs;

-- The application's input table needs an index by project: generate looks
-- the newest final input of a project up on every call (without one, every
-- call reads the whole table). An application would have (project_id,
-- version) as its primary key.
-- And the projects need an index by owner, as the README asks: row-level
-- security looks up the caller's projects once per statement.
CREATE INDEX IF NOT EXISTS bench_projects_user_id_idx ON projects (user_id);
CREATE INDEX IF NOT EXISTS bench_project_inputs_project_version_idx
    ON project_inputs (project_id, version);
ANALYZE project_inputs;

-- The execution time (ms) of a query, from EXPLAIN ANALYZE (server side,
-- no round trip): the concurrent reader of the loop (generate_reader.sql).
CREATE OR REPLACE FUNCTION bench_explain_ms(query text) RETURNS numeric
    LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF, FORMAT JSON) ' || query INTO plan;
    RETURN round((plan -> 0 ->> 'Execution Time')::numeric, 3);
END
$$;
