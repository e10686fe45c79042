// Package archer runs computer-vision analyses (OpenCV through gocv) over
// the frames of a video, in parallel, as a map-reduce over chunks.
//
// Map: a Runner analyses a chunk [a,b) of frames from a media.FrameReader
// (AnalyzeChunk) into a Partial: per-frame records made by Analyzers, one
// instance of each per worker (a Factory makes them; gocv Mats are never
// shared between goroutines). Frames are downscaled once to the analysis
// size (Config.AnalysisHeight); SI/TI and crop work on the full-resolution
// luma. A chunk's reader must also deliver the Overlap (one) frame before
// the chunk, which freeze and SI/TI compare against; nothing else crosses a
// chunk edge during the map step.
//
// Reduce: Reduce merges the partials of consecutive chunks and finds, on
// the merged sequence, what spans chunk edges: shot boundaries (hard cuts,
// fades, dissolves, with a confidence each), black and frozen segments,
// the clip's stable crop rectangle, per-shot sharpness, SI/TI and face
// counts, and each shot's representative frame. The Analysis it returns is
// JSON-serialisable and the same whatever the chunking or thread count.
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
// Bad input gives errors wrapping the sentinels in errors.go: frames of an
// unsupported bit depth or with short planes (ErrUnsupportedFormat,
// ErrInvalidInput), empty ranges (ErrEmptyRange), a missing Haar cascade
// (ErrCascadeNotFound), partials that leave a gap (ErrIncomplete).
package archer
