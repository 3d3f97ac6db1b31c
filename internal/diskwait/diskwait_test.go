package diskwait

import (
	"runtime"
	"testing"
)

// TestDo: inside Do, and inside Do nested in it, one P becomes two; after
// the outer Do, GOMAXPROCS is the runtime's default again. More than one P,
// or a GOMAXPROCS that the operator set, is left as it is.
func TestDo(t *testing.T) {
	defer runtime.SetDefaultGOMAXPROCS()
	defer func(e bool) { enabled = e }(enabled)
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		name           string
		enabled        bool
		before, inside int
		after          int // 0: the default
	}{
		{"one P", true, 1, 2, 0},
		{"three Ps", true, 3, 3, 3},
		{"set by the operator", false, 1, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enabled = tc.enabled
			runtime.GOMAXPROCS(tc.before)
			var outer, inner, between int
			Do(func() {
				outer = runtime.GOMAXPROCS(0)
				Do(func() { inner = runtime.GOMAXPROCS(0) })
				between = runtime.GOMAXPROCS(0)
			})
			if outer != tc.inside || inner != tc.inside || between != tc.inside {
				t.Errorf("GOMAXPROCS in Do %d, nested %d, after the nested one %d; want %d", outer, inner, between, tc.inside)
			}
			want := tc.after
			if want == 0 {
				want = def
			}
			if got := runtime.GOMAXPROCS(0); got != want {
				t.Errorf("GOMAXPROCS after Do %d, want %d", got, want)
			}
		})
	}
}

// TestDoOverlapping: two goroutines in Do at once, neither inside the
// other's (two databases' committers): the second P stays until both are
// out.
func TestDoOverlapping(t *testing.T) {
	defer runtime.SetDefaultGOMAXPROCS()
	defer func(e bool) { enabled = e }(enabled)
	enabled = true
	runtime.GOMAXPROCS(1)
	aIn, aOut, bIn, bOut := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	go Do(func() { close(aIn); <-aOut })
	<-aIn
	done := make(chan struct{})
	go func() {
		defer close(done)
		Do(func() { close(bIn); <-bOut })
	}()
	<-bIn
	close(aOut)
	// a's Do returns on its own goroutine; wait until it has left.
	for mu.Lock(); depth != 1; mu.Lock() {
		mu.Unlock()
		runtime.Gosched()
	}
	mu.Unlock()
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Errorf("GOMAXPROCS %d after the first Do returned while the second runs, want 2", got)
	}
	close(bOut)
	<-done
	if raised {
		t.Error("both Do returned, and GOMAXPROCS is still raised")
	}
}
