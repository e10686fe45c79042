package encode

import (
	"context"
	"math"
)

// RenderPieceOptions are what one piece of a render split into chunks
// needs besides its frames (reel render submit renders each chunk on a
// worker and concatenates the pieces).
type RenderPieceOptions struct {
	// Prev is the file of the frame QC read last before this piece (the
	// last frame before it that is neither missing nor held): the piece's
	// first frame is compared with it, so a frozen frame right after a
	// piece boundary is found as in a whole render. "" for the first piece.
	// It also gives the sequence's size and format.
	Prev string
	// Ref is any frame file of the sequence: it gives the size and format
	// when the piece has no frame file of its own and no Prev (a first piece
	// of missing frames put in black).
	Ref string
}

// RenderPiece encodes frames as one piece of a longer review movie: the
// same encoder settings as Render, so that pieces joined by Concat are the
// movie Render would make of all the frames. Each piece starts with a
// keyframe and references nothing before it: ProRes and DNxHR are intra
// only, and H.264 pieces must start on a GOP boundary of the whole movie
// (a multiple of RenderGOP frames, the slate counted) to encode the same.
// Give the first piece the slate (o.Slate) and the others none. QC lists
// the piece's frames only, with Prev as the frame before the first.
func RenderPiece(ctx context.Context, files FrameFiles, frames []RenderFrame, outPath string, o RenderOptions, po RenderPieceOptions) (*RenderResult, error) {
	return render(ctx, files, frames, outPath, o, po)
}

// RenderGOP is the GOP length of a review movie at fps (half a second, so
// scrubbing lands near a keyframe); only H.264 has one (the other review
// codecs are intra only, a GOP of 1).
func RenderGOP(codec string, fps Rational) int {
	if codec != "h264" {
		return 1
	}
	if fps.Num <= 0 || fps.Den <= 0 {
		fps = Rational{24, 1}
	}
	return renderGOP(fps)
}

func renderGOP(fps Rational) int {
	return max(int(math.Round(fps.Float()/2)), 1) // half a second: scrubbing lands near a keyframe
}
