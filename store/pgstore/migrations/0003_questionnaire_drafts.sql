-- Questionnaire drafts, kept apart from the engagement record: paging
-- through the questionnaire saves a draft on every click, and writing the
-- engagement for that would move its version and make everyone else's open
-- cards stale. rev counts the saves (PutQuestionnaireDraft's check).
CREATE TABLE questionnaire_drafts (
	engagement_id text COLLATE "C" PRIMARY KEY REFERENCES engagements (id) ON DELETE CASCADE,
	rev           integer NOT NULL,
	doc           json NOT NULL
);
