package encode

/*
#include <libavutil/mastering_display_metadata.h>

static int reel_mastering(const void *p, size_t n, double *out) {
	const AVMasteringDisplayMetadata *m = p;
	if (n < sizeof(*m) || !m->has_primaries || !m->has_luminance) return 0;
	for (int i = 0; i < 3; i++) {
		out[2*i] = av_q2d(m->display_primaries[i][0]);
		out[2*i+1] = av_q2d(m->display_primaries[i][1]);
	}
	out[6] = av_q2d(m->white_point[0]);
	out[7] = av_q2d(m->white_point[1]);
	out[8] = av_q2d(m->min_luminance);
	out[9] = av_q2d(m->max_luminance);
	return 1;
}

static int reel_cll(const void *p, size_t n, unsigned *maxcll, unsigned *maxfall) {
	const AVContentLightMetadata *c = p;
	if (n < sizeof(*c)) return 0;
	*maxcll = c->MaxCLL;
	*maxfall = c->MaxFALL;
	return 1;
}
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// HDR describes a stream's high dynamic range: its transfer and the HDR10
// static metadata (SMPTE ST 2086 mastering display, CTA-861.3 content light
// level) when the stream carries it.
type HDR struct {
	// Transfer is pq (SMPTE ST 2084, smpte2084) or hlg (ARIB STD-B67,
	// arib-std-b67); "" for another transfer with HDR metadata.
	Transfer string `json:"transfer,omitempty"`
	// Mastering is the mastering display; nil when not signalled.
	Mastering *MasteringDisplay `json:"mastering_display,omitempty"`
	// MaxCLL and MaxFALL are the maximum content and frame-average light
	// levels in cd/m²; CLL says whether they were signalled.
	CLL     bool `json:"cll,omitempty"`
	MaxCLL  int  `json:"max_cll,omitempty"`
	MaxFALL int  `json:"max_fall,omitempty"`
}

// MasteringDisplay is SMPTE ST 2086 metadata: CIE 1931 xy chromaticities of
// the primaries and white point, and luminance in cd/m².
type MasteringDisplay struct {
	Red          [2]float64 `json:"red"`
	Green        [2]float64 `json:"green"`
	Blue         [2]float64 `json:"blue"`
	WhitePoint   [2]float64 `json:"white_point"`
	MinLuminance float64    `json:"min_luminance"`
	MaxLuminance float64    `json:"max_luminance"`
}

// String is x265's master-display syntax: chromaticities in 0.00002
// units, luminance in 0.0001 cd/m².
func (m MasteringDisplay) String() string {
	c := func(v [2]float64) string {
		return fmt.Sprintf("(%d,%d)", int64(math.Round(v[0]*50000)), int64(math.Round(v[1]*50000)))
	}
	return fmt.Sprintf("G%sB%sR%sWP%sL(%d,%d)", c(m.Green), c(m.Blue), c(m.Red), c(m.WhitePoint),
		int64(math.Round(m.MaxLuminance*10000)), int64(math.Round(m.MinLuminance*10000)))
}

// hdrTransfer is reel's name for an HDR transfer (FFmpeg's name in), or "".
func hdrTransfer(trc string) string {
	switch trc {
	case "smpte2084":
		return "pq"
	case "arib-std-b67":
		return "hlg"
	}
	return ""
}

func parseMastering(b []byte) *MasteringDisplay {
	if len(b) == 0 {
		return nil
	}
	var v [10]C.double
	if C.reel_mastering(unsafe.Pointer(&b[0]), C.size_t(len(b)), &v[0]) == 0 {
		return nil
	}
	return &MasteringDisplay{
		Red: [2]float64{float64(v[0]), float64(v[1])}, Green: [2]float64{float64(v[2]), float64(v[3])},
		Blue: [2]float64{float64(v[4]), float64(v[5])}, WhitePoint: [2]float64{float64(v[6]), float64(v[7])},
		MinLuminance: float64(v[8]), MaxLuminance: float64(v[9]),
	}
}

func (h *HDR) setCLL(b []byte) {
	if len(b) == 0 {
		return
	}
	var cll, fall C.uint
	if C.reel_cll(unsafe.Pointer(&b[0]), C.size_t(len(b)), &cll, &fall) != 0 {
		h.CLL, h.MaxCLL, h.MaxFALL = true, int(cll), int(fall)
	}
}

// nilIfEmpty drops an HDR that says nothing.
func (h *HDR) nilIfEmpty() *HDR {
	if h == nil || h.Transfer == "" && h.Mastering == nil && !h.CLL {
		return nil
	}
	return h
}

// streamHDR reads the HDR description from vs's codec parameters and side
// data (container level: mp4 mdcv/clli, Matroska Colour).
func streamHDR(vs *astiav.Stream, transfer string) *HDR {
	h := &HDR{Transfer: hdrTransfer(transfer)}
	h.Mastering = parseMastering(vs.SideData(astiav.PacketSideDataTypeMasteringDisplayMetadata))
	h.setCLL(vs.SideData(astiav.PacketSideDataTypeContentLightLevel))
	return h.nilIfEmpty()
}

// frameHDR completes h (which may be nil) from f's side data (a decoder's
// view of the bitstream's SEI), keeping what the container said.
func frameHDR(h *HDR, f *astiav.Frame, transfer string) *HDR {
	if h == nil {
		h = &HDR{Transfer: hdrTransfer(transfer)}
	}
	if h.Mastering == nil {
		if sd := f.SideData(astiav.FrameSideDataTypeMasteringDisplayMetadata); sd != nil {
			h.Mastering = parseMastering(sd.Data())
		}
	}
	if !h.CLL {
		if sd := f.SideData(astiav.FrameSideDataTypeContentLightLevel); sd != nil {
			h.setCLL(sd.Data())
		}
	}
	return h.nilIfEmpty()
}

// x265Params are the x265-params that write h into an HEVC bitstream.
func (h *HDR) x265Params() string {
	if h == nil {
		return ""
	}
	s := ""
	if h.Mastering != nil {
		s += ":master-display=" + h.Mastering.String()
	}
	if h.CLL {
		s += fmt.Sprintf(":max-cll=%d,%d", h.MaxCLL, h.MaxFALL)
	}
	if s != "" {
		s = "hdr10=1" + s
	}
	return s
}

// completeHDR reads the HDR10 metadata the container did not give from the
// first frame, for an encoder that writes it into the bitstream (x265):
// v.HDR is then what the output carries.
func completeHDR(ctx context.Context, op string, in Input, cd codecDesc, v *VideoStream) error {
	if cd.name != "x265" || v.HDR == nil || v.HDR.Mastering != nil && v.HDR.CLL {
		return nil
	}
	w := VideoStream{FieldOrder: "known", HDR: v.HDR, Color: v.Color}
	if err := w.fromFirstFrame(ctx, op, in); err != nil {
		return err
	}
	v.HDR = w.HDR
	return nil
}

// addHDRParams appends h's x265-params (mastering display, content light
// level) to opts, after what the profile or the user set.
func addHDRParams(cd codecDesc, opts map[string]string, h *HDR) {
	p := h.x265Params()
	if cd.name != "x265" || p == "" {
		return
	}
	if cur := opts["x265-params"]; cur != "" {
		p = cur + ":" + p
	}
	opts["x265-params"] = p
}
