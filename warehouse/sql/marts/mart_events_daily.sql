-- Events and reported deaths per day, country, admin1 and PLOVER event type.
-- Grain: (event_date, date_source, country_code, admin1_code, event_type); NULL is a value of each key
-- (no date, no country, no admin1). `event_date` is the event's date, else the UTC day its article was
-- published (`date_source` says which). Each event counts once and its `fatalities` once, so summing
-- `fatalities` over any set of rows gives the deaths of those events. Negated events are left out.
CREATE VIEW mart_events_daily AS
SELECT
    event_date,
    date_source,
    country_code,
    admin1_code,
    min(admin1_name)                                AS admin1_name,
    event_type,
    count(*)                                        AS events,
    CAST(sum(coalesce(fatalities, 0)) AS BIGINT)    AS fatalities,
    count(fatalities)                               AS events_with_fatalities,
    count(DISTINCT article_id)                      AS articles,
    count(DISTINCT location_id)                     AS places
FROM mart_events
GROUP BY event_date, date_source, country_code, admin1_code, event_type;
