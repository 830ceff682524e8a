package store

import (
	"path/filepath"
	"testing"
)

// BenchmarkProcessedNew is the redelivery check of a new activity, which
// nearly every activity is: "filter" is the store as shipped, where the
// seen filter (seen.go) answers without a transaction; "no-filter" makes
// the filter say "maybe" to every key, so each check reads bbolt as it did
// before the filter.
func BenchmarkProcessedNew(b *testing.B) {
	for _, mode := range []struct {
		name   string
		filter bool
	}{{"filter", true}, {"no-filter", false}} {
		b.Run(mode.name, func(b *testing.B) {
			db := mustOpen(b, filepath.Join(b.TempDir(), "mvmbot.db"), nil)
			ctx := b.Context()
			for i := range int64(100) {
				t := benchTurn(i)
				t.Ref, t.Jobs = nil, nil
				if _, _, err := db.CommitTurn(ctx, t); err != nil {
					b.Fatal(err)
				}
			}
			if !mode.filter {
				f := newSeenFilter(0)
				for i := range f.words {
					f.words[i].Store(^uint64(0))
				}
				db.seen.Store(f)
			}
			keys := make([]string, 1024)
			for i := range keys {
				keys[i] = benchTurn(1_000_000 + int64(i)).DedupKey
			}
			b.ReportAllocs()
			var i int
			for b.Loop() {
				i++
				if _, ok, err := db.Processed(ctx, keys[i%len(keys)]); err != nil || ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
