package playbook

import "testing"

// FuzzParse feeds what people type in chat to the parsers: they never
// panic, and whatever they accept is canonical and parses back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"frp", "Google Drive", "file-share", "#3169", "3169", "core-onboarding", "", " \t", "MVM", "closure"} {
		f.Add(s)
	}
	e := &Engagement{Sources: Sources(), OnPremExchange: true}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseRole(s); err == nil {
			if back, err := ParseRole(string(r)); !r.Valid() || err != nil || back != r {
				t.Errorf("ParseRole(%q) = %q, which does not parse back", s, r)
			}
		} else if ErrorCode(err) != EINVALID {
			t.Errorf("ParseRole(%q): %v", s, err)
		}
		if src, err := ParseSource(s); err == nil {
			if back, err := ParseSource(string(src)); !src.Valid() || err != nil || back != src {
				t.Errorf("ParseSource(%q) = %q, which does not parse back", s, src)
			}
		} else if ErrorCode(err) != EINVALID {
			t.Errorf("ParseSource(%q): %v", s, err)
		}
		if p, err := ParsePhase(s); err == nil && !p.Valid() {
			t.Errorf("ParsePhase(%q) = %q", s, p)
		}
		task, err := ResolveTask(e, s)
		switch ErrorCode(err) {
		case "":
			if _, ok := TaskByKey(task.Key); !ok {
				t.Errorf("ResolveTask(%q) = %q, not in the table", s, task.Key)
			}
		case EINVALID, ENOTFOUND:
		default:
			t.Errorf("ResolveTask(%q): %v", s, err)
		}
	})
}
