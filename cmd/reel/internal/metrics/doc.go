// Package metrics is reel's Prometheus side: the reel_* metrics of a worker
// (chunks encoded, re-encoded and failed; encode, score and assemble
// seconds; frames; chunk VMAF per rendition), mezzfs's read counters, the
// Temporal SDK's own worker metrics, jobs by state on a server, and the
// HTTP handler that serves them with /healthz and /readyz.
//
// It sits beside the CLI, above the cores: workflows reports through its
// small Observer interface, which *Metrics implements, and mezzfs's
// counters are read at scrape time from mezzfs.Stats, so neither imports
// Prometheus (internal/layers keeps client_golang here).
//
//	m := metrics.New()
//	acts.Observer = m
//	m.RegisterMezzfs(storage.Cache().Stats)
//	c, _ := client.Dial(client.Options{MetricsHandler: m.TemporalHandler()})
//	srv, _ := metrics.Listen("127.0.0.1:9464", m.Handler())
//	defer srv.Close()
//	m.SetReady(true) // once the worker polls; false again while draining
//
// Names follow Prometheus's conventions: a reel_ prefix, base units
// (seconds, bytes), _total on counters. deploy/grafana/reel.json is a
// dashboard over them; a test checks that every metric it queries exists.
//
// A scrape is cheap: BenchmarkScrape (five renditions, mezzfs, 200 SDK
// series; go test -run XXX -bench Scrape -benchtime 50x) took 9.0 ms and
// 98 KB per scrape on a 2-core VM shared with other builds (load ~20), so
// a slower figure than an idle machine gives.
package metrics
