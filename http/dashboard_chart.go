package http

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/docsapi/docsapi"
)

// dashChart is an SVG chart's geometry, computed here and drawn by the
// template, so every label goes through html/template's escaping.
type dashChart struct {
	Label         string
	Width, Height int
	Bars          []dashRect
	Lines         []dashLine
	YTicks        []dashTick
	XTicks        []dashTick
	Legend        []dashLegend
	PlotX, PlotY  float64
	PlotW, PlotH  float64
}

type dashRect struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type dashLine struct {
	Class  string
	Points string
}

type dashTick struct {
	X, Y  float64
	Label string
}

type dashLegend struct{ Class, Label string }

const (
	chartW, chartH           = 720, 200
	chartLeft, chartRight    = 48, 8
	chartTop, chartBottom    = 8, 22
	chartPlotW, chartPlotH   = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
	chartXTicks              = 6
	chartGapMinBarWidthInPix = 3
)

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// niceCeil rounds up to 1, 2 or 5 times a power of ten, so axes read well.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func newDashChart(label string, n int, ymax float64, yfmt func(float64) string, buckets []docsapi.RequestLogBucket, timeLabel string) dashChart {
	c := dashChart{Label: label, Width: chartW, Height: chartH, PlotX: chartLeft, PlotY: chartTop, PlotW: chartPlotW, PlotH: chartPlotH}
	for i := 0; i <= 2; i++ {
		v := ymax * float64(i) / 2
		c.YTicks = append(c.YTicks, dashTick{X: chartLeft - 4, Y: round1(chartTop + chartPlotH - chartPlotH*float64(i)/2), Label: yfmt(v)})
	}
	if n > 0 {
		step := max(1, n/chartXTicks)
		for i := 0; i < n; i += step {
			c.XTicks = append(c.XTicks, dashTick{X: round1(chartLeft + chartPlotW*(float64(i)+0.5)/float64(n)), Y: chartH - 6,
				Label: buckets[i].Start.UTC().Format(timeLabel)})
		}
	}
	return c
}

// requestsChart stacks each bucket's requests by outcome.
func requestsChart(buckets []docsapi.RequestLogBucket, unit, timeLabel string) dashChart {
	most := 0
	for _, b := range buckets {
		most = max(most, b.Total())
	}
	ymax := niceCeil(float64(most))
	c := newDashChart("Requests per "+unit+", by outcome", len(buckets), ymax, func(v float64) string { return fmt.Sprintf("%g", v) }, buckets, timeLabel)
	c.Legend = []dashLegend{{"ok", "2xx"}, {"client", "4xx"}, {"limited", "429"}, {"server", "5xx"}}
	n := float64(len(buckets))
	for i, b := range buckets {
		w := chartPlotW / n
		x := chartLeft + w*float64(i)
		if w > chartGapMinBarWidthInPix {
			x, w = x+0.5, w-1
		}
		y := float64(chartTop + chartPlotH)
		title := fmt.Sprintf("%s UTC: %d requests (%d 2xx, %d 4xx, %d 429, %d 5xx)",
			b.Start.UTC().Format("2006-01-02 15:04"), b.Total(), b.Success, b.ClientError, b.RateLimited, b.ServerError)
		for _, part := range []struct {
			n     int
			class string
		}{{b.Success, "ok"}, {b.ClientError, "client"}, {b.RateLimited, "limited"}, {b.ServerError, "server"}} {
			if part.n == 0 {
				continue
			}
			h := chartPlotH * float64(part.n) / ymax
			y -= h
			c.Bars = append(c.Bars, dashRect{X: round1(x), Y: round1(y), W: round1(w), H: round1(h), Class: part.class, Title: title})
		}
	}
	return c
}

// latencyChart draws p50 and p99 per bucket; buckets without requests
// break the lines rather than drawing a false zero.
func latencyChart(buckets []docsapi.RequestLogBucket, unit, timeLabel string) dashChart {
	var most time.Duration
	for _, b := range buckets {
		most = max(most, b.P99, b.P50)
	}
	ymax := niceCeil(durationMS(most))
	c := newDashChart("Latency per "+unit+", p50 and p99", len(buckets), ymax, latencyLabel, buckets, timeLabel)
	c.Legend = []dashLegend{{"p50", "p50"}, {"p99", "p99"}}
	n := float64(len(buckets))
	for _, series := range []struct {
		class string
		get   func(docsapi.RequestLogBucket) time.Duration
	}{
		{"p50", func(b docsapi.RequestLogBucket) time.Duration { return b.P50 }},
		{"p99", func(b docsapi.RequestLogBucket) time.Duration { return b.P99 }},
	} {
		var pts [][2]float64 // x, y
		flush := func() {
			if len(pts) == 1 {
				// A lone point shows as a level segment across most of its
				// bucket, not as a dot of the line's width.
				x, y, half := pts[0][0], pts[0][1], 0.4*chartPlotW/n
				pts = [][2]float64{{x - half, y}, {x + half, y}}
			}
			if len(pts) > 0 {
				coords := make([]string, len(pts))
				for i, p := range pts {
					coords[i] = fmt.Sprintf("%g,%g", round1(p[0]), round1(p[1]))
				}
				c.Lines = append(c.Lines, dashLine{Class: series.class, Points: strings.Join(coords, " ")})
			}
			pts = nil
		}
		for i, b := range buckets {
			if b.Total() == 0 {
				flush()
				continue
			}
			x := chartLeft + chartPlotW*(float64(i)+0.5)/n
			y := chartTop + chartPlotH - chartPlotH*durationMS(series.get(b))/ymax
			pts = append(pts, [2]float64{x, y})
		}
		flush()
	}
	return c
}

// latencyLabel names a latency axis tick; from a second on in seconds, so
// that the label fits left of the plot.
func latencyLabel(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%g s", ms/1000)
	}
	return fmt.Sprintf("%g ms", ms)
}
