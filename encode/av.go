package encode

// Small cgo accessors for AVFrame fields go-astiav v0.16.0 does not expose:
// plane pointers (for zero-copy media.Frame planes), best_effort_timestamp and
// the colour description.

/*
#cgo pkg-config: libavutil libavformat libavcodec libavfilter libswscale
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libswscale/swscale.h>

static int reel_pixfmt_desc(int pf, int *depth, int *log2w, int *log2h, int *ncomp, int *flags, int *be) {
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(pf);
	if (!d) return -1;
	*depth = d->comp[0].depth;
	*log2w = d->log2_chroma_w;
	*log2h = d->log2_chroma_h;
	*ncomp = d->nb_components;
	*flags = (int)d->flags;
	*be = (d->flags & AV_PIX_FMT_FLAG_BE) ? 1 : 0;
	return 0;
}

static int reel_stream_disposition(void *st) { return ((AVStream *)st)->disposition; }

static int reel_codec_intra_only(int id) {
	const AVCodecDescriptor *d = avcodec_descriptor_get(id);
	return d && (d->props & AV_CODEC_PROP_INTRA_ONLY);
}

// reel_index_keyframes walks the demuxer's index of st (timestamp order).
// It writes to keys (room for cap) the rank, among the entries that are
// not discarded, of each keyframe entry, and returns the number of such
// entries; *nkeys gets the number of keyframes (written or not).
static int64_t reel_index_keyframes(void *st, int64_t *keys, int64_t cap, int64_t *nkeys) {
	int n = avformat_index_get_entries_count((AVStream *)st);
	int64_t rank = 0, k = 0;
	for (int i = 0; i < n; i++) {
		const AVIndexEntry *e = avformat_index_get_entry((AVStream *)st, i);
		if (!e || (e->flags & AVINDEX_DISCARD_FRAME)) continue;
		if (e->flags & AVINDEX_KEYFRAME) {
			if (k < cap) keys[k] = rank;
			k++;
		}
		rank++;
	}
	*nkeys = k;
	return rank;
}

// reel_index_key_times writes to ts (room for cap) the timestamps of st's
// index entries if every one is a keyframe, and returns their number; -1
// when an entry is not a keyframe.
static int64_t reel_index_key_times(void *st, int64_t *ts, int64_t cap) {
	int n = avformat_index_get_entries_count((AVStream *)st);
	int64_t k = 0;
	for (int i = 0; i < n; i++) {
		const AVIndexEntry *e = avformat_index_get_entry((AVStream *)st, i);
		if (!e || (e->flags & AVINDEX_DISCARD_FRAME)) continue;
		if (!(e->flags & AVINDEX_KEYFRAME)) return -1;
		if (k < cap) ts[k] = e->timestamp;
		k++;
	}
	return k;
}

// reel_index_entries copies st's index entries that are not discarded
// (timestamp, position, size, keyframe) into the arrays (room for cap) and
// returns their number.
static int64_t reel_index_entries(void *st, int64_t *ts, int64_t *pos, int32_t *size, uint8_t *key, int64_t cap) {
	int n = avformat_index_get_entries_count((AVStream *)st);
	int64_t k = 0;
	for (int i = 0; i < n; i++) {
		const AVIndexEntry *e = avformat_index_get_entry((AVStream *)st, i);
		if (!e || (e->flags & AVINDEX_DISCARD_FRAME)) continue;
		if (k < cap) {
			ts[k] = e->timestamp;
			pos[k] = e->pos;
			size[k] = e->size;
			key[k] = (e->flags & AVINDEX_KEYFRAME) ? 1 : 0;
		}
		k++;
	}
	return k;
}

static int reel_video_delay(void *st) { return ((AVStream *)st)->codecpar->video_delay; }
static int reel_frame_decode_errors(AVFrame *f) { return f->decode_error_flags; }

static const char *reel_color_primaries_name(int v) { return av_color_primaries_name(v); }
static const char *reel_color_transfer_name(int v) { return av_color_transfer_name(v); }
static const char *reel_color_space_name(int v) { return av_color_space_name(v); }
static const char *reel_color_range_name(int v) { return av_color_range_name(v); }
*/
import "C"

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/asticode/go-astiav"

	"github.com/reelmedia/reel/media"
)

func cframe(f *astiav.Frame) *C.AVFrame { return (*C.AVFrame)(f.UnsafePointer()) }

// ccodec is the AVCodecContext behind c, which go-astiav v0.16.0 keeps as
// the first field of its CodecContext (as cstream reads a Stream's).
func ccodec(c *astiav.CodecContext) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(c)) }

// framePlane returns plane i of f as a byte slice over the AVFrame's own
// buffer (no copy), rows*linesize bytes long.
func framePlane(f *astiav.Frame, i, rows int) ([]byte, int) {
	cf := cframe(f)
	ls := int(cf.linesize[i])
	if cf.data[i] == nil || ls <= 0 || rows <= 0 {
		return nil, ls
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(cf.data[i])), ls*rows), ls
}

func frameBestEffortTimestamp(f *astiav.Frame) int64 {
	return int64(cframe(f).best_effort_timestamp)
}

// frameColor reads the colour description a decoder attached to f.
func frameColor(f *astiav.Frame) media.Color {
	cf := cframe(f)
	return colorFromInts(int(cf.color_primaries), int(cf.color_trc), int(cf.colorspace), int(cf.color_range))
}

// unspecified values (2 for primaries/trc/matrix, 0 for range) become "".
func colorFromInts(prim, trc, space, rng int) media.Color {
	name := func(p *C.char, unspecified bool) string {
		if p == nil || unspecified {
			return ""
		}
		return C.GoString(p)
	}
	return media.Color{
		Primaries: name(C.reel_color_primaries_name(C.int(prim)), prim == 2),
		Transfer:  name(C.reel_color_transfer_name(C.int(trc)), trc == 2),
		Matrix:    name(C.reel_color_space_name(C.int(space)), space == 2),
		Range:     name(C.reel_color_range_name(C.int(rng)), rng == 0),
	}
}

func codecParamsColor(cp *astiav.CodecParameters) media.Color {
	return colorFromInts(int(cp.ColorPrimaries()), int(cp.ColorTransferCharacteristic()), int(cp.ColorSpace()), int(cp.ColorRange()))
}

// indexKeyframes returns the keyframes of vs from the demuxer's index,
// without reading any packet, when that index lists exactly frames frames
// (MP4 and MOV build it from their sample tables at open); ok is false
// otherwise. A keyframe's position is its rank in decode order. That is its
// display position for an IDR or intra-only frame; an open-GOP keyframe
// with leading pictures comes out that many frames early, which is harmless
// for planning (decoding from any frame is exact).
func indexKeyframes(vs *astiav.Stream, frames int64) ([]int64, bool) {
	p := cstream(vs)
	if p == nil || frames <= 0 {
		return nil, false
	}
	var nkeys C.int64_t
	if n := int64(C.reel_index_keyframes(p, nil, 0, &nkeys)); n != frames || nkeys == 0 {
		return nil, false
	}
	keys := make([]int64, int64(nkeys))
	C.reel_index_keyframes(p, (*C.int64_t)(unsafe.Pointer(&keys[0])), C.int64_t(len(keys)), &nkeys)
	if int64(nkeys) != int64(len(keys)) {
		return nil, false
	}
	return keys, true
}

// cueKeyframes returns the keyframes of vs from a keyframe-only index
// (Matroska's cues), which records their presentation times: each becomes a
// frame index at the stream's constant rate, counted from t0. The cues may
// list fewer keyframes than the stream has (a muxer may index only some);
// ok is false without an index, or when an entry is not a keyframe.
func cueKeyframes(vs *astiav.Stream, t0 int64, frameTb astiav.Rational) ([]int64, bool) {
	p := cstream(vs)
	if p == nil {
		return nil, false
	}
	n := int64(C.reel_index_key_times(p, nil, 0))
	if n <= 0 {
		return nil, false
	}
	ts := make([]int64, n)
	if int64(C.reel_index_key_times(p, (*C.int64_t)(unsafe.Pointer(&ts[0])), C.int64_t(n))) != n {
		return nil, false
	}
	keys := make([]int64, 0, n)
	for _, t := range ts {
		k := astiav.RescaleQRnd(t-t0, vs.TimeBase(), frameTb, astiav.RoundingNearInf)
		if k < 0 {
			return nil, false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return slices.Compact(keys), true
}

// intraOnly reports whether FFmpeg describes codec as intra-only: every
// frame is a keyframe (ProRes, DNxHD, MJPEG, JPEG 2000, image codecs; not
// FFV1, whose frames may depend on earlier ones).
func intraOnly(codec astiav.CodecID) bool { return C.reel_codec_intra_only(C.int(codec)) != 0 }

// cstream is s's *C.AVStream, for fields go-astiav v0.16.0 has no accessor
// for (disposition, the index entries): its Stream struct holds the pointer
// as its first field. The layout is pinned by the go-astiav version in
// go.mod.
func cstream(s *astiav.Stream) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(s)) }

// isAttachedPic reports whether s is a cover picture rather than video.
func isAttachedPic(s *astiav.Stream) bool {
	p := cstream(s)
	if p == nil {
		return false
	}
	return C.reel_stream_disposition(p)&C.AV_DISPOSITION_ATTACHED_PIC != 0
}

// pixFmtInfo describes pf: its bit depth, and the media.Format it maps to when
// it is a planar little-endian YUV or gray format without alpha (ok).
func pixFmtInfo(pf astiav.PixelFormat) (depth int, f media.Format, ok bool) {
	var d, lw, lh, nc, flags, be C.int
	if C.reel_pixfmt_desc(C.int(pf), &d, &lw, &lh, &nc, &flags, &be) != 0 {
		return 0, f, false
	}
	depth = int(d)
	f.BitDepth = depth
	if int(flags)&(C.AV_PIX_FMT_FLAG_RGB|C.AV_PIX_FMT_FLAG_ALPHA|C.AV_PIX_FMT_FLAG_PAL|C.AV_PIX_FMT_FLAG_HWACCEL|C.AV_PIX_FMT_FLAG_BITSTREAM|C.AV_PIX_FMT_FLAG_FLOAT) != 0 {
		return depth, f, false
	}
	if int(flags)&C.AV_PIX_FMT_FLAG_PLANAR == 0 && nc != 1 {
		return depth, f, false
	}
	if be != 0 && depth > 8 {
		return depth, f, false
	}
	switch {
	case nc == 1:
		f.Chroma = media.Chroma400
	case nc == 3 && lw == 1 && lh == 1:
		f.Chroma = media.Chroma420
	case nc == 3 && lw == 1 && lh == 0:
		f.Chroma = media.Chroma422
	case nc == 3 && lw == 0 && lh == 0:
		f.Chroma = media.Chroma444
	default:
		return depth, f, false
	}
	switch depth {
	case 8, 10, 12, 16:
	default:
		return depth, f, false
	}
	// the plane layout must be one sample per 1 or 2 bytes (not packed/semi-planar)
	name := pf.Name()
	if name != f.String() && name != "yuvj"+f.Chroma.String()+"p" {
		return depth, f, false
	}
	return depth, f, true
}

// indexEntry is one entry of a demuxer's index: a packet's decode
// timestamp, byte position and size, and whether it is a keyframe.
type indexEntry struct {
	dts, pos int64
	size     int32
	key      bool
}

// indexEntries lists the entries of vs's demuxer index that are not
// discarded (edit lists), in timestamp order; nil without an index.
func indexEntries(vs *astiav.Stream) []indexEntry {
	p := cstream(vs)
	if p == nil {
		return nil
	}
	n := int64(C.reel_index_entries(p, nil, nil, nil, nil, 0))
	if n <= 0 {
		return nil
	}
	ts, pos := make([]int64, n), make([]int64, n)
	size, key := make([]int32, n), make([]uint8, n)
	if int64(C.reel_index_entries(p, (*C.int64_t)(unsafe.Pointer(&ts[0])), (*C.int64_t)(unsafe.Pointer(&pos[0])),
		(*C.int32_t)(unsafe.Pointer(&size[0])), (*C.uint8_t)(unsafe.Pointer(&key[0])), C.int64_t(n))) != n {
		return nil
	}
	out := make([]indexEntry, n)
	for i := range out {
		out[i] = indexEntry{dts: ts[i], pos: pos[i], size: size[i], key: key[i] != 0}
	}
	return out
}

// videoDelay is the number of frames vs's decoder holds back to reorder
// them (0: presentation order is decode order).
func videoDelay(vs *astiav.Stream) int {
	p := cstream(vs)
	if p == nil {
		return 0
	}
	return int(C.reel_video_delay(p))
}

// concealed reports whether the decoder flagged f as damaged (errors it
// concealed).
func concealed(f *astiav.Frame) bool { return C.reel_frame_decode_errors(cframe(f)) != 0 }

// LibraryVersions reports the FFmpeg release and the versions of the
// libraries reel is linked against, e.g. {"ffmpeg": "5.1.9-0+deb12u1",
// "libavcodec": "59.37.100", ...}.
func LibraryVersions() map[string]string {
	v := func(x C.uint) string { return fmt.Sprintf("%d.%d.%d", x>>16, (x>>8)&0xff, x&0xff) }
	return map[string]string{
		"ffmpeg":      C.GoString(C.av_version_info()),
		"libavcodec":  v(C.avcodec_version()),
		"libavformat": v(C.avformat_version()),
		"libavfilter": v(C.avfilter_version()),
		"libavutil":   v(C.avutil_version()),
		"libswscale":  v(C.swscale_version()),
	}
}
