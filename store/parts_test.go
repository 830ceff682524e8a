package store

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/storetest"
)

// TestPartsUntouched: a note rewrites neither an unchanged issue nor a
// version.
func TestPartsUntouched(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	storetest.PartsUntouched(t, db, func(id string) {
		if err := db.bolt.Update(func(tx *bolt.Tx) error {
			ib, vb := tx.Bucket(bucketIssues), tx.Bucket(bucketVersions)
			var x playbook.Issue
			if err := json.Unmarshal(ib.Get(partKey(id, 2)), &x); err != nil {
				return err
			}
			x.Title = "tampered"
			if err := putJSON(ib, partKey(id, 2), x); err != nil {
				return err
			}
			var v playbook.QuestionnaireVersion
			if err := json.Unmarshal(vb.Get(partKey(id, 1)), &v); err != nil {
				return err
			}
			v.Answers["notes"] = "tampered"
			return putJSON(vb, partKey(id, 1), v)
		}); err != nil {
			t.Fatal(err)
		}
	}, func(id string) (string, string) {
		var x playbook.Issue
		var v playbook.QuestionnaireVersion
		if err := db.bolt.View(func(tx *bolt.Tx) error {
			if err := json.Unmarshal(tx.Bucket(bucketIssues).Get(partKey(id, 2)), &x); err != nil {
				return err
			}
			return json.Unmarshal(tx.Bucket(bucketVersions).Get(partKey(id, 1)), &v)
		}); err != nil {
			t.Fatal(err)
		}
		return x.Title, v.Answers["notes"]
	})
}

// TestMigratePartsApart writes an engagement the way schemas 4, 5 and 6
// did (its questionnaire versions and issues inside its record; in 4 its
// history too) and checks that after the upgrade the record holds neither,
// the engagement reads whole, a later save keeps it whole, and Dump
// returns it whole.
func TestMigratePartsApart(t *testing.T) {
	t.Parallel()
	for _, schema := range []int{4, 5, 6} {
		t.Run("schema "+string(rune('0'+schema)), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "mvmbot.db")
			now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			e, err := playbook.NewEngagement(playbook.NewEngagementParams{
				ID: "e1", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
				Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:chan",
			}, playbook.Member{ID: "29:lead", Name: "Lee Lead", Roles: []playbook.Role{playbook.FRP}}, now)
			if err != nil {
				t.Fatal(err)
			}
			e.Version = 1
			storetest.WithParts(e, 3, 12, now)
			if schema == 6 {
				storetest.WithBatches(e, 2, now)
			}
			old := mustOpen(t, path, &Options{migrations: migrations[:schema]})
			if err := old.bolt.Update(func(tx *bolt.Tx) error {
				core := e.StoredForm()
				core.Events = e.Events
				core.Questionnaire, core.Issues = e.Questionnaire, e.Issues // inside, as then
				if schema == 4 {
					core.History, core.HistoryBase = e.History, 0
				} else {
					for i, a := range e.History {
						if err := putJSON(tx.Bucket(bucketHistory), partKey("e1", i), a); err != nil {
							return err
						}
					}
				}
				if schema == 6 {
					for _, b := range e.Batches() {
						if err := putJSON(tx.Bucket(bucketBatches), partKey("e1", b.N), b); err != nil {
							return err
						}
					}
					for i := range core.Events {
						core.Events[i].Members, core.Events[i].Outcomes = nil, nil
					}
				}
				raw, err := json.Marshal(core)
				if err != nil {
					return err
				}
				if err := tx.Bucket(bucketEngagements).Put([]byte("e1"), raw); err != nil {
					return err
				}
				if err := tx.Bucket(bucketEngagementConv).Put([]byte("19:chan"), []byte("e1")); err != nil {
					return err
				}
				return tx.Bucket(bucketEngagementMembers).Put(memberKey("29:lead", "e1"), nil)
			}); err != nil {
				t.Fatal(err)
			}
			old.Close()

			db := mustOpen(t, path, nil)
			if err := db.bolt.View(func(tx *bolt.Tx) error {
				raw := tx.Bucket(bucketEngagements).Get([]byte("e1"))
				if bytes.Contains(raw, []byte("answer 1 to")) || bytes.Contains(raw, []byte("did not sync")) {
					t.Errorf("the record after the upgrade still holds versions or issues: %s", raw)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			whole := func(what string, got *playbook.Engagement) {
				t.Helper()
				if len(got.Questionnaire) != 3 || len(got.Issues) != 12 || got.Questionnaire[2].N != 3 || got.Issues[11].ID != 12 ||
					got.Questionnaire[0].Answers["notes"] != e.Questionnaire[0].Answers["notes"] || got.Issues[0] != e.Issues[0] {
					t.Errorf("%s: %d versions, %d issues; want 3, 12 as written", what, len(got.Questionnaire), len(got.Issues))
				}
				if schema == 6 && len(got.Events) != 2 || len(got.Events) > 0 && len(got.Events[0].Members) != 2 {
					t.Errorf("%s: events %+v; want the batches whole", what, got.Events)
				}
			}
			got, err := db.Engagement(t.Context(), "e1")
			if err != nil {
				t.Fatal(err)
			}
			whole("after the upgrade", got)
			next := got.Clone()
			if _, err := playbook.AddNote(next, "29:lead", "after", now); err != nil {
				t.Fatal(err)
			}
			next.Version = 2
			if _, _, err := db.CommitTurn(t.Context(), playbook.Turn{DedupKey: "a", Result: playbook.Result{Status: 200}, Engagement: next, ExpectVersion: 1}); err != nil {
				t.Fatal(err)
			}
			got, err = db.Engagement(t.Context(), "e1")
			if err != nil {
				t.Fatal(err)
			}
			whole("after a note", got)
			d, err := db.Dump(t.Context())
			if err != nil || len(d.Engagements) != 1 {
				t.Fatalf("Dump: %v", err)
			}
			whole("Dump", d.Engagements[0])
		})
	}
}
