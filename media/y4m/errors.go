package y4m

import "errors"

// Sentinel errors. Every error this package returns for bad input wraps one
// of these, with a message naming the input and the problem.
var (
	// ErrBadHeader: the stream or a FRAME line does not follow the
	// YUV4MPEG2 syntax (missing signature, bad or missing W/H, malformed
	// tag, oversized line).
	ErrBadHeader = errors.New("bad y4m header")
	// ErrUnsupported: a well-formed header for a layout reel does not
	// handle (411 or alpha colour spaces, bit depths other than 8, 10, 12
	// and 16, interlaced writing of odd formats).
	ErrUnsupported = errors.New("unsupported y4m format")
	// ErrTruncated: the input ends inside a frame. The message names the
	// frame and how many bytes were missing.
	ErrTruncated = errors.New("truncated frame")
	// ErrFrameMismatch: a frame given to a Writer does not have the
	// header's size and format, or its planes are shorter than they claim.
	ErrFrameMismatch = errors.New("frame does not match the stream")
)
