package encode

// Timecode: a source's start timecode carried to the chunks and the joined
// output (go-astiav v0.16.0 cannot set a stream's metadata).

/*
#cgo pkg-config: libavutil libavformat
#include <stdlib.h>
#include <libavformat/avformat.h>

static int reel_set_timecode(void *st, const char *tc) {
	return av_dict_set(&((AVStream *)st)->metadata, "timecode", tc, 0);
}
*/
import "C"

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// setTimecode tags st with timecode tc: the mp4/mov muxers write it as a
// timecode (tmcd) track, Matroska as a tag.
func setTimecode(st *astiav.Stream, tc string) error {
	p := cstream(st)
	if p == nil || tc == "" {
		return nil
	}
	ctc := C.CString(tc)
	defer C.free(unsafe.Pointer(ctc))
	if rc := C.reel_set_timecode(p, ctc); rc < 0 {
		return fmt.Errorf("av_dict_set timecode: error %d", int(rc))
	}
	return nil
}

// addTimecode is SMPTE timecode tc ("HH:MM:SS:FF", ";" or "." before the
// frames for drop-frame) n frames on at fps. ok is false when tc does not
// parse; then the chunk carries no timecode rather than a wrong one.
func addTimecode(tc string, n int64, fps Rational) (string, bool) {
	base := int64(math.Round(fps.Float()))
	if base <= 0 || len(tc) != 11 {
		return "", false
	}
	sep := tc[8]
	drop := sep == ';' || sep == '.'
	var f [4]int64
	for i, part := range strings.Split(tc[:8]+":"+tc[9:], ":") {
		v, err := strconv.ParseInt(part, 10, 64)
		if err != nil || v < 0 || i >= 4 {
			return "", false
		}
		f[i] = v
	}
	if f[1] > 59 || f[2] > 59 || f[3] >= base {
		return "", false
	}
	// drop-frame (29.97, 59.94): the first dropN frame numbers of every
	// minute but each tenth are skipped
	dropN := int64(0)
	if drop {
		dropN = base / 15
	}
	mins := f[0]*60 + f[1]
	frame := (mins*60+f[2])*base + f[3] - dropN*(mins-mins/10)
	frame += n
	day := 24 * 60 * 60 * base
	if drop {
		day -= dropN * (24*60 - 24*6)
	}
	frame = ((frame % day) + day) % day
	if drop {
		per10 := 10*60*base - 9*dropN // frames in ten minutes
		perMin := 60*base - dropN
		d, m := frame/per10, frame%per10
		if m > dropN {
			frame += 9*dropN*d + dropN*((m-dropN)/perMin)
		} else {
			frame += 9 * dropN * d
		}
	}
	ff := frame % base
	s := frame / base
	out := fmt.Sprintf("%02d:%02d:%02d%c%02d", s/3600, s/60%60, s%60, sep, ff)
	return out, true
}
