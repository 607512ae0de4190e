-- Included (\ir) by core_memory.sql: :total calls each of
-- project_runs_http_status and project_runs_merge_metrics in one statement.
SELECT count(project_runs_http_status(
           (ARRAY['NOT_FOUND', 'INVALID_ARGUMENT', 'NO_INPUTS', 'IDEMPOTENCY_CONFLICT',
                  'STEP_FAILED', 'SOMETHING_ELSE_' || i])[1 + i % 6])) AS http,
       count(project_runs_merge_metrics(
           jsonb_build_object('pipeline_version', 'v1', 'n', i,
               'steps', jsonb_build_array(
                   jsonb_build_object('name', 'validate_inputs', 'status', 'succeeded'),
                   jsonb_build_object('name', 'collect_evidence', 'status', 'running'))),
           jsonb_build_object('n', i + 1, 'extra', jsonb_build_object('k', 'v'),
               'steps', jsonb_build_array(
                   jsonb_build_object('name', 'collect_evidence', 'status', 'succeeded',
                                      'duration_ms', i % 100),
                   jsonb_build_object('name', 'generate_opportunities', 'status', 'pending')))))
           AS merged
FROM (SELECT generate_series(1, :total) AS i) AS s \g /dev/null
