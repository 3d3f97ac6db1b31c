// Package netyield lets a goroutine that runs long on the only P give way
// to the connections whose input is ready.
//
// runtime.Gosched puts the caller behind the goroutines already runnable,
// but the scheduler asks the network poller for more only when none is. On
// one P, a goroutine that yields is at once the only runnable one again,
// so requests that arrived meanwhile wait in the kernel until it is done
// (docs/performance.md, "Where the p99 goes").
package netyield

import (
	"os"
	"runtime"
	"sync"
)

// Yield parks the caller until the scheduler has polled the network and
// run the goroutines that the poll made ready. With more than one P, idle
// Ps poll the network themselves, and Yield is runtime.Gosched.
func Yield() {
	if runtime.GOMAXPROCS(0) > 1 {
		runtime.Gosched()
		return
	}
	once.Do(func() { shared = newYielder() })
	if shared == nil || !shared.yield() {
		runtime.Gosched()
	}
}

var (
	once   sync.Once
	shared *yielder // nil when no pipe could be made
)

// yielder writes a byte to a pipe whose other end relay reads through the
// poller. The poller reports the pipe with every connection ready at that
// moment; relay, put behind those, then wakes the caller.
type yielder struct {
	mu   sync.Mutex // one byte in the pipe at a time
	w    *os.File
	wake chan struct{} // closed when relay stops
	dead bool          // relay stopped: nobody reads the pipe
}

func newYielder() *yielder {
	r, w, err := os.Pipe()
	if err != nil {
		return nil
	}
	y := &yielder{w: w, wake: make(chan struct{})}
	go y.relay(r)
	// relay's first wake-up: it goes on into its read, and parks in the
	// poller before this goroutine runs again.
	<-y.wake
	return y
}

func (y *yielder) relay(r *os.File) {
	defer close(y.wake)
	buf := make([]byte, 1)
	for {
		y.wake <- struct{}{}
		if _, err := r.Read(buf); err != nil {
			return
		}
		// Behind the goroutines that the poll readied. Once in 61
		// rounds the scheduler takes the global queue, where Gosched
		// put relay, first: the second call puts it behind them then.
		runtime.Gosched()
		runtime.Gosched()
	}
}

// yield reports whether the caller was parked until the poll.
func (y *yielder) yield() bool {
	y.mu.Lock()
	defer y.mu.Unlock()
	if y.dead {
		return false
	}
	if _, err := y.w.Write([]byte{0}); err != nil {
		y.dead = true
		return false
	}
	_, ok := <-y.wake
	// Once relay stopped, writes would fill the pipe and then block.
	y.dead = !ok
	return ok
}
