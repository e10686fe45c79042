package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/reelmedia/reel/mezzfs"
)

// mezzfsCollector reads mezzfs's own counters at scrape time: mezzfs
// counts for its access log and replay reports and knows nothing of
// Prometheus.
type mezzfsCollector struct {
	stats func() mezzfs.Stats

	requested, fetched, requests, lookups, prefetches, retries, errors, streamed *prometheus.Desc
}

// RegisterMezzfs exports the counters stats returns (a mezzfs.Cache's
// Stats: every object a Storage opened shares it) as reel_mezzfs_*.
func (m *Metrics) RegisterMezzfs(stats func() mezzfs.Stats) {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("reel_mezzfs_"+name, help, labels, nil)
	}
	m.reg.MustRegister(&mezzfsCollector{
		stats:      stats,
		requested:  d("requested_bytes_total", "Bytes read by callers (decoders) through mezzfs."),
		fetched:    d("fetched_bytes_total", "Bytes fetched from the sources (S3, HTTP, files) by ranged requests."),
		requests:   d("requests_total", "Successful ranged requests to the sources."),
		lookups:    d("block_lookups_total", "Block lookups by where they were served: memory and disk are cache hits, miss fetched, shared waited on another reader's fetch.", "result"),
		prefetches: d("prefetched_blocks_total", "Blocks fetched ahead of the reader."),
		retries:    d("retries_total", "Source requests repeated after a transient failure."),
		errors:     d("read_errors_total", "Reads that failed."),
		streamed:   d("streamed_bytes_total", "Bytes served straight from a sequential run's response, bypassing the block cache."),
	})
}

func (c *mezzfsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.requested, c.fetched, c.requests, c.lookups, c.prefetches, c.retries, c.errors, c.streamed} {
		ch <- d
	}
}

func (c *mezzfsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(c.requested, s.BytesRead)
	counter(c.fetched, s.BytesFetched)
	counter(c.requests, s.Fetches)
	counter(c.lookups, s.Hits, "memory")
	counter(c.lookups, s.DiskHits, "disk")
	counter(c.lookups, s.Misses, "miss")
	counter(c.lookups, s.Shared, "shared")
	counter(c.prefetches, s.Prefetches)
	counter(c.retries, s.Retries)
	counter(c.errors, s.Errors)
	counter(c.streamed, s.Streamed)
}
