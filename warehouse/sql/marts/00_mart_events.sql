-- One row per event (negated ones, "did not attack", are left out) with its place, admin1 and article, and a
-- date wherever one is known: the event's own date, else the UTC day its article was published. Sentences of
-- one article about the same event are one event: the row is its most confident mention (the one that
-- carries the death toll), `mentions` counts them. The other event marts build on this view (files run in
-- name order, so it comes first).
CREATE VIEW mart_events AS
WITH mention_counts AS (
    SELECT coalesce(same_event_id, event_id) AS event_id, count(*) AS mentions
    FROM events
    WHERE NOT coalesce(negated, false)
    GROUP BY ALL
),
admin1_names AS (  -- admin1 names the warehouse knows from admin1 mentions (GeoNames code -> name)
    SELECT country_code, admin1_code, min(place_name) AS admin1_name
    FROM locations
    WHERE feature_type = 'admin1' AND admin1_code IS NOT NULL AND place_name IS NOT NULL
    GROUP BY country_code, admin1_code
)
SELECT
    e.event_id,
    e.article_id,
    CASE
        WHEN e.event_date IS NOT NULL THEN e.event_date
        -- UTC day without the ICU time-zone rules: the same date in every session and every client
        WHEN a.published_at IS NOT NULL THEN CAST(make_timestamp(epoch_us(a.published_at)) AS DATE)
    END                                         AS event_date,
    CASE
        WHEN e.event_date IS NOT NULL THEN 'event'
        WHEN a.published_at IS NOT NULL THEN 'published_at'
    END                                         AS date_source,
    e.date_precision,
    e.event_type,
    e.event_mode,
    e.acled_event_type,
    e.acled_sub_event_type,
    e.trigger_text,
    e.actor_text,
    e.actor_country,
    e.recipient_text,
    e.recipient_country,
    e.fatalities,
    m.mentions,
    e.confidence,
    e.location_id,
    l.place_id,
    l.place_name,
    l.feature_type,
    e.country_code,
    l.admin1_code,
    n.admin1_name,
    e.latitude,
    e.longitude,
    a.title,
    a.url,
    a.source,
    a.published_at
FROM events AS e
JOIN mention_counts AS m ON m.event_id = e.event_id
LEFT JOIN articles AS a ON a.article_id = e.article_id
LEFT JOIN locations AS l ON l.location_id = e.location_id
LEFT JOIN admin1_names AS n ON n.country_code = l.country_code AND n.admin1_code = l.admin1_code
WHERE NOT coalesce(e.negated, false);
