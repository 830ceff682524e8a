-- The first schema: the records of package playbook, as the bbolt store
-- keeps them (see store/doc.go), with PostgreSQL doing the indexing.
-- Text that the bot orders by byte (reference keys, engagement and member
-- ids) is COLLATE "C", so ORDER BY is byte order on every server locale.

-- Dedup records: the first 16 bytes of SHA-256(dedup key), as on bbolt.
CREATE TABLE processed (
	key    bytea PRIMARY KEY,
	at     timestamptz NOT NULL,
	status integer NOT NULL,
	body   json
);
CREATE INDEX processed_at ON processed (at);

CREATE TABLE refs (
	key text COLLATE "C" PRIMARY KEY,
	doc json NOT NULL
);

-- Queued jobs. A key is unique among queued jobs; NULL is no key.
CREATE TABLE jobs (
	id           bigserial PRIMARY KEY,
	kind         text NOT NULL,
	key          text UNIQUE,
	args         json,
	run_at       timestamptz NOT NULL,
	created_at   timestamptz NOT NULL,
	attempt      integer NOT NULL,
	max_attempts integer NOT NULL,
	last_error   text NOT NULL DEFAULT '',
	lease_until  timestamptz
);
CREATE INDEX jobs_run_at ON jobs (run_at, id);

-- Dead-lettered jobs, as they were after their last attempt.
CREATE TABLE dead_jobs (
	id           bigint PRIMARY KEY,
	kind         text NOT NULL,
	key          text,
	args         json,
	run_at       timestamptz NOT NULL,
	created_at   timestamptz NOT NULL,
	attempt      integer NOT NULL,
	max_attempts integer NOT NULL,
	last_error   text NOT NULL DEFAULT ''
);

-- Engagements, stored whole as JSON (as on bbolt), with the columns the
-- store itself reads: the version (optimistic concurrency), the bound
-- conversation and the closing time (PurgeClosed).
CREATE TABLE engagements (
	id           text COLLATE "C" PRIMARY KEY,
	version      integer NOT NULL,
	conversation text NOT NULL DEFAULT '',
	closed_at    timestamptz,
	doc          json NOT NULL
);
CREATE INDEX engagements_closed_at ON engagements (closed_at) WHERE closed_at IS NOT NULL;

-- The conversation an engagement is bound to: one per conversation; a
-- closed engagement stays bound until a new one is set up there.
CREATE TABLE engagement_conv (
	conversation  text PRIMARY KEY,
	engagement_id text COLLATE "C" NOT NULL
);

CREATE TABLE engagement_members (
	member_id     text COLLATE "C" NOT NULL,
	engagement_id text COLLATE "C" NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
	PRIMARY KEY (member_id, engagement_id)
);
CREATE INDEX engagement_members_engagement ON engagement_members (engagement_id);
