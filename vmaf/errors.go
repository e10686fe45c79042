package vmaf

import (
	"errors"

	"github.com/reelmedia/reel/media"
)

// Sentinel errors. Every error returned by this package wraps one of these,
// so callers can classify failures with errors.Is. Those made with
// media.NewBadInput are the caller's input (media.IsBadInput): frames,
// models or options that fail the same way every time.
var (
	// ErrInvalidModel means a model file is not valid JSON or does not
	// describe a libvmaf nu-SVR model this package can evaluate.
	ErrInvalidModel = media.NewBadInput("invalid VMAF model")
	// ErrUnknownModel means a model name is neither a built-in model nor a
	// readable file.
	ErrUnknownModel = media.NewBadInput("unknown VMAF model")
	// ErrSizeMismatch means the reference and distorted frames differ in size,
	// or a frame differs in size from the first frame of the stream.
	ErrSizeMismatch = media.NewBadInput("frame size mismatch")
	// ErrBitDepthMismatch means the reference and distorted frames differ in
	// bit depth, or the bit depth changed during the stream.
	ErrBitDepthMismatch = media.NewBadInput("bit depth mismatch")
	// ErrLengthMismatch means the reference and distorted streams have a
	// different number of frames (see Options.AllowLengthMismatch).
	ErrLengthMismatch = media.NewBadInput("frame count mismatch")
	// ErrInvalidFrame means a frame cannot be scored: no luma plane, a plane
	// smaller than it claims, an unsupported bit depth, or a size below the
	// minimum the VIF and ADM pyramids need (MinDimension).
	ErrInvalidFrame = media.NewBadInput("invalid frame")
	// ErrInvalidOptions means Options holds a value out of range.
	ErrInvalidOptions = media.NewBadInput("invalid options")
	// ErrNoFrames means Finish was called before any frame was pushed.
	ErrNoFrames = media.NewBadInput("no frames to score")
	// ErrClosed means Push or Finish was called after Finish.
	ErrClosed = errors.New("scorer already finished")
)
