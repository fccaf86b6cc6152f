-- Data-quality history: one row per run with its outcome and its expectations' results (`dq_results`).
-- Grain: run_id. `recency_rank` 1 is the run started last. `failed_expectations` lists
-- table.expectation(column) of every failed expectation; runs that crashed before the gate have 0 expectations.
CREATE VIEW mart_dq_runs AS
WITH results AS (
    SELECT
        run_id,
        count(*)                                                        AS expectations,
        count(*) FILTER (WHERE success)                                 AS expectations_passed,
        count(*) FILTER (WHERE NOT coalesce(success, false))            AS expectations_failed,
        count(*) FILTER (WHERE NOT coalesce(success, false) AND row_level)              AS row_level_failed,
        count(*) FILTER (WHERE NOT coalesce(success, false) AND NOT coalesce(row_level, false)) AS table_level_failed,
        count(*) FILTER (WHERE error IS NOT NULL)                       AS expectation_errors,
        CAST(coalesce(sum(unexpected_count) FILTER (WHERE NOT coalesce(success, false)), 0) AS BIGINT)
                                                                        AS unexpected_values,
        string_agg(
            table_name || '.' || expectation_type || coalesce('(' || column_name || ')', ''), ', '
            ORDER BY table_name, expectation_type, column_name
        ) FILTER (WHERE NOT coalesce(success, false))                   AS failed_expectations,
        max(checked_at)                                                 AS checked_at
    FROM dq_results
    GROUP BY run_id
)
SELECT
    r.run_id,
    r.started_at,
    r.finished_at,
    r.status,
    r.dq_outcome,
    r.reason,
    r.seconds,
    r.inputs_seen,
    r.articles_new,
    r.duplicates_skipped,
    r.rejects,
    r.quarantined_rows,
    r.locations_rows,
    r.figures_rows,
    r.events_rows,
    coalesce(d.expectations, 0)         AS expectations,
    coalesce(d.expectations_passed, 0)  AS expectations_passed,
    coalesce(d.expectations_failed, 0)  AS expectations_failed,
    coalesce(d.row_level_failed, 0)     AS row_level_failed,
    coalesce(d.table_level_failed, 0)   AS table_level_failed,
    coalesce(d.expectation_errors, 0)   AS expectation_errors,
    coalesce(d.unexpected_values, 0)    AS unexpected_values,
    d.failed_expectations,
    d.checked_at,
    row_number() OVER (ORDER BY r.started_at DESC NULLS LAST, r.run_id DESC) AS recency_rank
FROM runs AS r
LEFT JOIN results AS d ON d.run_id = r.run_id;
