package encode

/*
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

static int reel_frame_decode_errors_r(AVFrame *f) { return f->decode_error_flags; }

static int reel_pix_fmt_is_float(int fmt) {
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
	return d && (d->flags & AV_PIX_FMT_FLAG_FLOAT);
}

// reel_frame_tag sets f's colour description to what the render applied.
static int reel_frame_tag(AVFrame *f, const char *trc) {
	int t = av_color_transfer_from_name(trc);
	if (t < 0) return t;
	f->color_primaries = AVCOL_PRI_BT709;
	f->color_trc = t;
	f->colorspace = AVCOL_SPC_BT709;
	f->color_range = AVCOL_RANGE_MPEG;
	return 0;
}

static int reel_make_writable(AVFrame *f) { return av_frame_make_writable(f); }

static int reel_meta_set(AVFrame *f, const char *k, const char *v) {
	return av_dict_set(&f->metadata, k, v, 0);
}

// reel_plane_bytes fills the bytes of pixel data per row (no padding) and
// the rows of each plane of a w x h frame of format fmt; it returns the
// number of planes, or a negative error.
static int reel_plane_bytes(int fmt, int w, int h, int *bytes, int *rows) {
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
	if (!d) return -1;
	int ls[4] = {0};
	if (av_image_fill_linesizes(ls, fmt, w) < 0) return -1;
	int n = av_pix_fmt_count_planes(fmt);
	for (int i = 0; i < n && i < 4; i++) {
		bytes[i] = ls[i];
		rows[i] = (i == 1 || i == 2) ? AV_CEIL_RSHIFT(h, d->log2_chroma_h) : h;
	}
	return n;
}

// reel_frame_stats counts, over the colour components of f (alpha left
// out), the NaN and infinite samples (float formats) and the samples at or
// under black (black_float for float formats, black_frac of full scale for
// integer ones).
static int reel_frame_stats(const AVFrame *f, double black_float, double black_frac,
		int64_t *nan, int64_t *inf, int64_t *dark, int64_t *total) {
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
	if (!d || (d->flags & AV_PIX_FMT_FLAG_BITSTREAM) || (d->flags & AV_PIX_FMT_FLAG_PAL)) return -1;
	int ncomp = d->nb_components;
	if (d->flags & AV_PIX_FMT_FLAG_ALPHA) ncomp--;
	int isfloat = (d->flags & AV_PIX_FMT_FLAG_FLOAT) != 0;
	uint32_t *line = av_malloc_array(f->width, sizeof(uint32_t));
	if (!line) return -1;
	*nan = *inf = *dark = *total = 0;
	for (int c = 0; c < ncomp; c++) {
		int w = f->width, h = f->height;
		if (c == 1 || c == 2) {
			if (!(d->flags & AV_PIX_FMT_FLAG_RGB)) {
				w = AV_CEIL_RSHIFT(w, d->log2_chroma_w);
				h = AV_CEIL_RSHIFT(h, d->log2_chroma_h);
			}
		}
		double fs = (double)((1ULL << d->comp[c].depth) - 1);
		uint32_t th = (uint32_t)(black_frac * fs);
		for (int y = 0; y < h; y++) {
			av_read_image_line2(line, (const uint8_t **)f->data, f->linesize, d, 0, y, c, w, 0, 4);
			if (isfloat) {
				for (int x = 0; x < w; x++) {
					float v;
					memcpy(&v, &line[x], 4);
					if (isnan(v)) (*nan)++;
					else if (isinf(v)) (*inf)++;
					else if (v <= black_float) (*dark)++;
				}
			} else {
				for (int x = 0; x < w; x++) if (line[x] <= th) (*dark)++;
			}
			*total += w;
		}
	}
	av_free(line);
	return isfloat;
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/asticode/go-astiav"
)

func setMeta(f *astiav.Frame, key, val string) error {
	k, v := C.CString(key), C.CString(val)
	defer C.free(unsafe.Pointer(k))
	defer C.free(unsafe.Pointer(v))
	if ret := C.reel_meta_set(cframe(f), k, v); ret < 0 {
		return fmt.Errorf("setting frame metadata %s: error %d", key, int(ret))
	}
	return nil
}

// isFloatPixFmt reports whether pf holds float samples (scene-linear EXR).
func isFloatPixFmt(pf astiav.PixelFormat) bool { return C.reel_pix_fmt_is_float(C.int(pf)) != 0 }

// makeWritable gives f a buffer of its own (a copy when shared).
func makeWritable(f *astiav.Frame) int { return int(C.reel_make_writable(cframe(f))) }

// run decodes, checks, filters and encodes every frame.
func (r *renderer) run(ctx context.Context, frames []RenderFrame, outPath, cont, transfer string, gop int) (*RenderResult, error) {
	// the first frame read sets the sequence's size and format
	var cur *astiav.Frame
	curName := ""
	defer func() {
		if cur != nil {
			cur.Free()
		}
	}()
	seeds := []string{r.piece.Prev}
	for _, f := range frames {
		if f.File != "" {
			seeds = append(seeds, f.File)
			break
		}
	}
	seeds = append(seeds, r.piece.Ref)
	for _, name := range seeds {
		if name == "" {
			continue
		}
		first, err := r.decode(ctx, name)
		if err != nil {
			return nil, err
		}
		cur, curName = first, name
		break
	}
	if cur == nil {
		return nil, newErr(r.op, outPath, ErrRangeOutOfBounds, nil, "every frame is missing")
	}
	r.w, r.h, r.pixFmt = cur.Width(), cur.Height(), cur.PixelFormat()
	isFloat := isFloatPixFmt(r.pixFmt)
	r.lay = newRenderLayout(r.w, r.h, r.o.Width, r.o.Height, r.o.Fit, r.o.Mask, r.rc.chroma)
	ow, oh := r.lay.ow, r.lay.oh

	black := astiav.AllocFrame()
	defer black.Free()
	black.SetWidth(r.w)
	black.SetHeight(r.h)
	black.SetPixelFormat(r.pixFmt)
	if err := black.AllocBuffer(0); err != nil {
		return nil, newErr(r.op, outPath, nil, err, "allocating a black frame")
	}
	if err := zeroFrame(black); err != nil {
		return nil, newErr(r.op, outPath, ErrUnsupportedPixFmt, err, "black frame in %s", r.pixFmt.Name())
	}

	var err error
	if r.filter, err = newRenderGraph(r.w, r.h, r.pixFmt, r.o.FPS, r.pictureDesc(isFloat, transfer)); err != nil {
		return nil, newErr(r.op, outPath, ErrUnsupportedPixFmt, err, "frames in %s", r.pixFmt.Name())
	}
	if len(r.o.Burnins) > 0 {
		if r.burn, err = newRenderGraph(ow, oh, r.rc.pixFmt, r.o.FPS, r.burninDesc()); err != nil {
			return nil, newErr(r.op, outPath, ErrUnsupportedPixFmt, err, "burn-ins")
		}
	}
	var slate *videoFilter
	slateIn := black
	if len(r.o.Slate) > 0 {
		if r.o.SlateThumb != "" {
			thumb, err := r.decode(ctx, r.o.SlateThumb)
			if err != nil {
				return nil, err
			}
			defer thumb.Free()
			if thumb.Width() != r.w || thumb.Height() != r.h || thumb.PixelFormat() != r.pixFmt {
				return nil, newErr(r.op, r.o.SlateThumb, ErrInvalidData, nil, "the slate's thumbnail frame is %dx%d %s, the sequence is %dx%d %s",
					thumb.Width(), thumb.Height(), thumb.PixelFormat().Name(), r.w, r.h, r.pixFmt.Name())
			}
			slateIn = thumb
		}
		if slate, err = newRenderGraph(r.w, r.h, r.pixFmt, r.o.FPS, r.slateDesc(isFloat, transfer, r.o.SlateThumb != "")); err != nil {
			return nil, newErr(r.op, outPath, ErrUnsupportedPixFmt, err, "slate")
		}
		defer slate.close()
	}
	r.ctrc = C.CString(transfer)
	defer C.free(unsafe.Pointer(r.ctrc))
	var lead, body int64 // audio samples under the slate and the pictures
	if r.o.Audio != nil {
		slateFrames := int64(0)
		if slate != nil {
			slateFrames = 1
		}
		lead = samplesFor(slateFrames, r.o.FPS)
		body = samplesFor(slateFrames+int64(len(frames)), r.o.FPS) - lead
	}
	if err := r.openOutput(ctx, outPath, cont, transfer, ow, oh, gop, lead, body); err != nil {
		return nil, err
	}

	res := &RenderResult{Path: outPath, Codec: r.o.Codec, Container: cont, Width: ow, Height: oh, PixFmt: r.rc.pixFmt.Name(),
		SourceFmt: r.pixFmt.Name(), FPS: r.o.FPS, Transfer: transfer, Slate: slate != nil}
	if r.audio != nil {
		res.Audio, _ = renderAudioCodec(r.o.Codec)
	}
	var pts int64
	if slate != nil {
		sf := astiav.AllocFrame()
		err := sf.Ref(slateIn)
		for i, line := range r.o.Slate {
			if err == nil {
				err = setMeta(sf, fmt.Sprintf("reel.slate.%d", i), line)
			}
		}
		if err == nil {
			sf.SetPts(pts)
			err = r.filterEncode(slate, sf, false)
		}
		sf.Free()
		if err != nil {
			return nil, err
		}
		pts++
		if err := r.writeAudio(pts); err != nil {
			return nil, err
		}
	}
	var prevHash uint64
	havePrev := false
	if r.piece.Prev != "" {
		// the frame before this piece, for QC only: is the first frame frozen?
		st, err := r.inspect(cur)
		if err != nil {
			return nil, newErr(r.op, r.piece.Prev, ErrUnsupportedPixFmt, err, "QC")
		}
		prevHash, havePrev = st.hash, true
	}
	work := astiav.AllocFrame()
	defer work.Free()
	for i, f := range frames {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		work.Unref()
		switch {
		case f.File == "":
			if err := work.Ref(black); err != nil {
				return nil, newErr(r.op, outPath, nil, err, "black frame")
			}
		default:
			if f.File != curName {
				next, err := r.decode(ctx, f.File)
				if err != nil {
					return nil, err
				}
				cur.Free()
				cur, curName = next, f.File
				if cur.Width() != r.w || cur.Height() != r.h || cur.PixelFormat() != r.pixFmt {
					return nil, newErr(r.op, f.File, ErrInvalidData, nil, "frame %d is %dx%d %s, the sequence is %dx%d %s (first odd frame)",
						f.Number, cur.Width(), cur.Height(), cur.PixelFormat().Name(), r.w, r.h, r.pixFmt.Name())
				}
			}
			if !f.Held {
				st, err := r.inspect(cur)
				if err != nil {
					return nil, newErr(r.op, f.File, ErrUnsupportedPixFmt, err, "QC")
				}
				if st.nan > 0 {
					res.QC.NaN = append(res.QC.NaN, f.Number)
				}
				if st.inf > 0 {
					res.QC.Inf = append(res.QC.Inf, f.Number)
				}
				if st.black {
					res.QC.Black = append(res.QC.Black, f.Number)
				}
				if havePrev && st.hash == prevHash {
					res.QC.Frozen = append(res.QC.Frozen, f.Number)
				}
				prevHash, havePrev = st.hash, true
			}
			if err := work.Ref(cur); err != nil {
				return nil, newErr(r.op, outPath, nil, err, "referencing a frame")
			}
		}
		if len(f.Burnins) != len(r.o.Burnins) {
			return nil, newErr(r.op, outPath, ErrInvalidData, nil, "frame %d has %d burn-in texts for %d positions", f.Number, len(f.Burnins), len(r.o.Burnins))
		}
		for j, text := range f.Burnins {
			if strings.ContainsAny(text, "\x00") {
				return nil, newErr(r.op, outPath, ErrInvalidData, nil, "a burn-in text holds a NUL byte")
			}
			if err := setMeta(work, fmt.Sprintf("reel.burn.%d", j), text); err != nil {
				return nil, newErr(r.op, outPath, nil, err, "burn-in")
			}
		}
		work.SetPts(pts)
		pts++
		if err := r.filterEncode(r.filter, work, true); err != nil {
			return nil, err
		}
		if err := r.writeAudio(pts); err != nil {
			return nil, err
		}
		if r.o.Progress != nil {
			r.o.Progress(i + 1)
		}
	}
	if err := r.enc.SendFrame(nil); err != nil {
		return nil, newErr(r.op, outPath, ErrUnsupportedCodec, err, "flushing the encoder")
	}
	if err := r.drain(); err != nil {
		return nil, err
	}
	if err := r.writeAudio(-1); err != nil {
		return nil, err
	}
	if r.o.StrictQC && !res.QC.Clean() {
		return nil, newErr(r.op, outPath, ErrQCFailed, nil, "%s; no movie written", res.QC)
	}
	size, err := r.out.finish()
	if err != nil {
		return nil, err
	}
	r.out = nil
	res.Frames = int(pts)
	res.Bytes = size
	return res, nil
}

// outSize is the movie's size: the frames' or the one asked for (one zero
// side keeps the aspect), rounded down to the chroma subsampling.
func outSize(w, h, ww, wh int, chroma [2]int) (int, int) {
	switch {
	case ww > 0 && wh > 0:
		w, h = ww, wh
	case ww > 0:
		w, h = ww, int(float64(h)*float64(ww)/float64(w)+0.5)
	case wh > 0:
		w, h = int(float64(w)*float64(wh)/float64(h)+0.5), wh
	}
	w -= w % chroma[0]
	h -= h % chroma[1]
	return max(w, chroma[0]), max(h, chroma[1])
}

// colourDesc is the display transform (float frames) and the LUT.
func (r *renderer) colourDesc(isFloat bool, transfer string) []string {
	var parts []string
	if isFloat && !(r.o.SceneLUT && r.o.LUT != "") {
		// scene-linear BT.709/sRGB primaries to the display's encoding; no
		// tone mapping: values over 1.0 clip
		parts = append(parts, "zscale=tin=linear:t="+transfer+":pin=709:p=709:min=gbr:m=gbr:rin=full:r=full")
	}
	if r.o.LUT != "" {
		parts = append(parts, "lut3d=file="+r.o.LUT+":interp=tetrahedral")
	}
	return parts
}

// pictureDesc is the frames' filter graph: display transform (float
// frames), LUT, then scale and fit into the movie size, converting RGB to
// Y'CbCr (BT.709, limited range). The mask and the burn-ins come after.
func (r *renderer) pictureDesc(isFloat bool, transfer string) string {
	return strings.Join(append(r.colourDesc(isFloat, transfer), r.lay.fitDesc(r.rc.pixFmt.Name())), ",")
}

// burninDesc draws the burn-ins, placed and sized relative to the picture
// (inside letterbox bars; over mask bars).
func (r *renderer) burninDesc() string {
	pf := r.rc.pixFmt.Name()
	var parts []string
	size, margin, border := burninMetrics(r.lay.pic.h)
	for i, pos := range r.o.Burnins {
		x, y := burninXY(pos, margin, r.lay.pic)
		parts = append(parts, fmt.Sprintf("drawtext=fontfile=%s:text='%%{metadata\\:reel.burn.%d}':fontsize=%d:fontcolor=white:box=1:boxcolor=black:boxborderw=%d:x=%s:y=%s",
			r.o.FontFile, i, size, border, x, y))
	}
	return strings.Join(append(parts, "format="+pf), ",")
}

// slateDesc draws the slate's lines on a black frame or, with a
// thumbnail, on a black frame holding the input frame (through the same
// display transform and LUT as the movie) fitted in slateThumbBox, the
// lines under it.
func (r *renderer) slateDesc(isFloat bool, transfer string, thumb bool) string {
	pf := r.rc.pixFmt.Name()
	ow, oh := r.lay.ow, r.lay.oh
	var parts []string
	size, top := max(oh*45/1000, 10), "h/6"
	if thumb {
		b := slateThumbBox(r.w, r.h, ow, oh, r.rc.chroma)
		parts = append(r.colourDesc(isFloat, transfer),
			fmt.Sprintf("scale=%d:%d:flags=bicubic:out_color_matrix=bt709:out_range=tv", b.w, b.h), "format="+pf,
			fmt.Sprintf("pad=%d:%d:%d:%d:color=black", ow, oh, b.x, b.y))
		size, top = max(oh*35/1000, 8), fmt.Sprint(b.y+b.h+oh*4/100)
	} else {
		parts = []string{fmt.Sprintf("scale=%d:%d:out_color_matrix=bt709:out_range=tv", ow, oh), "format=" + pf}
	}
	for i := range r.o.Slate {
		parts = append(parts, fmt.Sprintf("drawtext=fontfile=%s:text='%%{metadata\\:reel.slate.%d}':fontsize=%d:fontcolor=white:x=w/10:y=%s+%d",
			r.o.FontFile, i, size, top, i*size*8/5))
	}
	parts = append(parts, "format="+pf)
	return strings.Join(parts, ",")
}

// burninMetrics are the burn-ins' font size, margin and box border for a
// picture ph high: relative to the picture, so a 4K review reads like an HD one.
func burninMetrics(ph int) (size, margin, border int) {
	return max(ph*3/100, 10), max(ph*2/100, 2), max(ph/200, 2)
}

// burninXY are drawtext's x and y for a position in the picture p.
func burninXY(pos string, m int, p picRect) (string, string) {
	x, y := fmt.Sprint(p.x+m), fmt.Sprint(p.y+m)
	if strings.HasPrefix(pos, "bottom") {
		y = fmt.Sprintf("%d-lh", p.y+p.h-m)
	}
	switch {
	case strings.HasSuffix(pos, "left"):
	case strings.HasSuffix(pos, "right"):
		x = fmt.Sprintf("%d-tw", p.x+p.w-m)
	default:
		x = fmt.Sprintf("%d+(%d-tw)/2", p.x, p.w)
	}
	return x, y
}

// newRenderGraph builds desc fed with w x h frames of pf at rate fps
// (time base 1/fps).
func newRenderGraph(w, h int, pf astiav.PixelFormat, fps Rational, desc string) (*videoFilter, error) {
	tb := astiav.NewRational(fps.Den, fps.Num)
	f := &videoFilter{graph: astiav.AllocFilterGraph(), out: astiav.AllocFrame(), srcTb: tb}
	fail := func(err error) (*videoFilter, error) {
		f.close()
		return nil, err
	}
	args := astiav.FilterArgs{
		"video_size":   fmt.Sprintf("%dx%d", w, h),
		"pix_fmt":      fmt.Sprint(int(pf)),
		"time_base":    tb.String(),
		"pixel_aspect": "1/1",
		"frame_rate":   fmt.Sprintf("%d/%d", fps.Num, fps.Den),
	}
	if err := f.link(args, desc); err != nil {
		return fail(err)
	}
	return f, nil
}

// writeAudio writes the sound up to the start of movie frame n (n < 0:
// all of it).
func (r *renderer) writeAudio(n int64) error {
	if r.audio == nil {
		return nil
	}
	t := -1.0
	if n >= 0 {
		t = float64(n) * float64(r.o.FPS.Den) / float64(r.o.FPS.Num)
	}
	return r.audio.writeUntil(t)
}

// openOutput sets up the encoder and the muxer (a temporary file), and the
// sound (RenderOptions.Audio): lead samples of silence, then body.
func (r *renderer) openOutput(ctx context.Context, outPath, cont, transfer string, ow, oh, gop int, lead, body int64) error {
	codec := astiav.FindEncoderByName(r.rc.encoder)
	if codec == nil {
		return newErr(r.op, outPath, ErrUnsupportedCodec, nil, "encoder %s is not in this FFmpeg build", r.rc.encoder)
	}
	var err error
	if r.out, err = newOutput(r.op, outPath, cont); err != nil {
		return err
	}
	enc := astiav.AllocCodecContext(codec)
	r.enc = enc
	enc.SetWidth(ow)
	enc.SetHeight(oh)
	enc.SetPixelFormat(r.rc.pixFmt)
	enc.SetSampleAspectRatio(astiav.NewRational(1, 1))
	enc.SetTimeBase(astiav.NewRational(r.o.FPS.Den, r.o.FPS.Num))
	enc.SetFramerate(r.o.FPS.av())
	enc.SetThreadCount(r.o.Threads)
	enc.SetGopSize(gop)
	flags := enc.Flags().Add(astiav.CodecContextFlagClosedGop)
	if r.out.globalHeader() {
		flags = flags.Add(astiav.CodecContextFlagGlobalHeader)
	}
	enc.SetFlags(flags)
	dict := astiav.NewDictionary()
	defer dict.Free()
	opts := map[string]string{"color_primaries": "bt709", "color_trc": transfer, "colorspace": "bt709", "color_range": "tv"}
	for k, v := range r.rc.opts {
		opts[k] = v
	}
	for k, v := range opts {
		if err := dict.Set(k, v, 0); err != nil {
			return newErr(r.op, outPath, ErrUnsupportedCodec, err, "encoder option %s=%s", k, v)
		}
	}
	if err := enc.Open(codec, dict); err != nil {
		return newErr(r.op, outPath, ErrUnsupportedCodec, err, "cannot open encoder %s (%dx%d %s)", r.rc.encoder, ow, oh, r.rc.pixFmt.Name())
	}
	if left := dict.Get("", nil, astiav.NewDictionaryFlags(astiav.DictionaryFlagIgnoreSuffix)); left != nil {
		return newErr(r.op, outPath, ErrUnsupportedCodec, nil, "encoder %s does not know option %s=%s", r.rc.encoder, left.Key(), left.Value())
	}
	r.ost = r.out.fc.NewStream(nil)
	if r.ost == nil {
		return newErr(r.op, outPath, ErrOutputUnwritable, nil, "cannot add a stream")
	}
	if err := r.ost.CodecParameters().FromCodecContext(enc); err != nil {
		return newErr(r.op, outPath, ErrUnsupportedCodec, err, "copying encoder parameters")
	}
	r.out.setCodecTag(r.ost.CodecParameters())
	r.ost.SetTimeBase(enc.TimeBase())
	r.ost.SetAvgFrameRate(r.o.FPS.av())
	if r.o.Audio != nil {
		if r.audio, err = newRenderAudio(ctx, r.op, *r.o.Audio, r.out, r.o.Codec, lead, body); err != nil {
			return err
		}
	}
	if err := r.out.start(); err != nil {
		return err
	}
	r.opkt = astiav.AllocPacket()
	return nil
}

// filterEncode pushes one frame through g and encodes what comes out; a
// picture (not the slate) gets the mask and the burn-ins.
func (r *renderer) filterEncode(g *videoFilter, f *astiav.Frame, picture bool) error {
	out, err := g.apply(f)
	if err != nil {
		return newErr(r.op, r.out.path, ErrUnsupportedPixFmt, err, "filtering")
	}
	if picture {
		if err := applyMask(out, r.lay.mask, r.maskOpacity(), r.rc.chroma, r.rc.depth()); err != nil {
			return newErr(r.op, r.out.path, ErrUnsupportedPixFmt, err, "mask")
		}
		if r.burn != nil {
			if out, err = r.burn.apply(out); err != nil {
				return newErr(r.op, r.out.path, ErrUnsupportedPixFmt, err, "burn-ins")
			}
		}
	}
	out.SetPictureType(astiav.PictureTypeNone)
	// prores_ks writes the frame's colour description into each frame
	// header, which is what players (and ffprobe) read: tag what was applied
	if C.reel_frame_tag(cframe(out), r.ctrc) < 0 {
		return newErr(r.op, r.out.path, nil, nil, "unknown transfer")
	}
	if err := r.enc.SendFrame(out); err != nil {
		return newErr(r.op, r.out.path, ErrUnsupportedCodec, err, "encoding")
	}
	return r.drain()
}

func (r *renderer) drain() error {
	for {
		err := r.enc.ReceivePacket(r.opkt)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return newErr(r.op, r.out.path, ErrUnsupportedCodec, err, "encoding")
		}
		if r.opkt.Duration() <= 0 {
			r.opkt.SetDuration(1)
		}
		r.opkt.SetStreamIndex(r.ost.Index())
		r.opkt.RescaleTs(r.enc.TimeBase(), r.ost.TimeBase())
		if err := r.out.write(r.opkt); err != nil {
			return err
		}
	}
}

// frameStats is what QC learns from one decoded frame.
type frameStats struct {
	nan, inf int64
	black    bool
	hash     uint64
}

// inspect counts NaN/Inf and black samples and hashes the pixels.
func (r *renderer) inspect(f *astiav.Frame) (frameStats, error) {
	var st frameStats
	var nan, inf, dark, total C.int64_t
	if C.reel_frame_stats(cframe(f), C.double(blackFloat), C.double(blackFrac), &nan, &inf, &dark, &total) < 0 {
		return st, fmt.Errorf("cannot read %s samples", f.PixelFormat().Name())
	}
	st.nan, st.inf = int64(nan), int64(inf)
	st.black = total > 0 && float64(dark) >= blackRatio*float64(total)
	var bytes, rows [4]C.int
	n := int(C.reel_plane_bytes(C.int(f.PixelFormat()), C.int(f.Width()), C.int(f.Height()), &bytes[0], &rows[0]))
	if n < 0 {
		return st, fmt.Errorf("cannot hash %s", f.PixelFormat().Name())
	}
	var h maphash.Hash
	h.SetSeed(r.seed)
	for i := 0; i < n; i++ {
		plane, ls := framePlane(f, i, int(rows[i]))
		for y := 0; y < int(rows[i]); y++ {
			h.Write(plane[y*ls : y*ls+int(bytes[i])])
		}
	}
	st.hash = h.Sum64()
	return st, nil
}

// zeroFrame clears every plane: black for the RGB and gray formats image
// decoders give.
func zeroFrame(f *astiav.Frame) error {
	var bytes, rows [4]C.int
	n := int(C.reel_plane_bytes(C.int(f.PixelFormat()), C.int(f.Width()), C.int(f.Height()), &bytes[0], &rows[0]))
	if n < 0 {
		return errors.New("unknown pixel format")
	}
	for i := 0; i < n; i++ {
		plane, _ := framePlane(f, i, int(rows[i]))
		clear(plane)
	}
	return nil
}

// decode reads and decodes one image file into a new frame.
func (r *renderer) decode(ctx context.Context, name string) (*astiav.Frame, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))
	id, ok := imageCodecs[ext]
	if !ok {
		return nil, newErr(r.op, name, ErrUnsupportedCodec, nil, "not an image sequence frame (want .exr, .dpx, .tif, .tiff or .png)")
	}
	data, err := r.files.ReadFile(ctx, name)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, newErr(r.op, name, nil, err, "cannot read the frame")
	}
	if len(data) == 0 {
		return nil, newErr(r.op, name, ErrEmpty, nil, "the frame file is empty")
	}
	if id == astiav.CodecIDExr {
		if truncated, err := checkEXR(data); err != nil {
			kind := ErrInvalidData
			if truncated {
				kind = ErrTruncated
			}
			return nil, newErr(r.op, name, kind, nil, "%v", err)
		}
	}
	// a fresh decoder for every image: FFmpeg's image decoders keep state
	// from one picture to the next (the PNG decoder's previous frame for
	// APNG), which changed a frame's pixels by what was decoded before it
	codec := astiav.FindDecoder(id)
	if codec == nil {
		return nil, newErr(r.op, name, ErrUnsupportedCodec, nil, "no %s decoder in this FFmpeg build", ext)
	}
	dec := astiav.AllocCodecContext(codec)
	defer dec.Free()
	dec.SetThreadCount(r.o.Threads)
	dec.SetThreadType(astiav.ThreadTypeSlice) // frame threads would hold frames back
	if err := dec.Open(codec, nil); err != nil {
		return nil, newErr(r.op, name, ErrUnsupportedCodec, err, "opening the %s decoder", ext)
	}
	if r.pkt == nil {
		r.pkt = astiav.AllocPacket()
	}
	r.pkt.Unref()
	if err := r.pkt.FromData(data); err != nil {
		return nil, newErr(r.op, name, nil, err, "packet")
	}
	f := astiav.AllocFrame()
	err = dec.SendPacket(r.pkt)
	if err == nil {
		err = dec.ReceiveFrame(f)
	}
	if err != nil {
		f.Free()
		return nil, newErr(r.op, name, ErrInvalidData, err, "cannot decode the %s frame (truncated or corrupt)", ext)
	}
	if C.reel_frame_decode_errors_r(cframe(f)) != 0 {
		f.Free()
		return nil, newErr(r.op, name, ErrTruncated, nil, "the %s frame decodes with errors (truncated or corrupt)", ext)
	}
	return f, nil
}

type renderer struct {
	op    string
	files FrameFiles
	o     RenderOptions
	rc    renderCodec
	pkt   *astiav.Packet
	// the sequence's size and format, from the first frame read
	w, h   int
	pixFmt astiav.PixelFormat
	filter *videoFilter
	burn   *videoFilter // burn-ins; nil without
	audio  *renderAudio // nil without
	lay    renderLayout
	enc    *astiav.CodecContext
	out    *output
	ost    *astiav.Stream
	opkt   *astiav.Packet
	seed   maphash.Seed
	ctrc   *C.char // the transfer tagged on every frame
	piece  RenderPieceOptions
}

func (r *renderer) close() {
	if r.pkt != nil {
		r.pkt.Free()
	}
	if r.opkt != nil {
		r.opkt.Free()
	}
	if r.filter != nil {
		r.filter.close()
	}
	if r.burn != nil {
		r.burn.close()
	}
	if r.audio != nil {
		r.audio.close()
	}
	if r.enc != nil {
		r.enc.Free()
	}
	if r.out != nil {
		r.out.abort()
	}
}
