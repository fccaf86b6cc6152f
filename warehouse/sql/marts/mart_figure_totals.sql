-- Reported figures per category and unit, with the range of values seen.
CREATE VIEW mart_figure_totals AS
SELECT
    category,
    unit,
    count(*)          AS figures,
    count(event_id)   AS linked_to_events,
    min(value)        AS min_value,
    max(value)        AS max_value,
    count(DISTINCT article_id) AS articles
FROM figures
GROUP BY ALL;
