-- Herald's tables in the database its replicas share. Run on every new
-- connection under an advisory lock, so that replicas starting together do
-- not race to create them.
SELECT pg_advisory_lock(7256001);

-- Segments being synthesized, each by one replica (coordination::claims).
CREATE TABLE IF NOT EXISTS herald_segment_claims (
    key bytea PRIMARY KEY,
    owner text NOT NULL,
    expires timestamptz NOT NULL
);

-- Batches posted to any replica (coordination::queue): the request as JSON.
CREATE TABLE IF NOT EXISTS herald_batches (
    id text PRIMARY KEY,
    request text NOT NULL,
    created timestamptz NOT NULL DEFAULT now()
);

-- Their episodes, the queue every replica works: `pending`, `making` (by
-- `owner`, for as long as its `lease` is renewed), `done` (with `record`,
-- the finished episode as JSON) or `failed` (with `error`).
CREATE TABLE IF NOT EXISTS herald_batch_episodes (
    batch text NOT NULL REFERENCES herald_batches (id) ON DELETE CASCADE,
    position integer NOT NULL,
    queued timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'pending',
    owner text,
    lease timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    error text,
    record text,
    PRIMARY KEY (batch, position)
);
CREATE INDEX IF NOT EXISTS herald_batch_episodes_open
    ON herald_batch_episodes (queued, position) WHERE state IN ('pending', 'making');

SELECT pg_advisory_unlock(7256001);
