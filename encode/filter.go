package encode

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/asticode/go-astiav"
)

// filterSpec is what a video filter graph does: scale to width×height with
// the scaler algorithm, convert to pixFmt, and optionally change the rate.
type filterSpec struct {
	width, height int
	scaler        string
	pixFmt        string
	fps           Rational // zero: keep
	interlaced    bool     // scale each field on its own (swscale's interl)
}

var scalers = map[string]bool{
	"bicubic": true, "bilinear": true, "fast_bilinear": true, "neighbor": true, "area": true,
	"bicublin": true, "gauss": true, "sinc": true, "lanczos": true, "spline": true, "experimental": true,
}

// graph returns the filter graph description.
func (s filterSpec) graph() (string, error) {
	sc := s.scaler
	if sc == "" {
		sc = "bicubic"
	}
	if !scalers[sc] {
		return "", fmt.Errorf("unknown scaler %q", sc)
	}
	var parts []string
	if s.fps.Num > 0 && s.fps.Den > 0 {
		parts = append(parts, fmt.Sprintf("fps=%d/%d", s.fps.Num, s.fps.Den))
	}
	scale := fmt.Sprintf("scale=%d:%d:flags=%s", s.width, s.height, sc)
	if s.interlaced {
		scale += ":interl=1"
	}
	parts = append(parts, scale)
	parts = append(parts, "format="+s.pixFmt)
	return strings.Join(parts, ","), nil
}

// videoFilter is a configured buffer -> ... -> buffersink graph.
type videoFilter struct {
	graph *astiav.FilterGraph
	src   *astiav.FilterContext
	sink  *astiav.FilterContext
	out   *astiav.Frame
	srcTb astiav.Rational
}

func newVideoFilter(x *decoder, spec filterSpec) (*videoFilter, error) {
	desc, err := spec.graph()
	if err != nil {
		return nil, err
	}
	return newFilterGraph(x, desc)
}

// newFilterGraph builds the graph desc fed with x's decoded frames.
func newFilterGraph(x *decoder, desc string) (*videoFilter, error) {
	cp := x.st.CodecParameters()
	pf := x.dec.PixelFormat()
	if pf == astiav.PixelFormatNone {
		pf = cp.PixelFormat()
	}
	return newGraph(cp.Width(), cp.Height(), pf, cp.SampleAspectRatio(), x.tb, x.info.FrameRate.av(), desc)
}

// newGraph builds the graph desc fed with w×h frames of pf, aspect sar
// (unset: square), time base tb, rate fps.
func newGraph(w, h int, pf astiav.PixelFormat, sar, tb, fps astiav.Rational, desc string) (*videoFilter, error) {
	if sar.Num() <= 0 || sar.Den() <= 0 {
		sar = astiav.NewRational(1, 1)
	}
	f := &videoFilter{graph: astiav.AllocFilterGraph(), out: astiav.AllocFrame(), srcTb: tb}
	f.graph.SetThreadCount(1)
	args := astiav.FilterArgs{
		"video_size":   fmt.Sprintf("%dx%d", w, h),
		"pix_fmt":      strconv.Itoa(int(pf)),
		"time_base":    tb.String(),
		"pixel_aspect": sar.String(),
		"frame_rate":   fmt.Sprintf("%d/%d", fps.Num(), fps.Den()),
	}
	if err := f.link(args, desc); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

// link builds the graph: a buffer source with args, the filters of desc,
// a buffer sink. go-astiav v0.16.0 cannot set the buffersink's pix_fmts:
// a graph that needs one ends with format= instead.
func (f *videoFilter) link(args astiav.FilterArgs, desc string) error {
	var err error
	if f.src, err = f.graph.NewFilterContext(astiav.FindFilterByName("buffer"), "in", args); err != nil {
		return fmt.Errorf("buffer source: %w", err)
	}
	if f.sink, err = f.graph.NewFilterContext(astiav.FindFilterByName("buffersink"), "out", nil); err != nil {
		return fmt.Errorf("buffer sink: %w", err)
	}
	outputs := astiav.AllocFilterInOut()
	defer outputs.Free()
	outputs.SetName("in")
	outputs.SetFilterContext(f.src)
	outputs.SetPadIdx(0)
	outputs.SetNext(nil)
	inputs := astiav.AllocFilterInOut()
	defer inputs.Free()
	inputs.SetName("out")
	inputs.SetFilterContext(f.sink)
	inputs.SetPadIdx(0)
	inputs.SetNext(nil)
	if err := f.graph.Parse(desc, inputs, outputs); err != nil {
		return fmt.Errorf("filter graph %q: %w", desc, err)
	}
	if err := f.graph.Configure(); err != nil {
		return fmt.Errorf("filter graph %q: %w", desc, err)
	}
	return nil
}

// sinkTimeBase is the time base of the frames leaving the graph.
func (f *videoFilter) sinkTimeBase() astiav.Rational {
	if ls := f.sink.Inputs(); len(ls) > 0 {
		return ls[0].TimeBase()
	}
	return f.srcTb
}

// push sends a frame (nil = end of stream) into the graph.
func (f *videoFilter) push(in *astiav.Frame) error {
	if in == nil {
		return f.src.BuffersrcAddFrame(nil, astiav.NewBuffersrcFlags())
	}
	return f.src.BuffersrcAddFrame(in, astiav.NewBuffersrcFlags(astiav.BuffersrcFlagKeepRef))
}

// pull returns the next filtered frame, or nil when the graph needs more
// input (or has ended). The frame is valid until the next pull.
func (f *videoFilter) pull() (*astiav.Frame, error) {
	f.out.Unref()
	if err := f.sink.BuffersinkGetFrame(f.out, astiav.NewBuffersinkFlags()); err != nil {
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil, nil
		}
		return nil, err
	}
	return f.out, nil
}

// apply runs one frame through a graph that outputs one frame per input
// (scale and format only).
func (f *videoFilter) apply(in *astiav.Frame) (*astiav.Frame, error) {
	if err := f.push(in); err != nil {
		return nil, err
	}
	out, err := f.pull()
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errors.New("filter graph produced no frame")
	}
	return out, nil
}

func (f *videoFilter) close() {
	if f.out != nil {
		f.out.Free()
	}
	if f.graph != nil {
		f.graph.Free()
	}
}
