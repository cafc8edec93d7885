-- Jobs across processes (issue 23, item 4; docs/scale-out.md "Jobs across processes").
--
-- One row per job, on the primary. Every cityreach process that runs workers claims from
-- this table, so several processes share one queue and a job survives the death of the
-- process that ran it:
--   * submit inserts a row 'accepted'; the quotas are count(*) per class and owner under a
--     per-class advisory lock taken in the same transaction;
--   * a worker claims with UPDATE … WHERE id = (SELECT id … FOR UPDATE SKIP LOCKED LIMIT 1),
--     setting worker, attempts + 1 and lease_until;
--   * it renews lease_until with its progress; a row 'running' whose lease has passed is
--     claimed again, while attempts < max_attempts (past it the job fails);
--   * the final update is conditional on status = 'running' AND worker = $me, so a worker
--     that lost its lease cannot overwrite the result of the one that took the job over;
--   * cancel sets cancel_requested, which the owning worker reads at its next renewal.
CREATE TABLE jobs (
    id               text PRIMARY KEY,
    class            text NOT NULL,
    owner            text NOT NULL,
    process          text NOT NULL,
    inputs           jsonb,
    status           text NOT NULL DEFAULT 'accepted',
    progress         integer NOT NULL DEFAULT 0,
    message          text NOT NULL DEFAULT '',
    worker           text,                 -- the claimer of the current (or last) attempt
    lease_until      timestamptz,          -- the claim holds until then unless renewed
    attempts         integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL DEFAULT 3,
    cancel_requested boolean NOT NULL DEFAULT false,
    result           jsonb,                -- what the job's work returned
    files            jsonb,                -- [{name,type,size}] under CITYREACH_JOBS_DIR/<dir>
    city_id          integer REFERENCES cities (id) ON DELETE CASCADE,
    parent_id        text REFERENCES jobs (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jobs_id_format CHECK (id ~ '^[A-Za-z0-9_.-]{1,128}$'),
    CONSTRAINT jobs_status_known CHECK (status IN ('accepted', 'running', 'successful', 'failed', 'dismissed')),
    CONSTRAINT jobs_progress_range CHECK (progress BETWEEN 0 AND 100),
    CONSTRAINT jobs_attempts_range CHECK (attempts >= 0 AND max_attempts >= 1),
    CONSTRAINT jobs_running_has_worker CHECK (status <> 'running' OR (worker IS NOT NULL AND lease_until IS NOT NULL)),
    CONSTRAINT jobs_finished_when_ended CHECK ((status IN ('successful', 'failed', 'dismissed')) = (finished_at IS NOT NULL))
);
-- The claim's scan: the class's open jobs, oldest first.
CREATE INDEX jobs_open_idx ON jobs (class, created_at, id) WHERE status IN ('accepted', 'running');
-- The quotas' count and GET /jobs of one owner.
CREATE INDEX jobs_owner_idx ON jobs (class, owner, created_at);
-- A run's children, and at most one child per city in a run (a resumed run adds none twice).
CREATE INDEX jobs_parent_idx ON jobs (parent_id);
CREATE UNIQUE INDEX jobs_parent_city_unique ON jobs (parent_id, city_id) WHERE parent_id IS NOT NULL AND city_id IS NOT NULL;
CREATE INDEX jobs_city_idx ON jobs (city_id);
