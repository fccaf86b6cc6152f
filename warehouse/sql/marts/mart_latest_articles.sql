-- Articles, newest landed first, with how many facts each produced.
-- Grain: article_id. `recency_rank` 1 is the article ingested last (ties: published last, then id); filter
-- `recency_rank <= 20` for a "latest articles" panel. `fatalities` sums the article's (non-negated) events.
CREATE VIEW mart_latest_articles AS
WITH loc AS (
    SELECT article_id, count(*) AS locations, count(DISTINCT coalesce(place_id, place_name)) AS places
    FROM locations GROUP BY article_id
),
fig AS (
    SELECT article_id, count(*) AS figures FROM figures GROUP BY article_id
),
evt AS (
    SELECT
        article_id,
        count(*)                                                                AS events,
        CAST(sum(fatalities) FILTER (WHERE NOT coalesce(negated, false)) AS BIGINT) AS fatalities
    FROM events GROUP BY article_id
),
qua AS (
    SELECT article_id, count(*) AS quarantined_rows FROM quarantine GROUP BY article_id
)
SELECT
    row_number() OVER (
        ORDER BY a.ingested_at DESC NULLS LAST, a.published_at DESC NULLS LAST, a.article_id
    )                                   AS recency_rank,
    a.article_id,
    a.title,
    a.source,
    a.url,
    a.language,
    a.published_at,
    a.ingested_at,
    a.run_id,
    length(a.text)                      AS text_chars,
    coalesce(loc.locations, 0)          AS locations,
    coalesce(loc.places, 0)             AS places,
    coalesce(fig.figures, 0)            AS figures,
    coalesce(evt.events, 0)             AS events,
    evt.fatalities,
    coalesce(qua.quarantined_rows, 0)   AS quarantined_rows
FROM articles AS a
LEFT JOIN loc ON loc.article_id = a.article_id
LEFT JOIN fig ON fig.article_id = a.article_id
LEFT JOIN evt ON evt.article_id = a.article_id
LEFT JOIN qua ON qua.article_id = a.article_id;
