//go:build !unix

package storetest

// CPUTime is not measured here: 0.
func CPUTime() int64 { return 0 }
