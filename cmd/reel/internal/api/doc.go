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
//	srv, err := api.New(api.Config{Client: c, Storage: st, Tokens: cfg.API.Tokens})
//	ln, err := api.Listen(cfg.API.Address, cfg.API.Port, cfg.API.Tokens)
//	err = srv.Serve(ctx, ln)
package api
