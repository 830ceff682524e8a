-- Questionnaire versions and issues, each in a row of its own, so that a
-- turn that does not add a version or change an issue neither encodes nor
-- rewrites them (playbook/parts_apart.go). A version is inserted once, by
-- the save that submitted it; an issue is written when it differs from the
-- stored one. The engagement's row keeps how many versions there are and,
-- for each issue in order, its id and its rev: the engagement version of
-- the save that wrote it, so that (engagement, id, rev) names one stored
-- state of an issue and a reader's cache can hold it.
CREATE TABLE questionnaire_versions (
	engagement_id text COLLATE "C" NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
	n             integer NOT NULL, -- QuestionnaireVersion.N, its place from 1
	version       json NOT NULL,    -- playbook.QuestionnaireVersion
	PRIMARY KEY (engagement_id, n)
);

CREATE TABLE engagement_issues (
	engagement_id text COLLATE "C" NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
	id            integer NOT NULL, -- Issue.ID
	rev           integer NOT NULL, -- the engagement version that wrote it
	issue         json NOT NULL,    -- playbook.Issue
	PRIMARY KEY (engagement_id, id)
);

ALTER TABLE engagements
	ADD COLUMN questionnaire_len integer NOT NULL DEFAULT 0,
	ADD COLUMN issue_ids integer[] NOT NULL DEFAULT '{}',
	ADD COLUMN issue_revs integer[] NOT NULL DEFAULT '{}';

-- Move the versions and issues of the rows written before this migration;
-- each issue takes its engagement's version as its rev.
INSERT INTO questionnaire_versions (engagement_id, n, version)
SELECT e.id, x.o::integer, x.v
FROM engagements e CROSS JOIN LATERAL json_array_elements(e.doc->'questionnaire') WITH ORDINALITY AS x(v, o)
WHERE json_typeof(e.doc->'questionnaire') = 'array';

INSERT INTO engagement_issues (engagement_id, id, rev, issue)
SELECT e.id, (x.i->>'id')::integer, e.version, x.i
FROM engagements e CROSS JOIN LATERAL json_array_elements(e.doc->'issues') AS x(i)
WHERE json_typeof(e.doc->'issues') = 'array';

UPDATE engagements e
SET questionnaire_len = CASE WHEN json_typeof(e.doc->'questionnaire') = 'array' THEN json_array_length(e.doc->'questionnaire') ELSE 0 END,
	issue_ids = COALESCE((SELECT array_agg((x.i->>'id')::integer ORDER BY x.o)
		FROM json_array_elements(CASE WHEN json_typeof(e.doc->'issues') = 'array' THEN e.doc->'issues' ELSE '[]'::json END) WITH ORDINALITY AS x(i, o)), '{}'),
	issue_revs = COALESCE((SELECT array_agg(e.version ORDER BY x.o)
		FROM json_array_elements(CASE WHEN json_typeof(e.doc->'issues') = 'array' THEN e.doc->'issues' ELSE '[]'::json END) WITH ORDINALITY AS x(i, o)), '{}'),
	doc = (e.doc::jsonb - 'questionnaire' - 'issues')::json
WHERE e.doc::jsonb ?| array['questionnaire', 'issues'];
