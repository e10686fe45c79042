// Package api is reel's HTTP API: jobs (list, get, submit, cancel), live
// progress as Server-Sent Events, reports, per-frame scores downsampled for
// plots, archer analyses and frame images decoded on demand, under /api/v1,
// with the dashboard's assets mounted at /. 'reel server' serves it on
// 127.0.0.1:7280 (api.port); openapi.yaml, embedded and served at
// /api/v1/openapi.yaml, describes every route, and the tests check real
// responses against it.
//
// It is a plain net/http ServeMux over the Temporal client the CLI uses and
// a mezzfs.Storage. Nothing a request names is fetched as such: a job ID is
// checked (no slashes, leading dot or "..", at most 200 bytes) and looked
// up on the cluster, a rendition name must be one of the job's report, and
// every URL read (report, scores, source, rendition) comes from the job's
// own result. Bearer tokens from the configuration carry a role (viewer
// reads, operator also submits and cancels); without tokens the API is
// open and Listen binds loopback only.
//
// Figures (BenchmarkScores200k: a generated 200,000-frame rendition, vmaf
// and three PSNRs, a 36 MB scores file; loopback HTTP; measured alone on
// a 2-core machine, -benchtime 10x): once parsed, ?max_points=2000&metric=vmaf
// answers 73 KB in 1.0 ms p50 (1.5 ms p99), ?max_points=2000 with every
// metric 253 KB in 3.7 ms (4.7), every frame's VMAF 3.3 MB in 14 ms (20),
// everything 9.3 MB in 56 ms (163); ?worst=50 1.1 ms p50 once the metric's
// order is kept. The first request for a rendition reads its scores file
// in one buffer of its size and reads it by column (vmaf.ReadJSONSeries:
// no map per frame, the columns kept as the series when the file scores
// every frame): 181 ms; with encoding/json and a map per frame it took
// 1.8-2.3 s (on a busy machine). BenchmarkJobPageFirstRender times the
// dashboard's job page in Chromium until its plot and worst-frames table
// are drawn, on the tests' 50-frame job: 531 ms for the first (cold server
// caches), 296 ms p50 and 441 ms p99 after.
//
//	go test -run '^$' -bench Scores200k -benchtime 20x ./cmd/reel/internal/api/
//
//	srv, err := api.New(api.Config{Client: c, Storage: st, Tokens: cfg.API.Tokens})
//	ln, err := api.Listen(cfg.API.Address, cfg.API.Port, cfg.API.Tokens)
//	err = srv.Serve(ctx, ln)
package api
