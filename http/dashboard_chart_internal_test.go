package http

import "testing"

// TestLatencyLabel: ticks from a second on are in seconds, so that the
// widest label fits left of the plot.
func TestLatencyLabel(t *testing.T) {
	for _, tt := range []struct {
		ms   float64
		want string
	}{{0, "0 ms"}, {2.5, "2.5 ms"}, {500, "500 ms"}, {1000, "1 s"}, {2500, "2.5 s"}, {5000, "5 s"}} {
		if got := latencyLabel(tt.ms); got != tt.want {
			t.Errorf("latencyLabel(%g) = %q, want %q", tt.ms, got, tt.want)
		}
	}
}
