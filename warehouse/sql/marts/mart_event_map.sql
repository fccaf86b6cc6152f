-- One row per located event with its place and article: the table a map or BI dashboard points at.
-- Grain: event_id. `event_date` is the event's date, else the UTC day its article was published
-- (`date_source`: 'event' | 'published_at' | NULL). Negated events are left out.
CREATE VIEW mart_event_map AS
SELECT
    event_id,
    event_type,
    acled_event_type,
    acled_sub_event_type,
    event_date,
    fatalities,
    actor_text,
    recipient_text,
    place_name,
    country_code,
    latitude,
    longitude,
    title,
    url,
    published_at,
    article_id,
    date_source,
    date_precision,
    event_mode,
    feature_type,
    place_id,
    admin1_code,
    admin1_name,
    location_id,
    source,
    confidence
FROM mart_events
WHERE latitude IS NOT NULL AND longitude IS NOT NULL;
