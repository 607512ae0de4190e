-- Benchmark database setup, shared by every section of scripts/bench.sh.
-- Run with psql -v projects=N (number of projects to seed).
--
-- Projects get predictable ids so pgbench scripts can pick one at random
-- without a lookup: project i (1..N) is
--   ('00000000-0000-4000-8000-' || (100000000000 + i))::uuid
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS project_runs;

-- The application's tables (the extension does not create them).
CREATE TABLE IF NOT EXISTS projects (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text,
    created_at timestamptz DEFAULT now()
);
CREATE TABLE IF NOT EXISTS project_inputs (
    project_id uuid,
    version int,
    status text,
    input_json jsonb,
    created_at timestamptz DEFAULT now()
);

INSERT INTO projects (id, user_id, name)
SELECT ('00000000-0000-4000-8000-' || (100000000000 + i))::uuid,
       ('00000000-0000-4000-9000-' || (100000000000 + i % 50))::uuid,  -- 50 users
       'bench project ' || i
FROM generate_series(1, :projects) AS i
ON CONFLICT (id) DO NOTHING;

INSERT INTO project_inputs (project_id, version, status, input_json)
SELECT p.id, 1, 'final', '{"topic": "bench"}'
FROM projects p
WHERE NOT EXISTS (SELECT 1 FROM project_inputs i WHERE i.project_id = p.id);

ANALYZE projects;
ANALYZE project_inputs;
