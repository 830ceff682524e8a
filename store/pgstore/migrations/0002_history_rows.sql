-- An engagement's history in its own rows (the failure-paths issue: a
-- turn's cost must not grow with the history). The engagement's doc no
-- longer holds it: doc.historyBase (and the history_len column, which
-- putEngagement reads under its row lock) is how many entries are stored,
-- and a turn inserts only its new ones. doc.kept holds copies of the
-- entries later decisions read (playbook.Engagement.Kept).
CREATE TABLE engagement_history (
	engagement_id text COLLATE "C" NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
	n             integer NOT NULL, -- 0, 1, … in the order the entries were added
	entry         json NOT NULL,    -- playbook.AuditEntry
	PRIMARY KEY (engagement_id, n)
);

ALTER TABLE engagements ADD COLUMN history_len integer NOT NULL DEFAULT 0;

-- Move the history of the rows written before this migration. The kept
-- actions are playbook's keptActions: overrides, questionnaire
-- submissions and reviews.
INSERT INTO engagement_history (engagement_id, n, entry)
SELECT e.id, h.o - 1, h.entry
FROM engagements e CROSS JOIN LATERAL json_array_elements(e.doc->'history') WITH ORDINALITY AS h(entry, o)
WHERE json_typeof(e.doc->'history') = 'array';

UPDATE engagements e
SET history_len = s.n,
    doc = ((e.doc::jsonb - 'history') || jsonb_build_object('history', NULL, 'historyBase', s.n, 'kept', s.kept))::json
FROM (
	SELECT h.engagement_id AS id, count(*)::integer AS n,
		COALESCE(jsonb_agg(h.entry::jsonb ORDER BY h.n) FILTER (WHERE h.entry->>'action' IN
			('override', 'questionnaire_submit', 'questionnaire_validate', 'questionnaire_changes')), '[]'::jsonb) AS kept
	FROM engagement_history h
	GROUP BY h.engagement_id
) s
WHERE s.id = e.id;
