package fhir

import (
	"runtime"
	"syscall"
	"time"
)

const rusageThread = 1 // RUSAGE_THREAD

// threadCPU returns the CPU time used so far by the calling OS thread, and
// a function that unlocks the goroutine from it. Benchmarks use it to
// report throughput per CPU-second, which stays meaningful on a shared,
// busy machine where wall-clock figures do not.
func threadCPU() (time.Duration, func()) {
	runtime.LockOSThread()
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0, runtime.UnlockOSThread
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), runtime.UnlockOSThread
}
