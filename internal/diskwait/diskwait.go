// Package diskwait lets a one-P server run requests while a goroutine
// waits on the disk.
//
// A goroutine in a system call keeps its P until sysmon takes it back, and
// sysmon, once it has found nothing to take for a while, looks only every
// 10 ms. With GOMAXPROCS 1 a checkpoint's fsync of 5-15 ms therefore holds
// every request, although the CPU is idle meanwhile: on a one-core server
// the GET p99 at half the peak had clusters of slow requests at each
// checkpoint of the request log (docs/performance.md, seventh round).
package diskwait

import (
	"os"
	"runtime"
	"sync"
)

// enabled: only where Go's default is one P, a process with one CPU (a
// machine's, or taskset's), so that restoring the default restores 1. A
// GOMAXPROCS that the operator or the program set is kept.
var enabled = os.Getenv("GOMAXPROCS") == "" && runtime.NumCPU() == 1

var (
	mu     sync.Mutex
	depth  int  // callers inside Do
	raised bool // Do took GOMAXPROCS from 1 to 2
)

// Do runs f, which may wait on the disk. While it runs, a second P runs the
// other goroutines if there was only one. Raising and restoring GOMAXPROCS
// each stop the world for some microseconds: Do suits work that waits
// milliseconds a few times a second (a checkpoint), not every commit of a
// busy write path, where the requests wait for that very commit anyway and
// the second thread took the core from the committer (docs/performance.md,
// seventh round).
func Do(f func()) {
	enter()
	defer leave()
	f()
}

func enter() {
	mu.Lock()
	defer mu.Unlock()
	depth++
	if depth == 1 && enabled && runtime.GOMAXPROCS(0) == 1 {
		runtime.GOMAXPROCS(2)
		raised = true
	}
}

func leave() {
	mu.Lock()
	defer mu.Unlock()
	depth--
	if depth == 0 && raised {
		// The default (1), not GOMAXPROCS(1): Go keeps updating the
		// default when the CPUs the process may use change.
		runtime.SetDefaultGOMAXPROCS()
		raised = false
	}
}
