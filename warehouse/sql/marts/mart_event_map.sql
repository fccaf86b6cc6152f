-- One row per located event with its article: the table a map or BI dashboard points at.
CREATE VIEW mart_event_map AS
SELECT
    e.event_id,
    e.event_type,
    e.acled_event_type,
    e.acled_sub_event_type,
    e.event_date,
    e.fatalities,
    e.actor_text,
    e.recipient_text,
    l.place_name,
    e.country_code,
    e.latitude,
    e.longitude,
    a.title,
    a.url,
    a.published_at,
    e.article_id
FROM events AS e
JOIN articles AS a USING (article_id)
LEFT JOIN locations AS l USING (location_id)
WHERE e.latitude IS NOT NULL AND NOT coalesce(e.negated, false);
