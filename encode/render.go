package encode

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"strings"

	"github.com/asticode/go-astiav"

	"github.com/reelmedia/reel/media"
)

// RenderFrame is one frame of a review encode, in output order.
type RenderFrame struct {
	// Number is the frame's number in the sequence's numbering (what the
	// burn-ins and QC report show).
	Number int
	// File is the image to read (ReadFile's name); "" puts a black frame in
	// the sequence's size and format.
	File string
	// Held: File is another frame's image, repeated for a missing one (QC
	// does not report it as frozen).
	Held bool
	// Burnins are the texts of RenderOptions.Burnins for this frame, in
	// the same order.
	Burnins []string
}

// FrameFiles reads whole image files by name (a local path, an S3 object
// through mezzfs: the caller decides). Images are small, so each is read
// into memory and decoded with the image decoder its extension names.
type FrameFiles interface {
	ReadFile(ctx context.Context, name string) ([]byte, error)
}

// LocalFiles reads local files.
type LocalFiles struct{}

// ReadFile reads the file; a missing one is ErrNotFound.
func (LocalFiles) ReadFile(ctx context.Context, name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, newErr("render", name, ErrNotFound, nil, "cannot read the frame")
	}
	return b, err
}

// RenderCodecs are the review codecs: ProRes 422 HQ and 4444 (prores_ks,
// 10-bit, .mov), H.264 (libx264 yuv420p, short GOP for scrubbing, .mp4 or
// .mov) and DNxHR HQ (8-bit 4:2:2, .mov).
var RenderCodecs = []string{"prores", "prores4444", "h264", "dnxhr"}

// Displays are the display transforms for scene-linear (float) frames.
var Displays = []string{"srgb", "rec709"}

// BurninPositions are where RenderOptions.Burnins can sit.
var BurninPositions = []string{"top-left", "top", "top-right", "bottom-left", "bottom", "bottom-right"}

// RenderOptions say how frames become a review movie.
type RenderOptions struct {
	// Codec is one of RenderCodecs ("" = prores).
	Codec string
	// FPS is the movie's rate (zero = 24).
	FPS Rational
	// Display is the transform for scene-linear float frames (EXR): srgb
	// (IEC 61966-2-1) or rec709 (the BT.709 OETF, for a BT.1886 display);
	// "" = rec709. See the package doc for the transform.
	Display string
	// LUT is a local .cube 3D LUT applied after the display transform, on
	// display-referred RGB (a show look, or an OCIO view baked to a LUT).
	LUT string
	// SceneLUT says LUT takes float frames as they are, scene-linear (an
	// OCIO view baked with a shaper, reel render --ocio): the display
	// transform is skipped and Display only tags the movie. Without a LUT
	// it is ignored.
	SceneLUT bool
	// FontFile is the TrueType font for slate and burn-ins (required when
	// either is asked for; reel's CLI passes DejaVu Sans Mono from Debian's
	// fonts-dejavu-core).
	FontFile string
	// Burnins are the positions (BurninPositions) of RenderFrame.Burnins.
	Burnins []string
	// Slate, when not empty, adds a first frame: black with these lines.
	Slate []string
	// Width, Height scale the picture (zero: the frames' size; one zero
	// keeps the aspect ratio).
	Width, Height int
	// Fit is how frames go into a Width x Height of another aspect ratio
	// (Fits): letterbox (""; scaled to fit, keeping their aspect, with
	// black bars), crop (scaled to fill, the centre kept) or stretch.
	Fit string
	// Mask, when positive, is a target aspect ratio (2.39) shown by bars
	// drawn over the picture, MaskOpacity (0 = 1: opaque black) dark.
	// Burn-ins are drawn on top of the bars.
	Mask, MaskOpacity float64
	// SlateThumb is a frame file (ReadFile's name, one of the sequence's)
	// shown on the slate as a thumbnail, through the same display
	// transform and LUT as the movie; "" = none.
	SlateThumb string
	// Audio, when not nil, is a sound file (anything FFmpeg reads) muxed
	// in sync: its first sample plays with the first picture frame (after
	// the slate, which gets silence), trimmed or padded with silence to
	// the pictures' length, at 48 kHz: PCM s24le with ProRes and DNxHR,
	// AAC with H.264.
	Audio *Input
	// Threads for decoding and encoding (0 = FFmpeg's choice).
	Threads int
	// StrictQC fails the render (ErrQCFailed, no movie) when QC finds
	// anything.
	StrictQC bool
	// Progress gets the number of frames done.
	Progress func(done int)
}

// ErrQCFailed: RenderOptions.StrictQC and QC found NaN, Inf, black or
// frozen frames; the message lists them.
var ErrQCFailed = media.NewBadInput("QC failed")

// RenderResult describes a review movie and what QC found.
type RenderResult struct {
	Path      string   `json:"path"`
	Codec     string   `json:"codec"`
	Container string   `json:"container"`
	Width     int      `json:"width"`
	Height    int      `json:"height"`
	PixFmt    string   `json:"pix_fmt"`
	SourceFmt string   `json:"source_pix_fmt"`
	FPS       Rational `json:"fps"`
	Frames    int      `json:"frames"` // movie frames, the slate included
	Slate     bool     `json:"slate,omitempty"`
	Bytes     int64    `json:"bytes"`
	// Transfer is the transfer the pixels were encoded with and tagged:
	// iec61966-2-1 (sRGB) or bt709; primaries and matrix are bt709, range tv.
	Transfer string   `json:"transfer"`
	QC       RenderQC `json:"qc"`
	// Audio is the sound's codec (pcm_s24le, aac); "" without sound.
	Audio string `json:"audio,omitempty"`
}

// RenderQC lists suspicious frames by their numbers in the sequence.
type RenderQC struct {
	// NaN and Inf: float frames with not-a-number or infinite samples.
	NaN []int `json:"nan,omitempty"`
	Inf []int `json:"inf,omitempty"`
	// Black: frames whose colour samples are (nearly) all at black: 99.5%
	// at or under 0.002 (float, scene-linear) or 2% of full scale (integer).
	Black []int `json:"black,omitempty"`
	// Frozen: frames whose pixels equal the frame read before them (a
	// duplicated render, not a Held frame).
	Frozen []int `json:"frozen,omitempty"`
}

// String lists the findings by frame number ("NaN in 1002; black 1004"),
// or says "clean".
func (q RenderQC) String() string {
	var parts []string
	add := func(name string, nums []int) {
		if len(nums) == 0 {
			return
		}
		var ns []string
		for i, n := range nums {
			if i == 20 {
				ns = append(ns, fmt.Sprintf("and %d more", len(nums)-20))
				break
			}
			ns = append(ns, fmt.Sprint(n))
		}
		parts = append(parts, name+" "+strings.Join(ns, ", "))
	}
	add("NaN in", q.NaN)
	add("Inf in", q.Inf)
	add("black", q.Black)
	add("frozen", q.Frozen)
	if len(parts) == 0 {
		return "clean"
	}
	return strings.Join(parts, "; ")
}

// Clean reports whether QC found nothing.
func (q RenderQC) Clean() bool {
	return len(q.NaN)+len(q.Inf)+len(q.Black)+len(q.Frozen) == 0
}

// Black thresholds (RenderQC.Black).
const (
	blackFloat = 0.002
	blackFrac  = 0.02
	blackRatio = 0.995
)

// imageCodecs maps a frame file's extension to its decoder.
var imageCodecs = map[string]astiav.CodecID{
	"exr": astiav.CodecIDExr, "dpx": astiav.CodecIDDpx, "tif": astiav.CodecIDTiff, "tiff": astiav.CodecIDTiff, "png": astiav.CodecIDPng,
}

// renderCodec is how a review codec is encoded.
type renderCodec struct {
	encoder string
	pixFmt  astiav.PixelFormat
	opts    map[string]string
	conts   []string
	chroma  [2]int // horizontal and vertical subsampling (1 = none)
}

// depth is the bits per sample of the codec's pixel format.
func (c renderCodec) depth() int {
	if strings.Contains(c.pixFmt.Name(), "p10") {
		return 10
	}
	return 8
}

// maskOpacity is RenderOptions.MaskOpacity with its default.
func (r *renderer) maskOpacity() float64 {
	if r.o.MaskOpacity == 0 {
		return 1
	}
	return r.o.MaskOpacity
}

func renderCodecFor(name string, gop int) (renderCodec, bool) {
	switch name {
	case "", "prores":
		return renderCodec{"prores_ks", astiav.PixelFormatYuv422P10Le, map[string]string{"profile": "3", "vendor": "apl0"}, []string{"mov"}, [2]int{2, 1}}, true
	case "prores4444":
		return renderCodec{"prores_ks", astiav.PixelFormatYuv444P10Le, map[string]string{"profile": "4", "vendor": "apl0"}, []string{"mov"}, [2]int{1, 1}}, true
	case "h264":
		// a constant QP, not CRF: CRF's rate control carries each frame's
		// complexity into the next frames' quantisers, so a movie rendered in
		// chunks (reel render submit) would differ from one rendered whole.
		// With a fixed QP every closed GOP encodes alone, bit for bit.
		return renderCodec{"libx264", astiav.PixelFormatYuv420P, map[string]string{"qp": "18", "preset": "fast", "profile": "high",
			"x264-params": fmt.Sprintf("keyint=%d:min-keyint=1:scenecut=0:open-gop=0", gop)}, []string{"mp4", "mov"}, [2]int{2, 2}}, true
	case "dnxhr":
		return renderCodec{"dnxhd", astiav.PixelFormatYuv422P, map[string]string{"profile": "dnxhr_hq"}, []string{"mov"}, [2]int{2, 1}}, true
	}
	return renderCodec{}, false
}

// unsafeFilterArg is what a path may not hold to go into a filter graph
// unquoted: the graph's and the options' separators and quotes.
const unsafeFilterArg = "'\\:,;[]=\"\n\r\t%"

// Render encodes frames, read through files, into a review movie at
// outPath (.mov or .mp4), written to a temporary name and renamed: an
// error leaves no movie. The first frame read sets the size and pixel
// format; a frame that differs is ErrInvalidData naming it. A frame that
// cannot be read or decoded (empty, truncated, not an image) is an error
// naming its file. QC findings are in the result; they do not fail it.
func Render(ctx context.Context, files FrameFiles, frames []RenderFrame, outPath string, o RenderOptions) (*RenderResult, error) {
	return render(ctx, files, frames, outPath, o, RenderPieceOptions{})
}

func render(ctx context.Context, files FrameFiles, frames []RenderFrame, outPath string, o RenderOptions, po RenderPieceOptions) (*RenderResult, error) {
	const op = "render"
	if len(frames) == 0 {
		return nil, newErr(op, outPath, ErrRangeOutOfBounds, nil, "no frames")
	}
	if o.FPS.Num <= 0 || o.FPS.Den <= 0 {
		o.FPS = Rational{24, 1}
	}
	gop := renderGOP(o.FPS)
	rc, ok := renderCodecFor(o.Codec, gop)
	if !ok {
		return nil, newErr(op, outPath, ErrUnsupportedCodec, nil, "unknown review codec %q (want one of %s)", o.Codec, strings.Join(RenderCodecs, ", "))
	}
	if o.Codec == "" {
		o.Codec = "prores"
	}
	transfer := ""
	switch o.Display {
	case "", "rec709":
		o.Display, transfer = "rec709", "bt709"
	case "srgb":
		transfer = "iec61966-2-1"
	default:
		return nil, newErr(op, outPath, ErrInvalidData, nil, "unknown display %q (want srgb or rec709)", o.Display)
	}
	cont, _, err := containerFor("", outPath)
	if err != nil || !contains(rc.conts, cont) {
		return nil, newErr(op, outPath, ErrOutputUnwritable, nil, "%s goes in %s, not %q", o.Codec, strings.Join(rc.conts, " or "), filepath.Ext(outPath))
	}
	if (len(o.Burnins) > 0 || len(o.Slate) > 0) && o.FontFile == "" {
		return nil, newErr(op, outPath, ErrInvalidData, nil, "slate and burn-ins need a font file")
	}
	for _, p := range []string{o.FontFile, o.LUT} {
		if strings.ContainsAny(p, unsafeFilterArg) {
			return nil, newErr(op, p, ErrInvalidData, nil, "a font or LUT path may not contain any of %q", unsafeFilterArg)
		}
	}
	for _, p := range []string{o.FontFile, o.LUT} {
		if p != "" {
			if _, err := os.Stat(p); err != nil {
				return nil, newErr(op, p, ErrNotFound, err, "font or LUT file")
			}
		}
	}
	if o.Fit != "" && !contains(Fits, o.Fit) {
		return nil, newErr(op, outPath, ErrInvalidData, nil, "unknown fit %q (want %s)", o.Fit, strings.Join(Fits, ", "))
	}
	if msg := checkMask(o.Mask, o.MaskOpacity); msg != "" {
		return nil, newErr(op, outPath, ErrInvalidData, nil, "%s", msg)
	}
	for _, p := range o.Burnins {
		if !contains(BurninPositions, p) {
			return nil, newErr(op, outPath, ErrInvalidData, nil, "unknown burn-in position %q", p)
		}
	}
	r := &renderer{op: op, files: files, o: o, rc: rc, seed: maphash.MakeSeed(), piece: po}
	defer r.close()
	res, err := r.run(ctx, frames, outPath, cont, transfer, gop)
	if err != nil {
		return nil, err
	}
	return res, nil
}
