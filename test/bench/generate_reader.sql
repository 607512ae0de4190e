-- Section "generate" (c): a concurrent reader, run (from generate_loop.sql,
-- with \!) in another session while the loop's transaction is open, and
-- after its COMMIT. Prints
--   READER <label> <min ms> <median ms> <max ms>
-- of 7 runs of a count of the runs whose id is at least :from (the loop's
-- runs: ids are time-ordered), an index scan over their row versions. While
-- the transaction is open every version is in progress and invisible; when
-- that transaction has more than 64 subtransaction XIDs, every snapshot is
-- "suboverflowed" and each of those checks goes through pg_subtrans.
-- psql variables: label, from (a uuid).
\set ON_ERROR_STOP 1
SELECT format('READER %s %s %s %s', :'label', min(ms), percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), max(ms))
FROM (SELECT bench_explain_ms(format('SELECT count(*) FROM project_runs WHERE id >= %L::uuid', :'from')) AS ms
      FROM generate_series(1, 7)) s;
