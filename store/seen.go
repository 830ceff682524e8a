package store

import (
	"encoding/binary"
	"math/bits"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// seenFilter is a Bloom filter over the stored dedup keys (processedKey),
// so that Processed can answer "not recorded" for a new activity, which is
// nearly every activity, without a read transaction. It may say "maybe" for
// a key that is not stored (about 1% of keys while it holds no more than
// its capacity); never "no" for one that is. Keys are added inside the
// transaction that stores them, before it commits; sweeping leaves their
// bits set until the filter is rebuilt.
type seenFilter struct {
	words    []atomic.Uint64
	mask     uint64 // number of bits - 1 (a power of two)
	capacity int64  // keys it holds at about 1% false "maybe"
	added    atomic.Int64
}

// seenHashes and seenBitsPerKey give a false "maybe" of about 1%.
const (
	seenHashes     = 7
	seenBitsPerKey = 10
	seenMinKeys    = 1 << 15
)

// newSeenFilter returns a filter for at least n keys.
func newSeenFilter(n int) *seenFilter {
	n = max(n, seenMinKeys)
	nbits := uint64(1) << bits.Len64(uint64(n*seenBitsPerKey)-1)
	return &seenFilter{
		words:    make([]atomic.Uint64, nbits/64),
		mask:     nbits - 1,
		capacity: int64(nbits / seenBitsPerKey),
	}
}

// probe returns the two hashes the bit positions derive from. A stored key
// is a prefix of a SHA-256, so its bytes are already uniform.
func probe(pk []byte) (h1, h2 uint64) {
	return binary.LittleEndian.Uint64(pk[:8]), binary.LittleEndian.Uint64(pk[8:16]) | 1
}

func (f *seenFilter) add(pk []byte) {
	h1, h2 := probe(pk)
	for i := range uint64(seenHashes) {
		b := (h1 + i*h2) & f.mask
		f.words[b>>6].Or(1 << (b & 63))
	}
	f.added.Add(1)
}

func (f *seenFilter) mayContain(pk []byte) bool {
	h1, h2 := probe(pk)
	for i := range uint64(seenHashes) {
		b := (h1 + i*h2) & f.mask
		if f.words[b>>6].Load()&(1<<(b&63)) == 0 {
			return false
		}
	}
	return true
}

// full reports whether the filter holds more keys than it was sized for,
// so that its "maybe" has grown unhelpful.
func (f *seenFilter) full() bool { return f.added.Load() > f.capacity }

// unindexed returns the dedup records the processed index lacks (see
// putProcessed): what recent held when the file was last closed.
func unindexed(tx *bolt.Tx) map[[16]byte][8]byte {
	recs, idx := tx.Bucket(bucketProcessedAt), tx.Bucket(bucketProcessed)
	recent := make(map[[16]byte][8]byte)
	_ = recs.ForEach(func(k, _ []byte) error {
		if len(k) == 8+len(processedKey("")) && idx.Get(k[8:]) == nil {
			recent[[16]byte(k[8:])] = [8]byte(k[:8])
		}
		return nil
	})
	return recent
}

// buildSeen returns a filter of every dedup key stored, with room for as
// many again. Every record is in the processed index or in recent, so it
// reads those rather than the records: the index is a third of their size,
// and it leaves the records' pages, which nothing else reads back, out of
// memory.
func (db *DB) buildSeen(tx *bolt.Tx) *seenFilter {
	idx := tx.Bucket(bucketProcessed)
	db.recentMu.Lock()
	defer db.recentMu.Unlock()
	f := newSeenFilter(2 * (idx.Stats().KeyN + len(db.recent)))
	_ = idx.ForEach(func(k, _ []byte) error {
		f.add(k)
		return nil
	})
	for pk := range db.recent {
		f.add(pk[:])
	}
	f.added.Store(0)
	return f
}

// markSeen adds pk, being stored by the current write transaction, to the
// filter. It is the one effect of a batched write outside its transaction
// (see DB.batch), and a harmless one: should the transaction roll back, the
// filter says "maybe" for a key that is not stored, which it may do anyway.
func (db *DB) markSeen(pk []byte) {
	f := db.seen.Load()
	f.add(pk)
	if f.full() && db.rebuilding.CompareAndSwap(false, true) {
		// Outside the transaction, which holds the writer lock the
		// rebuild needs.
		go func() {
			defer db.rebuilding.Store(false)
			_ = db.rebuildSeen()
		}()
	}
}

// rebuildSeen replaces the filter with one built from the stored keys,
// sized for them. It runs in a write transaction: no other write can run
// meanwhile, so every key committed before it is in the index or recent,
// and every write after it adds to the new filter.
func (db *DB) rebuildSeen() error {
	return mapErr(db.boltUpdate(func(tx *bolt.Tx) error {
		db.seen.Store(db.buildSeen(tx))
		return nil
	}))
}
