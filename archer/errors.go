package archer

import "errors"

// Sentinel errors. Every error archer returns for bad input wraps one of
// these, so callers can classify with errors.Is; the message names the input
// and the problem in one line.
var (
	// ErrInvalidInput: a frame, range or configuration that cannot be analysed
	// (zero size, planes shorter than their geometry, a frame size that changes
	// within a run, a bad threshold).
	ErrInvalidInput = errors.New("invalid input")
	// ErrUnsupportedFormat: a pixel format archer cannot convert (for example
	// a bit depth other than 8..16, or planes missing for the chroma layout).
	ErrUnsupportedFormat = errors.New("unsupported pixel format")
	// ErrEmptyRange: a frame range with no frames in it ([a,b) with b <= a),
	// or a reader that yielded no frame of the requested range.
	ErrEmptyRange = errors.New("empty frame range")
	// ErrCascadeNotFound: the Haar cascade file for face detection is missing
	// or cannot be loaded (Debian: package opencv-data).
	ErrCascadeNotFound = errors.New("face cascade not found")
	// ErrUnknownAnalyzer: a name that is not one of the built-in analyzers.
	ErrUnknownAnalyzer = errors.New("unknown analyzer")
	// ErrIncomplete: partial results that do not cover a contiguous range
	// (a gap between chunks, or partials of different sources or settings).
	ErrIncomplete = errors.New("incomplete partial results")
	// ErrNeedsFrames: the package-level Reduce met a still that crosses a
	// chunk edge where the chunk after it measured its frames against
	// another reference picture than the clip's; they must be measured
	// again, which Runner.Reduce does by reading them from the source.
	ErrNeedsFrames = errors.New("frames needed to reduce")
)
