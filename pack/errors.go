package pack

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidInput: no video input, a file that is not a progressive MP4,
	// a track without samples, or a bad configuration.
	ErrInvalidInput = errors.New("pack: invalid input")
	// ErrUnsupported: a codec the packager cannot describe in a manifest
	// (today: video other than AVC or HEVC, audio other than AAC).
	ErrUnsupported = errors.New("pack: unsupported codec")
	// ErrMisaligned: the rungs' keyframes (or frame counts) disagree, so
	// they cannot share segment boundaries. The message names the rung and
	// the frame.
	ErrMisaligned = errors.New("pack: keyframes not aligned")
)

// errNoTrack marks a file without a track of the kind asked for, which is
// not an error when looking for a rung's own audio; it reads and matches as
// ErrInvalidInput.
var errNoTrack = fmt.Errorf("%w", ErrInvalidInput)
