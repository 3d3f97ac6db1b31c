package redis

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
)

// Pinger reports whether Redis answers.
type Pinger struct {
	client goredis.UniversalClient
}

// NewPinger returns a Pinger over client.
func NewPinger(client goredis.UniversalClient) *Pinger {
	return &Pinger{client: client}
}

// Ping sends PING and waits for its answer.
func (p *Pinger) Ping(ctx context.Context) error {
	return p.client.Ping(ctx).Err()
}

// upTimeout bounds a scrape's wait for Redis.
const upTimeout = time.Second

// NewUpGauge returns the docsapi_redis_up gauge: 1 when Redis answers a PING
// at scrape time, else 0.
func NewUpGauge(p *Pinger) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "docsapi_redis_up",
		Help: "1 when Redis, which holds the rate-limit state shared by all instances, answers; 0 while each instance limits alone.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
		defer cancel()
		if p.Ping(ctx) != nil {
			return 0
		}
		return 1
	})
}
