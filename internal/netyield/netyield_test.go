package netyield_test

import (
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/docsapi/docsapi/internal/netyield"
)

// readyConn returns a loopback connection with a goroutine parked reading
// it, and the flag that goroutine sets once its read returns.
func readyConn(t *testing.T) (client net.Conn, read *atomic.Bool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	read = new(atomic.Bool)
	reading := make(chan struct{})
	go func() {
		close(reading)
		buf := make([]byte, 1)
		if _, err := server.Read(buf); err == nil {
			read.Store(true)
		}
	}()
	<-reading
	return client, read
}

// TestYieldRunsReadyConnections: on one P, a goroutine whose connection
// became readable before Yield has run when Yield returns. With both
// cores busy the kernel may deliver loopback data a moment late (a review
// saw it once in 15,000 runs), so a second or third Yield may be the one;
// with runtime.Gosched in its place, none is.
func TestYieldRunsReadyConnections(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for i := range 3 {
		client, read := readyConn(t)
		if _, err := client.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			netyield.Yield()
			if read.Load() {
				break
			}
		}
		if !read.Load() {
			t.Fatalf("connection %d: its reader had not run after 3 yields", i)
		}
	}
}

// TestYieldConcurrent: callers on several goroutines, on one P and on
// two, each get their turn.
func TestYieldConcurrent(t *testing.T) {
	for _, procs := range []int{1, 2} {
		prev := runtime.GOMAXPROCS(procs)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 50 {
					netyield.Yield()
				}
			})
		}
		wg.Wait()
		runtime.GOMAXPROCS(prev)
	}
}
