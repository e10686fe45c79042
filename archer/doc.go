// Package archer runs computer-vision analyses (OpenCV through gocv) over
// the frames of a video, in parallel, as a map-reduce over chunks.
//
// Map: a Runner analyses a chunk [a,b) of frames from a media.FrameReader
// (AnalyzeChunk) into a Partial: per-frame records made by Analyzers, one
// instance of each per worker (a Factory makes them; gocv Mats are never
// shared between goroutines). Frames are downscaled once to the analysis
// size (Config.AnalysisHeight); SI/TI and crop work on the full-resolution
// luma. A chunk's reader must also deliver the Overlap (one) frame before
// the chunk, which SI/TI compares against and freeze starts from, or the
// chunk before must read one frame past its end (ChunkSpan.NoContext, what
// Run and AnalyzeWorkflow do, through RunSpans, so chunks can start
// decoding at keyframes); nothing else crosses a chunk edge during the map
// step. Each chunk decodes on its own goroutine a few frames ahead of its
// analyzers.
//
// Freeze is freezedetect's: each frame is measured against a reference
// frame, the first frame of the still it may be in, which the next frame
// that differs from it by more than the noise replaces; so a slow drift
// (a pan, a fade, a gradient) is not frozen although each frame is within
// the noise of the one before. A chunk starts its own reference on its
// first frame, which is the clip's only when no still crosses its start.
//
// Reduce: Runner.Reduce merges the partials of consecutive chunks and
// finds, on the merged sequence, what spans chunk edges: shot boundaries
// (hard cuts, fades, dissolves, with a confidence each), black and frozen
// segments, the clip's stable crop rectangle, per-shot sharpness, SI/TI and
// face counts, and each shot's representative frame. Where a still crosses
// a chunk edge and the chunk after it measured against another picture
// than the still's first frame, it reads those frames again from the
// source, one after the other, until the chunk's reference and the clip's
// agree (an exact still needs none: its frames are the same picture). The
// package-level Reduce does the rest without a source and fails with
// ErrNeedsFrames there. The Analysis is JSON-serialisable and the same
// whatever the chunking or thread count.
//
// Run does both over a Source (anything that opens frame ranges, such as
// encode.OpenFrames over a file) and, with the thumbs analyzer, extracts a
// JPEG per shot; ContactSheet lays them out. PlanChunks plans chunks that
// start on shot boundaries, for the encode workflow; CompareDefects tells
// whether an encode has black or frozen segments its source does not.
//
//	r, err := archer.New(archer.Config{Analyzers: []string{"shots", "black", "freeze"}})
//	if err != nil {
//		return err
//	}
//	defer r.Close()
//	a, err := r.Run(ctx, src, archer.RunOptions{End: frames, FPS: 25, Name: "in.mp4"})
//	if err != nil {
//		return err
//	}
//	for _, b := range a.Boundaries {
//		fmt.Println(b.Kind, b.Frame, b.Confidence)
//	}
//
// Accuracy and speed (go test -v -run 'TestShotAccuracy|Match' and
// go test -bench 1080p, on a shared 2-core host, load 5..15): on generated
// clips with known boundaries, hard cuts P=1.00 R=1.00 (19 cuts, with flashes
// and fast motion that must not count), gradual transitions P=1.00 R=0.93
// (15 fades and dissolves), where FFmpeg's scdet scores P=0.33 R=0.95 on cuts
// and finds no gradual transition. Black and freeze segments equal
// blackdetect's and freezedetect's (to the frame at the analysis size, where
// freezedetect measures the same pixels: slow drifts, a slow pan and fade,
// stills; within a frame on downscaled clips); crop equals cropdetect's;
// SI/TI equal the siti filter's to 0.005. Throughput at 1080p (shots, black, freeze,
// sharpness) is bound by decoding, the same work scdet does
// (BenchmarkArcherVsScdet1080p in cmd/reel/internal/cli, runs in pairs, medians
// of the per-pair ratios): archer's frames per second are 1.06 to 1.17 times
// scdet's on the 10 s H.264 benchmark clip, 1.05 to 1.12 on its 10-bit
// ProRes version and 1.00 to 1.16 on a 5-minute 13.6 Mbit/s mezzanine. It
// gets there with one single-threaded decoder per chunk (frame threading
// costs scdet about a fifth more CPU), the downscale done in bands while the
// H.264 decoder draws them (encode's box filter, in cache), chunks planned so
// the workers finish together, analyzers of 0.2 ms a frame, and (in reel
// archer run) one Go P more than the workers, so that the runtime's sysmon
// does not keep waking up while every worker is inside the decoder.
//
// Bad input gives errors wrapping the sentinels in errors.go: frames of an
// unsupported bit depth or with short planes (ErrUnsupportedFormat,
// ErrInvalidInput), empty ranges (ErrEmptyRange), a missing Haar cascade
// (ErrCascadeNotFound), partials that leave a gap (ErrIncomplete), frames
// the package-level Reduce would need to read (ErrNeedsFrames).
package archer
