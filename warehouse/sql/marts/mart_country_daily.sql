-- Events and reported deaths per event-location country, day and ACLED event type.
-- Grain: (country_code, event_date, acled_event_type, date_source). `event_date` is the event's date, else the
-- UTC day its article was published (`date_source` says which; NULL when neither is known). Each event counts
-- once and its `fatalities` once. Negated events are left out.
CREATE VIEW mart_country_daily AS
SELECT
    country_code,
    event_date,
    acled_event_type,
    count(*)                                        AS events,
    CAST(sum(coalesce(fatalities, 0)) AS BIGINT)    AS fatalities,
    count(DISTINCT article_id)                      AS articles,
    date_source
FROM mart_events
WHERE country_code IS NOT NULL
GROUP BY country_code, event_date, acled_event_type, date_source;
