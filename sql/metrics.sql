-- The metrics merge of the contract.
-- Objects merge key by key, recursively.
SELECT project_runs_merge_metrics('{"a": 1, "b": {"x": 1, "y": 2}}', '{"b": {"y": 3, "z": 4}, "c": 5}');
-- Arrays of objects with a string "name" merge element by element, by name,
-- keeping the order of first appearance and appending new names.
SELECT project_runs_merge_metrics(
    '{"steps": [{"name": "validate", "status": "succeeded"}, {"name": "collect", "status": "running"}]}',
    '{"steps": [{"name": "collect", "status": "succeeded", "ms": 40}, {"name": "generate", "status": "running"}]}');
-- Anything else: the new value replaces the old.
SELECT project_runs_merge_metrics('{"a": [1, 2]}', '{"a": [3]}');
SELECT project_runs_merge_metrics('{"a": {"x": 1}}', '{"a": 7}');
SELECT project_runs_merge_metrics('{"a": 7}', '{"a": {"x": 1}}');
SELECT project_runs_merge_metrics('{"a": [{"name": "x"}, 2]}', '{"a": [{"name": "y"}]}');
SELECT project_runs_merge_metrics('{"a": [{"name": 1}]}', '{"a": [{"name": "y"}]}');
SELECT project_runs_merge_metrics('{"a": null}', '{"a": {"b": 1}}');
SELECT project_runs_merge_metrics('{"a": 1}', '{"a": null}');
-- Numbers and strings keep their exact text.
SELECT project_runs_merge_metrics('{"n": 1}', '{"n": 12345678901234567890.000000000001, "s": "\u00e9\n"}');
-- Deep nesting.
SELECT project_runs_merge_metrics('{"a": {"b": {"c": {"d": 1}}}}', '{"a": {"b": {"c": {"e": 2}}}}');
-- NULL on either side gives the other.
SELECT project_runs_merge_metrics(NULL, '{"a": 1}'), project_runs_merge_metrics('{"a": 1}', NULL);
-- update_metrics merges into the stored metrics.
SELECT (project_runs_create('00000000-0000-4000-8000-00000000000a', 3, 'v1')->'data'->>'id')::uuid AS run \gset
SELECT project_runs_update_metrics(:'run', '{"steps": [{"name": "validate", "status": "running"}]}')->'data'->'metrics';
SELECT project_runs_update_metrics(:'run', '{"steps": [{"name": "validate", "status": "succeeded"}, {"name": "collect", "status": "running"}], "tokens": 5}')->'data'->'metrics';
SELECT project_runs_update_metrics(:'run', '{"tokens": 9}')->'data'->'metrics';
-- Empty objects on either side (the fast path), and the kinds around them.
SELECT project_runs_merge_metrics('{}', '{"a": [{"name": "x"}]}') AS into_empty,
       project_runs_merge_metrics('{"a": 1}', '{}') AS empty_patch,
       project_runs_merge_metrics('[]', '{}') AS array_then_object,
       project_runs_merge_metrics('{}', '[1]') AS object_then_array,
       project_runs_merge_metrics('{"a": {"b": 1}}', '{"a": {}}') AS nested_empty;
