// Package seq is the pure logic of image sequences ("renders"): frame-number
// patterns, frame ranges with steps, finding a sequence in a directory
// listing, the missing-frame policies, SMPTE timecode from a frame number,
// and burn-in templates. Standard library only (plus media's error kind):
// it never reads a file itself, the caller lists directories through a
// Lister (a local directory, or an S3 prefix through mezzfs; the CLI wires
// it) and decodes frames with encode.
//
// Patterns name one frame number in the file name, not in a directory:
//
//	sh010_comp_v003.####.exr   four digits, zero padded (one digit per #)
//	sh010_comp_v003.@@@@.exr   the same (Houdini/RV style)
//	sh010_comp_v003.%04d.exr   the same (printf style); %d is unpadded
//
// A number wider than the padding is accepted without leading zeros
// (frame 10000 of a #### sequence). Planning a render:
//
//	p, _ := seq.ParsePattern("/shots/sh010/sh010.####.exr")
//	found, _ := seq.Find(ctx, seq.DirLister{}, p)
//	r, _ := seq.ParseRange("1001-1240x2")
//	plan, err := seq.NewPlan(found, r, seq.Hold)
//	for _, f := range plan.Frames {
//		// f.Number is the frame in the sequence's numbering; f.File the
//		// file to read ("" for a black frame)
//	}
//
// Under the Error policy (the default) a gap anywhere in the range fails
// with ErrMissingFrames naming every missing frame ("1003-1005, 1010");
// Black puts a black frame in its place; Hold repeats the frame before (the
// first present frame when the gap is at the start). The movie is never
// silently shorter than the range.
package seq
