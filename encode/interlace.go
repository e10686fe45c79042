package encode

/*
#include <libavformat/avformat.h>
#include <libavutil/frame.h>

static int reel_field_order(void *st) { return (int)((AVStream *)st)->codecpar->field_order; }
static int reel_frame_interlaced(AVFrame *f) { return f->interlaced_frame; }
static int reel_frame_tff(AVFrame *f) { return f->top_field_first; }
static void reel_frame_set_fields(AVFrame *f, int tff) { f->interlaced_frame = 1; f->top_field_first = tff; }
*/
import "C"

import (
	"context"
	"fmt"
	"io"

	"github.com/asticode/go-astiav"
)

// fieldOrders names FFmpeg's AVFieldOrder values (index = value); "" is
// unknown.
var fieldOrders = []string{"", "progressive", "tt", "bb", "tb", "bt"}

// streamFieldOrder is the field order vs's codec parameters declare: "" when
// they do not say.
func streamFieldOrder(vs *astiav.Stream) string {
	p := cstream(vs)
	if p == nil {
		return ""
	}
	if v := int(C.reel_field_order(p)); v >= 0 && v < len(fieldOrders) {
		return fieldOrders[v]
	}
	return ""
}

// frameFieldOrder is the field order a decoder flagged on f: progressive,
// tt (top field first) or bb.
func frameFieldOrder(f *astiav.Frame) string {
	cf := cframe(f)
	switch {
	case C.reel_frame_interlaced(cf) == 0:
		return "progressive"
	case C.reel_frame_tff(cf) != 0:
		return "tt"
	default:
		return "bb"
	}
}

// keepsFields reports whether cd can encode an interlaced source's frames
// as fields (interlaced coding), which it does when no deinterlacer is
// asked for: x264 (PAFF/MBAFF, libx264's interlaced=1).
func keepsFields(cd codecDesc) bool { return cd.name == "x264" }

// codedFieldOrder is the field order an interlaced encode of a source in
// order declares: tt when the top field is shown first (tt, bt), else bb.
func codedFieldOrder(order string) string {
	if order == "tt" || order == "bt" {
		return "tt"
	}
	return "bb"
}

// setFields marks f interlaced with the field order of an interlaced
// encode (tt or bb): libx264 takes each frame's top_field_first, and a
// scaled or repeated frame must not lose it.
func setFields(f *astiav.Frame, order string) {
	tff := 0
	if order == "tt" {
		tff = 1
	}
	C.reel_frame_set_fields(cframe(f), C.int(tff))
}

// setFieldOrder records a field order and whether it means interlaced.
func (v *VideoStream) setFieldOrder(order string) {
	v.FieldOrder = order
	v.Interlaced = order != "" && order != "progressive"
}

// needsFirstFrame reports whether the stream headers left out what only a
// decoded frame says: the field order, or the HDR10 metadata of an HDR
// transfer (HEVC carries it in SEI messages, not always in the container).
func (v *VideoStream) needsFirstFrame() bool {
	return v.FieldOrder == "" || v.HDR != nil && v.HDR.Transfer != "" && (v.HDR.Mastering == nil || !v.HDR.CLL)
}

// fromFirstFrame decodes the first frame of in and completes v's field
// order and HDR metadata from its flags and side data. A frame that cannot
// be decoded leaves v as it is: the frame count and the rest stand.
func (v *VideoStream) fromFirstFrame(ctx context.Context, op string, in Input) error {
	x, err := openDecoder(ctx, op, in, 0, 1, 1, false, false)
	if err != nil {
		return ctx.Err()
	}
	defer x.close()
	f, _, err := x.next(ctx)
	if err != nil {
		return ctx.Err()
	}
	if v.FieldOrder == "" {
		v.setFieldOrder(frameFieldOrder(f))
	}
	v.HDR = frameHDR(v.HDR, f, v.Color.Transfer)
	return nil
}

// deinterlaceFilters are the deinterlacers Profile.Deinterlace takes, as
// filter graphs: one frame out per frame in, parity from the frames' flags,
// every frame deinterlaced (the ffmpeg CLI's bwdif=mode=send_frame).
var deinterlaceFilters = map[string]string{
	"bwdif": "bwdif=mode=send_frame:parity=auto:deint=all",
	"yadif": "yadif=mode=send_frame:parity=auto:deint=all",
}

// DeinterlaceFor resolves a deinterlace choice for a source: "" or auto is
// bwdif for an interlaced source and none for a progressive one; off is
// none; bwdif and yadif are kept.
func DeinterlaceFor(choice string, v *VideoStream) (string, error) {
	switch choice {
	case "", "auto":
		if v != nil && v.Interlaced {
			return "bwdif", nil
		}
		return "", nil
	case "off", "none":
		return "", nil
	case "bwdif", "yadif":
		return choice, nil
	}
	return "", fmt.Errorf("unknown deinterlacer %q (want bwdif, yadif, off or auto)", choice)
}

// deinterlaceStart is the first frame to decode for frames from start: a
// deinterlacer looks at the frame before.
func deinterlaceStart(mode string, start int64) int64 {
	if mode != "" && start > 0 {
		return start - 1
	}
	return start
}

// deinterlacer runs decoded frames through a deinterlacing graph. The
// graph holds a frame back until the next one comes (it looks at both
// neighbours): the frames before and after the range [start, end) are fed
// to it too, as a whole-file pass would, and their output dropped, so a
// range's frames are the same as in a whole-file pass.
type deinterlacer struct {
	f          *videoFilter
	start, end int64   // the range asked for (end 0: to the end)
	pending    []int64 // indices of the frames in the graph, in order
	last       int64   // the last frame returned, -1 before the first
	flushed    bool
}

// deinterlace makes next return x's frames [start, end) deinterlaced with
// mode ("": none). x was opened at deinterlaceStart(mode, start).
func (x *decoder) deinterlace(mode string, start, end int64) error {
	if mode == "" {
		return nil
	}
	desc, ok := deinterlaceFilters[mode]
	if !ok {
		return newErr(x.op, x.d.name, ErrUnsupportedPixFmt, nil, "unknown deinterlacer %q (want bwdif or yadif)", mode)
	}
	f, err := newFilterGraph(x, desc)
	if err != nil {
		return newErr(x.op, x.d.name, ErrUnsupportedPixFmt, err, "cannot build the deinterlacer")
	}
	x.deint = &deinterlacer{f: f, start: start, end: end, last: -1}
	// next stops after the frame after the range (a count may not be known
	// yet: a container counted as it is decoded)
	x.end = 0
	return nil
}

// next returns the next frame of the range and its index, io.EOF after the
// last, deinterlaced when asked. The frame is valid until the next call.
func (x *decoder) next(ctx context.Context) (*astiav.Frame, int64, error) {
	d := x.deint
	if d == nil {
		return x.decodeNext(ctx)
	}
	for {
		out, err := d.f.pull()
		if err != nil {
			return nil, 0, newErr(x.op, x.d.name, ErrUnsupportedPixFmt, err, "deinterlacing")
		}
		if out != nil {
			if len(d.pending) == 0 {
				return nil, 0, newErr(x.op, x.d.name, ErrUnsupportedPixFmt, nil, "the deinterlacer made more frames than it was given")
			}
			idx := d.pending[0]
			d.pending = d.pending[1:]
			if idx < d.start || d.end > 0 && idx >= d.end {
				continue
			}
			d.last = idx
			return out, idx, nil
		}
		if d.flushed {
			if len(d.pending) > 0 {
				return nil, 0, newErr(x.op, x.d.name, ErrUnsupportedPixFmt, nil, "the deinterlacer kept %d frames", len(d.pending))
			}
			// the decoder is done: its last frame is now the range's (the
			// frame after it was only context)
			x.last = d.last
			return nil, 0, io.EOF
		}
		f, idx, err := x.decodeNext(ctx)
		if err == nil && d.end > 0 && idx > d.end {
			err = io.EOF // past the frame after the range
		}
		if err == io.EOF {
			if err := d.flush(); err != nil {
				return nil, 0, newErr(x.op, x.d.name, ErrUnsupportedPixFmt, err, "deinterlacing")
			}
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		d.pending = append(d.pending, idx)
		if err := d.f.push(f); err != nil {
			return nil, 0, newErr(x.op, x.d.name, ErrUnsupportedPixFmt, err, "deinterlacing")
		}
		if d.end > 0 && idx >= d.end {
			if err := d.flush(); err != nil {
				return nil, 0, newErr(x.op, x.d.name, ErrUnsupportedPixFmt, err, "deinterlacing")
			}
		}
	}
}

// flush ends the graph's input: it gives out the frames it holds.
func (d *deinterlacer) flush() error {
	d.flushed = true
	return d.f.push(nil)
}

func (d *deinterlacer) close() {
	if d != nil {
		d.f.close()
	}
}
