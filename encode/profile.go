package encode

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/asticode/go-astiav"
)

// Profile is an encoding ladder rung: what every chunk of one rendition is
// encoded with. It travels through Temporal as JSON. The zero value of each
// field means the documented default.
type Profile struct {
	// Codec: x264, x265, svtav1, vp9, prores or ffv1 (FFmpeg encoder names
	// such as libx264 are accepted too).
	Codec string `json:"codec"`
	// CRF is the constant rate factor (0 = the codec's default: x264 23,
	// x265 28, svtav1 35, vp9 31). Ignored by prores and ffv1.
	CRF float64 `json:"crf,omitempty"`
	// Bitrate in bits per second; when set it replaces CRF (average bitrate).
	Bitrate int64 `json:"bitrate,omitempty"`
	// Preset: x264/x265 preset names (default medium), svtav1 0..13
	// (default 8), vp9 cpu-used 0..8 (default 4), prores profile proxy, lt,
	// standard, hq (default), 4444, 4444xq.
	Preset string `json:"preset,omitempty"`
	// Width and Height of the output. Both 0 keep the source size; one 0
	// keeps the aspect ratio. The result is rounded up to even numbers.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Scaler is the swscale algorithm (default bicubic).
	Scaler string `json:"scaler,omitempty"`
	// PixFmt of the output, e.g. yuv420p or yuv420p10le (10-bit). "" keeps
	// the source format when the encoder takes it, else the encoder's
	// nearest 8- or 10-bit 4:2:0 format (prores: yuv422p10le).
	PixFmt string `json:"pix_fmt,omitempty"`
	// FPS changes the frame rate with the fps filter (zero keeps it).
	FPS Rational `json:"fps,omitempty"`
	// GOP is the keyframe interval in frames (0 = 2 seconds). GOPs are
	// closed and fixed (no scene-cut keyframes) so chunks concatenate.
	GOP int `json:"gop,omitempty"`
	// Threads for the encoder and decoder (0 = one per core).
	Threads int `json:"threads,omitempty"`
	// Container: mp4, mov, mkv or ts ("" = from the output extension).
	Container string `json:"container,omitempty"`
	// Strict refuses a damaged source (ErrTruncated, ErrInvalidData)
	// instead of encoding what is there, as the ffmpeg CLI does, and
	// listing the problems (ChunkResult.Problems): for QC gates.
	Strict bool `json:"strict,omitempty"`
	// Deinterlace is bwdif or yadif ("" = none): the deinterlacer applied
	// before scaling, one frame out per frame in (send_frame), with the
	// field order the frames are flagged with. The output is progressive.
	// Chunks see the frame before and after their range, so a chunked
	// encode equals a one-chunk one (except with FPS, where they do not).
	// With none, an interlaced source encoded by x264 keeps its fields:
	// coded interlaced (+ildct+ilme, x264 interlaced=1, tff or bff from
	// the source), the field order tagged in the stream and container,
	// a scale done field by field. Other codecs code the woven frames.
	Deinterlace string `json:"deinterlace,omitempty"`
	// Params are extra encoder options (FFmpeg AVOptions), e.g.
	// {"tune": "film"}; they override what the profile sets.
	Params map[string]string `json:"params,omitempty"`
}

type codecDesc struct {
	name       string // reel's name
	encoder    string // FFmpeg encoder
	crf        float64
	preset     string
	containers []string
}

var codecs = []codecDesc{
	{"x264", "libx264", 23, "medium", []string{"mp4", "mov", "mkv", "ts"}},
	{"x265", "libx265", 28, "medium", []string{"mp4", "mov", "mkv", "ts"}},
	{"svtav1", "libsvtav1", 35, "8", []string{"mp4", "mkv"}},
	{"vp9", "libvpx-vp9", 31, "4", []string{"mp4", "mkv"}},
	{"prores", "prores_ks", 0, "hq", []string{"mov", "mkv"}},
	{"ffv1", "ffv1", 0, "", []string{"mkv", "mov"}},
}

// CodecNames lists the codecs a Profile accepts.
func CodecNames() []string {
	out := make([]string, len(codecs))
	for i, c := range codecs {
		out[i] = c.name
	}
	return out
}

func findCodec(name string) (codecDesc, bool) {
	n := strings.ToLower(name)
	if n == "" {
		n = "x264"
	}
	for _, c := range codecs {
		if n == c.name || n == c.encoder || (n == "h264" && c.name == "x264") || (n == "hevc" && c.name == "x265") ||
			(n == "av1" && c.name == "svtav1") || (n == "libvpx" && c.name == "vp9") {
			return c, true
		}
	}
	return codecDesc{}, false
}

var muxers = map[string]string{"mp4": "mp4", "m4v": "mp4", "mov": "mov", "mkv": "matroska", "ts": "mpegts", "m2ts": "mpegts"}

// containerFor returns reel's container name (mp4, mov, mkv, ts) and the
// FFmpeg muxer for an explicit choice or the output's extension.
func containerFor(explicit, outPath string) (string, string, error) {
	c := strings.ToLower(explicit)
	if c == "" {
		c = strings.TrimPrefix(strings.ToLower(filepath.Ext(outPath)), ".")
	}
	switch c {
	case "matroska":
		c = "mkv"
	case "mpegts", "m2ts":
		c = "ts"
	case "m4v":
		c = "mp4"
	}
	m, ok := muxers[c]
	if !ok {
		return "", "", fmt.Errorf("unknown container %q (want mp4, mov, mkv or ts)", c)
	}
	return c, m, nil
}

// defaultGOP is two seconds of frames.
func defaultGOP(fps float64) int {
	g := int(math.Round(2 * fps))
	return max(g, 1)
}

// pickPixFmt chooses the encoder's input format for a source format.
func pickPixFmt(c *astiav.Codec, cd codecDesc, want, src string, srcDepth int) (astiav.PixelFormat, error) {
	supported := c.PixelFormats()
	has := func(pf astiav.PixelFormat) bool {
		for _, s := range supported {
			if s == pf {
				return true
			}
		}
		return len(supported) == 0
	}
	if want != "" {
		pf := astiav.FindPixelFormatByName(want)
		if pf == astiav.PixelFormatNone || !has(pf) {
			return astiav.PixelFormatNone, fmt.Errorf("encoder %s does not take pixel format %q", cd.encoder, want)
		}
		return pf, nil
	}
	if pf := astiav.FindPixelFormatByName(src); pf != astiav.PixelFormatNone && has(pf) && !strings.HasPrefix(src, "yuvj") {
		return pf, nil
	}
	var candidates []string
	switch {
	case cd.name == "prores":
		candidates = []string{"yuv422p10le"}
	case srcDepth > 8:
		candidates = []string{"yuv420p10le", "yuv420p"}
	default:
		candidates = []string{"yuv420p", "yuv420p10le"}
	}
	for _, name := range candidates {
		if pf := astiav.FindPixelFormatByName(name); has(pf) {
			return pf, nil
		}
	}
	return astiav.PixelFormatNone, fmt.Errorf("encoder %s takes none of %v", cd.encoder, candidates)
}

// encoderOptions are the AVOptions for cd with profile p. gop is resolved.
func encoderOptions(cd codecDesc, p Profile, gop int) map[string]string {
	o := map[string]string{}
	crf := p.CRF
	if crf == 0 {
		crf = cd.crf
	}
	preset := p.Preset
	if preset == "" {
		preset = cd.preset
	}
	g := fmt.Sprint(gop)
	switch cd.name {
	case "x264":
		o["preset"] = preset
		if p.Bitrate == 0 {
			o["crf"] = fmt.Sprint(crf)
		}
		o["sc_threshold"] = "0"
		o["keyint_min"] = g
		// stitchable: x264 otherwise puts the CRF's starting QP in the PPS, so
		// a chunk re-encoded at another CRF by the quality gate would have
		// other headers than its neighbours and could not be concatenated.
		o["x264-params"] = "stitchable=1"
	case "x265":
		// info=0: no SEI with the option string (it names the thread pools,
		// so headers would differ between workers with different core counts)
		o["preset"] = preset
		if p.Bitrate == 0 {
			o["crf"] = fmt.Sprint(crf)
		}
		o["x265-params"] = fmt.Sprintf("keyint=%d:min-keyint=%d:scenecut=0:open-gop=0:info=0:log-level=error", gop, gop)
	case "svtav1":
		o["preset"] = preset
		if p.Bitrate == 0 {
			o["crf"] = fmt.Sprint(crf)
		}
	case "vp9":
		o["cpu-used"] = preset
		o["row-mt"] = "1"
		o["deadline"] = "good"
		if p.Bitrate == 0 {
			o["crf"] = fmt.Sprint(crf)
			o["b"] = "0"
		}
	case "prores":
		o["profile"] = preset
		o["vendor"] = "apl0"
	case "ffv1":
		o["level"] = "3"
		o["slicecrc"] = "1"
	}
	for k, v := range p.Params {
		o[k] = v
	}
	return o
}
