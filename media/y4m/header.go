package y4m

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/reelmedia/reel/media"
)

const (
	signature = "YUV4MPEG2"
	// maxLine bounds a header or FRAME line, so a stream without newlines
	// cannot make the reader buffer without end.
	maxLine = 4096
	// MaxDimension bounds width and height; larger values are taken as a
	// corrupt header rather than a reason to allocate gigabytes.
	MaxDimension = 16384
)

// Header is the stream header of a .y4m file.
type Header struct {
	Width, Height int
	// FrameRate is F's numerator and denominator; 0:0 when unknown.
	FrameRateNum, FrameRateDen int
	// Interlace is I's value: 'p' progressive, 't' top field first, 'b'
	// bottom field first, 'm' mixed, '?' or 0 unknown.
	Interlace byte
	// Aspect is A, the pixel aspect ratio; 0:0 when unknown.
	AspectNum, AspectDen int
	// Colorspace is C as written ("420jpeg", "420mpeg2", "422p10", "mono",
	// ...); empty means the default 420jpeg. Format is what it decodes to.
	Colorspace string
	Format     media.Format
	// Range is "pc" (full) or "tv" (limited) from FFmpeg's XCOLORRANGE tag;
	// empty when absent.
	Range string
	// Extra holds the other X tags (without the X), in order.
	Extra []string
}

// FrameRate returns the frame rate in frames per second, or 0 when unknown.
func (h Header) FrameRate() float64 {
	if h.FrameRateNum <= 0 || h.FrameRateDen <= 0 {
		return 0
	}
	return float64(h.FrameRateNum) / float64(h.FrameRateDen)
}

// FrameSize is the number of bytes of one frame's planes.
func (h Header) FrameSize() int { return FrameSize(h.Width, h.Height, h.Format) }

// FrameSize is the number of bytes of one planar frame of w×h in format f,
// chroma planes rounded up as FFmpeg lays them out.
func FrameSize(w, h int, f media.Format) int {
	n := w * h
	if f.Chroma != media.Chroma400 {
		cw, ch := f.Chroma.ChromaSize(w, h)
		n += 2 * cw * ch
	}
	return n * f.BytesPerSample()
}

// colorspaces maps the C tag's chroma part to a layout. The sample depth
// comes from a "p<bits>" suffix (or "mono<bits>").
var colorspaces = map[string]media.Chroma{
	"420jpeg": media.Chroma420, "420mpeg2": media.Chroma420, "420paldv": media.Chroma420, "420": media.Chroma420,
	"422": media.Chroma422, "444": media.Chroma444, "mono": media.Chroma400,
}

// parseColorspace decodes a C tag value ("420jpeg", "422p10", "mono12").
func parseColorspace(c string) (media.Format, error) {
	base, depth := c, 8
	if i := strings.IndexByte(c, 'p'); i > 0 && i < len(c)-1 && c[i+1] >= '0' && c[i+1] <= '9' {
		base = c[:i]
		d, err := strconv.Atoi(c[i+1:])
		if err != nil {
			return media.Format{}, fmt.Errorf("colour space %q: %w", c, ErrBadHeader)
		}
		depth = d
	} else if strings.HasPrefix(c, "mono") && len(c) > 4 {
		d, err := strconv.Atoi(c[4:])
		if err != nil {
			return media.Format{}, fmt.Errorf("colour space %q: %w", c, ErrUnsupported)
		}
		base, depth = "mono", d
	}
	ch, ok := colorspaces[base]
	if !ok {
		return media.Format{}, fmt.Errorf("colour space %q (want 420jpeg, 420mpeg2, 420paldv, 422, 444 or mono, optionally with p10, p12 or p16): %w", c, ErrUnsupported)
	}
	switch depth {
	case 8, 10, 12, 16:
	default:
		return media.Format{}, fmt.Errorf("colour space %q: %d-bit samples (want 8, 10, 12 or 16): %w", c, depth, ErrUnsupported)
	}
	return media.Format{Chroma: ch, BitDepth: depth}, nil
}

// colorspaceName is the C tag FFmpeg writes for a format.
func colorspaceName(f media.Format) (string, error) {
	var base string
	switch f.Chroma {
	case media.Chroma420:
		base = "420"
		if f.BitDepth == 8 {
			return "420jpeg", nil
		}
	case media.Chroma422:
		base = "422"
	case media.Chroma444:
		base = "444"
	case media.Chroma400:
		if f.BitDepth == 8 {
			return "mono", nil
		}
		return fmt.Sprintf("mono%d", f.BitDepth), nil
	default:
		return "", fmt.Errorf("chroma %v: %w", f.Chroma, ErrUnsupported)
	}
	switch f.BitDepth {
	case 8:
		return base, nil
	case 10, 12, 16:
		return fmt.Sprintf("%sp%d", base, f.BitDepth), nil
	}
	return "", fmt.Errorf("%d-bit samples: %w", f.BitDepth, ErrUnsupported)
}

// ParseHeader parses a stream header line without its trailing newline.
func ParseHeader(line string) (Header, error) {
	fields := strings.Split(line, " ")
	if fields[0] != signature {
		return Header{}, fmt.Errorf("no %s signature: %w", signature, ErrBadHeader)
	}
	var h Header
	var haveW, haveH bool
	for _, f := range fields[1:] {
		if f == "" {
			continue // FFmpeg never writes double spaces, but they are harmless
		}
		tag, val := f[0], f[1:]
		var err error
		switch tag {
		case 'W':
			h.Width, err = parseDim("W", val)
			haveW = true
		case 'H':
			h.Height, err = parseDim("H", val)
			haveH = true
		case 'F':
			h.FrameRateNum, h.FrameRateDen, err = parseRatio("F", val)
		case 'A':
			h.AspectNum, h.AspectDen, err = parseRatio("A", val)
		case 'I':
			if len(val) != 1 || !strings.Contains("ptbm?", val) {
				err = fmt.Errorf("interlacing %q (want p, t, b, m or ?): %w", val, ErrBadHeader)
			} else {
				h.Interlace = val[0]
			}
		case 'C':
			h.Colorspace = val
		case 'X':
			switch val {
			case "COLORRANGE=FULL":
				h.Range = "pc"
			case "COLORRANGE=LIMITED":
				h.Range = "tv"
			default:
				h.Extra = append(h.Extra, val)
			}
		default:
			err = fmt.Errorf("unknown tag %q: %w", f, ErrBadHeader)
		}
		if err != nil {
			return Header{}, err
		}
	}
	if !haveW || !haveH {
		return Header{}, fmt.Errorf("no W or H tag: %w", ErrBadHeader)
	}
	cs := h.Colorspace
	if cs == "" {
		cs = "420jpeg"
	}
	format, err := parseColorspace(cs)
	if err != nil {
		return Header{}, err
	}
	h.Format = format
	return h, nil
}

func parseDim(tag, s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 || v > MaxDimension || s[0] == '+' {
		return 0, fmt.Errorf("%s%s (want 1..%d): %w", tag, s, MaxDimension, ErrBadHeader)
	}
	return v, nil
}

func parseRatio(tag, s string) (int, int, error) {
	a, b, ok := strings.Cut(s, ":")
	n, err1 := strconv.Atoi(a)
	d, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 0 || d < 0 || (d == 0 && n != 0) || a[0] == '+' || b[0] == '+' {
		return 0, 0, fmt.Errorf("%s%s (want N:D): %w", tag, s, ErrBadHeader)
	}
	return n, d, nil
}

// String formats h as a header line (without newline). Colorspace is
// written as given, or FFmpeg's name for Format when empty.
func (h Header) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s W%d H%d", signature, h.Width, h.Height)
	if h.FrameRateDen > 0 {
		fmt.Fprintf(&b, " F%d:%d", h.FrameRateNum, h.FrameRateDen)
	}
	il := h.Interlace
	if il == 0 {
		il = 'p'
	}
	fmt.Fprintf(&b, " I%c", il)
	if h.AspectDen > 0 {
		fmt.Fprintf(&b, " A%d:%d", h.AspectNum, h.AspectDen)
	}
	cs := h.Colorspace
	if cs == "" {
		cs, _ = colorspaceName(h.Format)
	}
	fmt.Fprintf(&b, " C%s", cs)
	switch h.Range {
	case "pc":
		b.WriteString(" XCOLORRANGE=FULL")
	case "tv":
		b.WriteString(" XCOLORRANGE=LIMITED")
	}
	for _, x := range h.Extra {
		b.WriteString(" X" + x)
	}
	return b.String()
}
