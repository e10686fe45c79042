package encode

/*
#include <libavformat/avformat.h>
#include <libavutil/frame.h>

static int reel_field_order(void *st) { return (int)((AVStream *)st)->codecpar->field_order; }
static int reel_frame_interlaced(AVFrame *f) { return f->interlaced_frame; }
static int reel_frame_tff(AVFrame *f) { return f->top_field_first; }
*/
import "C"

import (
	"context"

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
