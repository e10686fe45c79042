package seq

import "github.com/reelmedia/reel/media"

// Sentinel errors. Every error from this package matches one of them with
// errors.Is; all are the caller's input (media.IsBadInput). Messages are one
// line naming the pattern or directory and the problem, for example
//
//	sequence "sh010.%04d.exr": missing frames 1003-1005, 1010 (4 of 240; ...)
var (
	// ErrBadPattern: a pattern that is not one frame-number placeholder in a
	// file name (####, @@@@, %04d), or one that is hostile (control
	// characters, a placeholder in a directory name, an absurd padding).
	ErrBadPattern = media.NewBadInput("bad sequence pattern")
	// ErrBadRange: a frame range that does not parse or is too large.
	ErrBadRange = media.NewBadInput("bad frame range")
	// ErrBadPolicy: a missing-frame policy other than error, black, hold.
	ErrBadPolicy = media.NewBadInput("bad missing-frame policy")
	// ErrNoFrames: nothing matches the pattern (in the range asked for).
	ErrNoFrames = media.NewBadInput("no frames")
	// ErrMissingFrames: frames missing inside the range under the error
	// policy; the message lists every one, compacted to ranges.
	ErrMissingFrames = media.NewBadInput("missing frames")
	// ErrSeveralSequences: a directory holds more than one sequence; the
	// message lists them.
	ErrSeveralSequences = media.NewBadInput("several sequences")
	// ErrBadTemplate: a burn-in template with an unknown field or position.
	ErrBadTemplate = media.NewBadInput("bad burn-in template")
	// ErrBadRate: a frame rate that is not a positive number.
	ErrBadRate = media.NewBadInput("bad frame rate")
)
