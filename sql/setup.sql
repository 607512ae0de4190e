-- The application's tables, as a Supabase app has them, and a few fixtures
-- shared by the tests that follow. The extension itself is created by
-- pg_regress (--load-extension) before this file runs.
CREATE TABLE projects (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text,
    created_at timestamptz DEFAULT now()
);
CREATE INDEX projects_user_id_idx ON projects (user_id);
CREATE TABLE project_inputs (
    project_id uuid,
    version int,
    status text,
    input_json jsonb,
    created_at timestamptz DEFAULT now()
);

INSERT INTO projects (id, user_id, name) VALUES
    ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-0000000000a1', 'Alpha'),
    ('00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-0000000000b1', 'Beta');

-- Runs an SQL statement and reports its SQLSTATE and message (run ids
-- masked), or 'ok' when it succeeds.
CREATE FUNCTION expect_error(statement text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM,
        '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g');
END
$$;

-- A short view of a jsonb Result: ok, error code, and the run's status.
CREATE FUNCTION brief(result jsonb) RETURNS text
LANGUAGE sql AS $$
    SELECT CASE WHEN (result->>'ok')::bool
        THEN 'ok' || coalesce(' created=' || (result->>'created'), '')
             || coalesce(' status=' || (result->'data'->>'status'), '')
             || coalesce(' attempt=' || (result->'data'->>'attempt'), '')
        ELSE 'error ' || (result->'error'->>'code') || ': ' || regexp_replace(result->'error'->>'message',
            '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g')
    END
$$;

SELECT extname, extversion FROM pg_extension WHERE extname = 'project_runs';
SELECT project_runs_version() = extversion AS module_matches_script
FROM pg_extension WHERE extname = 'project_runs';
