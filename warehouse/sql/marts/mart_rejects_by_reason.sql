-- Inputs that could not become articles, per reason code.
-- Grain: reason. `example_source`/`example_detail` come from the latest reject with that reason.
CREATE VIEW mart_rejects_by_reason AS
SELECT
    reason,
    count(*)                                AS rejects,
    count(DISTINCT run_id)                  AS runs,
    min(rejected_at)                        AS first_rejected_at,
    max(rejected_at)                        AS last_rejected_at,
    arg_max(source, rejected_at)            AS example_source,
    arg_max(detail, rejected_at)            AS example_detail
FROM rejects
GROUP BY reason;
