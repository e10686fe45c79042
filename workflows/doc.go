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
// (<work>/<job>/<rendition>/<chunk>-a<attempt>.mp4, .mov for ProRes and
// FFV1, whose rendition is Matroska: MOV gives a variable-rate chunk's
// frames exactly when it is decoded again), and score it against the source
// frames with vmaf as it is encoded: the source range is decoded once, its
// frames go to the encoder and, as references, to the scorer, and the
// encoder's packets are decoded in process as they come (encode.Pairs), so
// scoring overlaps the encode and holds only the encoder's delay in frames.
// A rendition with FPS is scored from the stored chunk in a second pass
// (its frames are the fps filter's). Chunks under the quality bar are
// encoded again with a lower CRF. Each scored attempt keeps its per-frame
// scores beside it (<chunk>.frames.json). Each rendition is then assembled
// (concat plus the source's audio; a copied track the MP4 cannot hold, such
// as the PCM of an AVI or MXF, is converted to AAC as the ffmpeg CLI does;
// and the final attempts' per-frame scores joined into
// <rendition>.vmaf.json, libvmaf JSON in the rendition's frame numbers) and
// report.json is written next to the outputs. Each rendition's timing in
// report.json and in the Result says what was done with the source's frame
// timing: "vfr kept" (a variable-rate source's timestamps kept),
// "constant rate", or "converted to N fps" for a rendition with FPS (the
// fps filter's frames; each chunk scored against the source range
// converted the same way, encode.DecodeOptions.FPS).
//
// A job with Package (--package hls,dash) cuts its chunks on whole segments
// and gives every rendition a GOP that divides the segment, so that every
// rung has a keyframe on each segment boundary; after assembly the Package
// activity runs the pack core on the renditions into <output>/package/ (a
// local output renamed into place, an S3 one uploaded by PublishPackage:
// segments first, manifests last), and the Result and report.json describe
// the package with each rung's HLS BANDWIDTH (docs/package.md).
//
// The real-world corpus of issue 14 (variable rate, packed B-frames, empty
// and cut-off AVIs, an MPEG-TS discontinuity, an edit list, interlaced,
// HDR10, MXF; internal/testmedia.Corpus) goes through the embedded job in
// workflows/integration's TestCorpusJob: frame count and span as the
// ffmpeg CLI's conversion, chunked equal to one chunk frame for frame,
// clicks on their flashes.
//
// A per-shot job (Job.Optimize = OptimizePerShot, docs/pershot.md) cuts
// the source at archer's shots instead (shotChunks: one chunk per shot),
// encodes every shot at every point of a grid of heights × CRFs in
// PerShotBatchWorkflow children of whole shots (at most
// MaxEncodesPerChild encodes each; PerShotEvents bounds every history),
// lets PerShotSelect read the sidecars and pick each rung's point per shot
// from the shots' convex hulls (the hull core), assembles each rung from
// the chosen encodes, and adds the grid, hulls, choices and BD-rates
// against the grid's own fixed ladder (the bdrate core) to report.json.
//
// RenderWorkflow (render.go) is reel render submit: a PlanRender activity
// resolves an image sequence once (frames, missing-frame policy, burn-in
// texts, slate; an OCIO view baked to a LUT in <work>/<job>/ by BakeOCIO,
// render_ocio.go, which runs Debian's ociobakelut), RenderPiece activities render chunks of frames into pieces
// under <work>/<job>/ (the slate in the first; each piece's QC starts from
// the frame before it), QC is merged in frame order, AssembleRender joins
// the pieces by stream copy and CleanupRender removes them (on failure and
// cancellation too). The movie equals reel render run's frame for frame
// (ProRes byte for byte); docs/render.md.
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
