package archer

import (
	"errors"

	"github.com/reelmedia/reel/media"
)

// Sentinel errors. Every error archer returns for bad input wraps one of
// these, so callers can classify with errors.Is; the message names the input
// and the problem in one line. All of them but ErrNeedsFrames are the
// caller's input (media.IsBadInput): trying again with the same input
// fails the same way.
var (
	// ErrInvalidInput: a frame, range or configuration that cannot be analysed
	// (zero size, planes shorter than their geometry, a frame size that changes
	// within a run, a bad threshold).
	ErrInvalidInput = media.NewBadInput("invalid input")
	// ErrUnsupportedFormat: a pixel format archer cannot convert (for example
	// a bit depth other than 8..16, or planes missing for the chroma layout).
	ErrUnsupportedFormat = media.NewBadInput("unsupported pixel format")
	// ErrEmptyRange: a frame range with no frames in it ([a,b) with b <= a),
	// or a reader that yielded no frame of the requested range.
	ErrEmptyRange = media.NewBadInput("empty frame range")
	// ErrCascadeNotFound: the Haar cascade file for face detection is missing
	// or cannot be loaded (Debian: package opencv-data).
	ErrCascadeNotFound = media.NewBadInput("face cascade not found")
	// ErrUnknownAnalyzer: a name that is not one of the built-in analyzers.
	ErrUnknownAnalyzer = media.NewBadInput("unknown analyzer")
	// ErrIncomplete: partial results that do not cover a contiguous range
	// (a gap between chunks, or partials of different sources or settings).
	ErrIncomplete = media.NewBadInput("incomplete partial results")
	// ErrNeedsFrames: the package-level Reduce met a still that crosses a
	// chunk edge where the chunk after it measured its frames against
	// another reference picture than the clip's; they must be measured
	// again, which Runner.Reduce does by reading them from the source.
	ErrNeedsFrames = errors.New("frames needed to reduce")
)
