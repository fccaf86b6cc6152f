-- Reported figures per day, category and unit.
-- Grain: (figure_date, date_source, category, unit). `figure_date` is the date of the figure's event, else the
-- UTC day its article was published (`date_source`: 'event' | 'published_at' | NULL). Sums add every reported
-- figure once: the same toll reported by two articles (or twice in one) is added twice; `value_max` is the
-- largest single report.
CREATE VIEW mart_figures_daily AS
SELECT
    CASE
        WHEN e.event_date IS NOT NULL THEN e.event_date
        WHEN a.published_at IS NOT NULL THEN CAST(make_timestamp(epoch_us(a.published_at)) AS DATE)
    END                             AS figure_date,
    CASE
        WHEN e.event_date IS NOT NULL THEN 'event'
        WHEN a.published_at IS NOT NULL THEN 'published_at'
    END                             AS date_source,
    f.category,
    f.unit,
    count(*)                        AS figures,
    sum(f.value)                    AS value_sum,
    sum(f.value_low)                AS value_low_sum,
    sum(f.value_high)               AS value_high_sum,
    max(f.value)                    AS value_max,
    count(f.event_id)               AS linked_to_events,
    count(DISTINCT f.article_id)    AS articles
FROM figures AS f
LEFT JOIN events AS e ON e.event_id = f.event_id
LEFT JOIN articles AS a ON a.article_id = f.article_id
GROUP BY ALL;
