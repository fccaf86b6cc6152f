-- Contract tables (../shared/CONTRACT.md). One grain per table; keys are deterministic ids.
-- The four fact tables declare no PRIMARY KEY: DuckDB rewrites a table's whole key index at every
-- checkpoint, which made each publish cost what the warehouse holds. Their keys are unique all the same:
-- the publish checks each new part's keys against the table (warehouse/publish.py, `_check_keys`).
CREATE TABLE articles (
    article_id   VARCHAR NOT NULL,      -- key; from the content: the same article always gets the same id
    doc_id       VARCHAR,               -- the input's own id, or the path/URL it came from
    source       VARCHAR,
    url          VARCHAR,
    title        VARCHAR,
    published_at TIMESTAMPTZ,
    text         VARCHAR NOT NULL,      -- every offset indexes this text
    language     VARCHAR,
    ingested_at  TIMESTAMPTZ,
    run_id       VARCHAR
);

CREATE TABLE locations (
    location_id  VARCHAR NOT NULL,      -- key
    article_id   VARCHAR NOT NULL,
    start_char   INTEGER NOT NULL,
    end_char     INTEGER NOT NULL,
    mention_text VARCHAR NOT NULL,
    mention_kind VARCHAR,               -- toponym | demonym
    place_id     VARCHAR,               -- GeoNames id when the place comes from GeoNames
    place_name   VARCHAR,
    feature_type VARCHAR,
    country_code VARCHAR,
    admin1_code  VARCHAR,
    latitude     DOUBLE,
    longitude    DOUBLE,
    confidence   DOUBLE
);

CREATE TABLE figures (
    figure_id    VARCHAR NOT NULL,      -- key
    article_id   VARCHAR NOT NULL,
    start_char   INTEGER NOT NULL,
    end_char     INTEGER NOT NULL,
    mention_text VARCHAR NOT NULL,
    value        DOUBLE,
    value_low    DOUBLE,
    value_high   DOUBLE,
    qualifier    VARCHAR,
    unit         VARCHAR,
    object       VARCHAR,
    category     VARCHAR,
    event_id     VARCHAR
);

CREATE TABLE events (
    event_id             VARCHAR NOT NULL,   -- key
    article_id           VARCHAR NOT NULL,
    trigger_text         VARCHAR,
    trigger_start        INTEGER,
    trigger_end          INTEGER,
    sentence_start       INTEGER,
    sentence_end         INTEGER,
    event_type           VARCHAR,
    event_mode           VARCHAR,
    acled_event_type     VARCHAR,
    acled_sub_event_type VARCHAR,
    actor_text           VARCHAR,
    actor_country        VARCHAR,
    recipient_text       VARCHAR,
    recipient_country    VARCHAR,
    location_id          VARCHAR,
    latitude             DOUBLE,
    longitude            DOUBLE,
    country_code         VARCHAR,
    event_date           DATE,
    date_precision       VARCHAR,
    fatalities           INTEGER,
    negated              BOOLEAN,
    confidence           DOUBLE,
    same_event_id        VARCHAR,   -- event_id of the article's most confident mention of the same event:
                                    -- mentions sharing it are one event (count distinct same_event_id)
    fatalities_start     INTEGER,   -- offsets of the text the death toll was read from
    fatalities_end       INTEGER
);

CREATE TABLE rejects (
    reject_id   VARCHAR PRIMARY KEY,    -- from (source, reason): the same bad input is recorded once
    source      VARCHAR,
    reason      VARCHAR,
    detail      VARCHAR,
    run_id      VARCHAR,
    rejected_at TIMESTAMPTZ
);

CREATE TABLE runs (
    run_id             VARCHAR PRIMARY KEY,
    started_at         TIMESTAMPTZ,
    finished_at        TIMESTAMPTZ,
    status             VARCHAR,
    inputs_seen        BIGINT,
    articles_new       BIGINT,
    duplicates_skipped BIGINT,
    rejects            BIGINT,
    locations_rows     BIGINT,
    figures_rows       BIGINT,
    events_rows        BIGINT,
    dq_outcome         VARCHAR,
    seconds            DOUBLE,
    quarantined_rows   BIGINT,              -- rows held back in `quarantine` by this run
    reason             VARCHAR,             -- why a run did not complete (NULL when it did)
    articles_not_english BIGINT             -- new articles in another language: kept, no facts extracted
);

-- Rows held back from the fact tables: a row-level expectation failed on them, or extracting their
-- article raised. One row per (table, row, reason); the rest of the run published.
CREATE TABLE quarantine (
    quarantine_id  VARCHAR PRIMARY KEY,  -- from (table_name, row_key, reason)
    run_id         VARCHAR,
    table_name     VARCHAR,              -- articles | locations | figures | events
    row_key        VARCHAR,              -- the row's primary key (article_id for articles)
    article_id     VARCHAR,
    reason         VARCHAR,              -- the failed expectation, 'extraction_error' or 'depends_on_quarantined'
    detail         VARCHAR,
    row_json       VARCHAR,              -- the row as JSON (articles: without text)
    quarantined_at TIMESTAMPTZ
);

-- Every expectation's result for every run, also runs the gate stopped.
CREATE TABLE dq_results (
    dq_result_id       VARCHAR PRIMARY KEY,  -- from (run_id, table, expectation, column, description)
    run_id             VARCHAR,
    table_name         VARCHAR,
    expectation_type   VARCHAR,
    column_name        VARCHAR,
    description        VARCHAR,
    success            BOOLEAN,
    row_level          BOOLEAN,              -- failing rows can be quarantined (else it stops the publish)
    element_count      BIGINT,
    unexpected_count   BIGINT,
    unexpected_percent DOUBLE,
    observed_value     VARCHAR,
    error              VARCHAR,
    checked_at         TIMESTAMPTZ
);
