-- Events and reported deaths per event-location country and day.
CREATE VIEW mart_country_daily AS
SELECT
    country_code,
    event_date,
    acled_event_type,
    count(*)                       AS events,
    sum(coalesce(fatalities, 0))   AS fatalities,
    count(DISTINCT article_id)     AS articles
FROM events
WHERE country_code IS NOT NULL AND NOT coalesce(negated, false)
GROUP BY ALL;
