//go:build unix

package storetest

import "syscall"

// CPUTime is the CPU time the process has used, in nanoseconds: a
// benchmark's cpu-ns/op, steadier than wall time on a shared machine,
// where fsync and the scheduler make wall time swing.
func CPUTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
