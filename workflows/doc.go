// Package workflows is reel's main job on Temporal: durable, chunked,
// quality-gated encoding.
//
// EncodeWorkflow probes a mezzanine (its header, index and tail; the whole
// object only when its tail cannot be trusted, or its index needs every
// packet: then the index is kept at <work>/<job>/source.index and each
// chunk loads it rather than reading the source again), plans GOP-aligned chunks,
// and hands batches of chunks to ChunkBatchWorkflow children (one history
// per batch, so a 6-hour film in 4-second chunks stays far below Temporal's
// history limits). Each chunk is an EncodeChunk activity: read only its frame range
// through mezzfs, encode it, store it under a deterministic key
// (<work>/<job>/<rendition>/<chunk>-a<attempt>.mp4), decode it again and
// score it against the source frames with vmaf. Chunks under the quality bar
// are encoded again with a lower CRF. Each rendition is then assembled
// (concat plus the source's audio) and report.json is written next to the
// outputs.
//
// Activities never move media through Temporal: they exchange store keys
// and metrics. They are idempotent: an attempt whose chunk and metrics
// sidecar already exist (with a matching SHA-256) is returned as it is, so a
// worker killed mid-job costs only the chunks it was encoding. Bad input
// fails with a non-retryable ApplicationError of type ErrorBadInput carrying
// the core's message; what is bad input is the core's verdict
// (media.IsBadInput), and everything else is retried.
//
//	w := workflows.NewWorker(c, "reel", workflows.WorkerOptions{Concurrency: 4}, acts)
//	run, _ := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "reel"}, workflows.EncodeWorkflow, job)
//	p, _ := workflows.GetProgress(ctx, c, run.GetID())
package workflows
