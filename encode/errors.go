package encode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/reelmedia/reel/media"
)

// Sentinel errors. Every error returned by this package for bad input or a
// bad request matches exactly one of them with errors.Is; its message is one
// line naming the operation, the file and the problem, for example
//
//	decode "in.mp4": frame range 900:950 outside the clip (0:250)
//
// All but ErrOutputUnwritable are the caller's input (media.IsBadInput):
// the same source and profile fail the same way on any machine. An output
// that cannot be written is the writer's machine (a full scratch disk on one
// worker), worth trying again elsewhere; reel's command line checks a local
// output before it starts.
var (
	// ErrNotFound: the input file does not exist.
	ErrNotFound = media.NewBadInput("file not found")
	// ErrEmpty: the input has zero bytes.
	ErrEmpty = media.NewBadInput("empty file")
	// ErrTruncated: the input starts like a known container but its media data
	// ends early or breaks off (a cut-off download, a partial upload).
	ErrTruncated = media.NewBadInput("truncated file")
	// ErrInvalidData: the bytes are not media FFmpeg can read, or are corrupt.
	ErrInvalidData = media.NewBadInput("invalid media data")
	// ErrNoVideo: the input has no video stream.
	ErrNoVideo = media.NewBadInput("no video stream")
	// ErrUnsupportedCodec: no decoder for the input, no encoder for the request,
	// or a codec the chosen container cannot hold.
	ErrUnsupportedCodec = media.NewBadInput("unsupported codec")
	// ErrUnsupportedPixFmt: a pixel format the decoder output or the encoder
	// cannot handle.
	ErrUnsupportedPixFmt = media.NewBadInput("unsupported pixel format")
	// ErrRangeOutOfBounds: a frame range that is empty or outside the clip.
	ErrRangeOutOfBounds = media.NewBadInput("frame range out of bounds")
	// ErrOutputUnwritable: the output cannot be created (missing directory,
	// permissions, unknown container).
	ErrOutputUnwritable = errors.New("output not writable")
	// ErrHeaderMismatch: chunks given to Concat have different stream headers
	// (codec, size, pixel format or extradata) or frame counts.
	ErrHeaderMismatch = media.NewBadInput("stream header mismatch")
	// ErrNoAudioTrack: the audio track asked for (by index or language) is
	// not in the input; the message lists the tracks there are.
	ErrNoAudioTrack = media.NewBadInput("no such audio track")
	// ErrIndexMismatch: the frame index given with an Input (Input.Index)
	// was made for another source (size, stream, codec or time base
	// differ).
	ErrIndexMismatch = media.NewBadInput("frame index does not match the source")
	// ErrUnsupportedPairs: EncodeOptions.Pairs asked of an encode that
	// cannot give them (a rate conversion); score the stored output
	// instead.
	ErrUnsupportedPairs = media.NewBadInput("reference/encoded pairs unsupported for this encode")
)

// Error is the concrete error type behind the sentinels: Op is what was being
// done ("probe", "decode", "encode", "concat"), Name the file, Msg the problem.
type Error struct {
	Op   string
	Name string
	Msg  string
	Kind error // one of the sentinels, or nil for an internal failure
	Err  error // the underlying cause (an FFmpeg or OS error), may be nil
}

func (e *Error) Error() string {
	msg := e.Msg
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return strings.ReplaceAll(fmt.Sprintf("%s %q: %s", e.Op, e.Name, msg), "\n", " ")
}

// Unwrap exposes both the sentinel and the cause to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

func newErr(op, name string, kind, cause error, format string, a ...any) error {
	return &Error{Op: op, Name: name, Msg: fmt.Sprintf(format, a...), Kind: kind, Err: cause}
}
