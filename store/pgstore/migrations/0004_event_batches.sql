-- An event's batch (members and outcomes; thousands of rows for an IMAP
-- batch or a status import) in a row of its own, so that a turn that does
-- not change it neither encodes nor rewrites it. The engagement's doc keeps
-- each event's batchRev and its batchSeq; putEngagement writes a batch only
-- when its rev is not the one stored (playbook/batch_apart.go).
CREATE TABLE event_batches (
	engagement_id text COLLATE "C" NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
	n             integer NOT NULL, -- Event.N
	rev           integer NOT NULL, -- Event.BatchRev
	batch         json NOT NULL,    -- playbook.EventBatch
	PRIMARY KEY (engagement_id, n)
);

-- Move the batches of the rows written before this migration; each takes
-- its event's position as its rev, and the engagement's batchSeq is the
-- number of its events.
INSERT INTO event_batches (engagement_id, n, rev, batch)
SELECT e.id, (x.ev->>'n')::integer, x.o::integer,
	json_build_object('n', (x.ev->>'n')::integer, 'rev', x.o::integer, 'members', x.ev->'members', 'outcomes', x.ev->'outcomes')
FROM engagements e CROSS JOIN LATERAL json_array_elements(e.doc->'events') WITH ORDINALITY AS x(ev, o)
WHERE json_typeof(e.doc->'events') = 'array'
	AND (json_typeof(x.ev->'members') = 'array' OR json_typeof(x.ev->'outcomes') = 'array');

UPDATE engagements e
SET doc = (e.doc::jsonb || jsonb_build_object('batchSeq', s.seq, 'events', s.events))::json
FROM (
	SELECT e2.id, max(x.o)::integer AS seq,
		jsonb_agg(CASE WHEN json_typeof(x.ev->'members') = 'array' OR json_typeof(x.ev->'outcomes') = 'array'
			THEN (x.ev::jsonb - 'members' - 'outcomes') || jsonb_build_object('batchRev', x.o::integer)
			ELSE x.ev::jsonb END ORDER BY x.o) AS events
	FROM engagements e2 CROSS JOIN LATERAL json_array_elements(e2.doc->'events') WITH ORDINALITY AS x(ev, o)
	WHERE json_typeof(e2.doc->'events') = 'array'
	GROUP BY e2.id
) s
WHERE s.id = e.id AND EXISTS (SELECT 1 FROM event_batches b WHERE b.engagement_id = e.id);
