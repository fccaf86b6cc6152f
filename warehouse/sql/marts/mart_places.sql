-- Resolved places by how often they are mentioned, with the events located there.
-- Grain: place_key (the GeoNames id, else 'name:<country_code>:<place_name>'). `mention_rank` 1 is the most
-- mentioned place (ties broken by articles, then name). Events count once each, negated ones left out.
CREATE VIEW mart_places AS
WITH mentions AS (
    SELECT
        coalesce(place_id, 'name:' || coalesce(country_code, '') || ':' || place_name) AS place_key,
        location_id, article_id, mention_kind, place_id, place_name, feature_type, country_code, admin1_code,
        latitude, longitude
    FROM locations
    WHERE place_name IS NOT NULL
),
places AS (
    SELECT
        place_key,
        min(place_id)                                       AS place_id,
        min(place_name)                                     AS place_name,
        min(feature_type)                                   AS feature_type,
        min(country_code)                                   AS country_code,
        min(admin1_code)                                    AS admin1_code,
        min(latitude)                                       AS latitude,
        min(longitude)                                      AS longitude,
        count(*)                                            AS mentions,
        count(DISTINCT article_id)                          AS articles,
        count(*) FILTER (WHERE mention_kind = 'demonym')    AS demonym_mentions
    FROM mentions
    GROUP BY place_key
),
located AS (
    SELECT
        m.place_key,
        count(*)                                            AS events,
        CAST(sum(coalesce(e.fatalities, 0)) AS BIGINT)      AS fatalities
    FROM mart_events AS e
    JOIN mentions AS m ON m.location_id = e.location_id
    GROUP BY m.place_key
)
SELECT
    p.place_key,
    p.place_id,
    p.place_name,
    p.feature_type,
    p.country_code,
    p.admin1_code,
    p.latitude,
    p.longitude,
    p.mentions,
    p.articles,
    p.demonym_mentions,
    coalesce(x.events, 0)                                   AS events,
    coalesce(x.fatalities, 0)                               AS fatalities,
    row_number() OVER (ORDER BY p.mentions DESC, p.articles DESC, p.place_name, p.place_key) AS mention_rank
FROM places AS p
LEFT JOIN located AS x ON x.place_key = p.place_key;
