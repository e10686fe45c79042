package encode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/asticode/go-astiav"

	"github.com/reelmedia/reel/media"
)

// DecodeOptions selects the frames to decode and how to deliver them.
type DecodeOptions struct {
	// Start and End select the frame range [Start, End); End 0 means to the
	// end. Decoding is frame-exact: it seeks to the keyframe before Start and
	// drops the pre-roll.
	Start int64 `json:"start,omitempty"`
	End   int64 `json:"end,omitempty"`
	// Width and Height scale the frames (0 = source size; one 0 keeps the
	// aspect ratio, rounded to an even number).
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Scaler is the swscale algorithm: bicubic (default), bilinear,
	// fast_bilinear, neighbor, area, lanczos, spline, gauss, sinc. An area
	// downscale by exactly 2 or 4 on both axes, keeping the pixel format (8
	// bits; 9 to 12 with AVX2), is done by reel's own box filter: the exact
	// rounded mean of each block, where swscale's fixed point is off by one
	// on about 5% of samples, at a tenth of its cost. With 8-bit H.264 and
	// Threads 1 it scales each band of rows as the decoder finishes it, in
	// cache.
	Scaler string `json:"scaler,omitempty"`
	// PixFmt is the output pixel format. "" keeps the source format when
	// media.Format can describe it (yuv420p/422p/444p at 8, 10, 12 or 16 bits,
	// gray), else converts to yuv420p, or yuv420p10le for deeper sources.
	PixFmt string `json:"pix_fmt,omitempty"`
	// Threads for the decoder; 0 = one per core.
	Threads int `json:"threads,omitempty"`
	// Fast skips the codec's in-loop deblocking filter (FFmpeg's
	// skip_loop_filter=all). Frames come out slightly blockier than a normal
	// decode but cost a third less CPU for H.264: right for analyses that look
	// at cuts, black or frozen pictures, wrong for quality metrics, which must
	// see exactly what a player shows. Ignored by the encoders.
	Fast bool `json:"fast,omitempty"`
}

// decoder yields the decoded frames [start, end) of the first video stream
// with their source frame indices. It is the shared front of FrameReader
// and the encoders.
type decoder struct {
	op    string
	d     *demuxer
	st    *astiav.Stream
	dec   *astiav.CodecContext
	codec *astiav.Codec
	pkt   *astiav.Packet
	frame *astiav.Frame

	info     *Info
	tb       astiav.Rational // stream time base
	frameTb  astiav.Rational // 1/fps
	t0       int64           // stream start time in tb
	start    int64
	end      int64 // 0 = to the end
	threads  int
	fast     bool  // skip the in-loop filter (DecodeOptions.Fast)
	seekBack int64 // frames before start the last seek aimed at

	last    int64 // index of the last frame returned, -1 before the first
	counted int64 // frames seen, for inputs without timestamps
	drained bool
	done    bool
	// skipToKey drops the packets a seek lands on before the first
	// keyframe (MPEG-TS seeks by timestamp, not to keyframes): decoding
	// them only makes broken pre-roll frames and decoder errors on stderr.
	// It gives up after skipLimit packets (a stream that flags none).
	skipToKey bool
	skipped   int
	// bands, when set, box-scales pictures as they are decoded (box.go);
	// it is attached again to every codec context openCodec makes.
	bands *bands
}

// skipLimit is how many packets after a seek skipToKey drops at most.
const skipLimit = 1000

// openDecoder opens in and positions it so that next returns frame start.
func openDecoder(ctx context.Context, op string, in Input, start, end int64, threads int, fast bool) (*decoder, error) {
	d, err := openDemuxer(ctx, op, in)
	if err != nil {
		return nil, err
	}
	x := &decoder{op: op, d: d, start: start, end: end, threads: threads, fast: fast, last: -1}
	if err := x.init(ctx); err != nil {
		x.close()
		return nil, err
	}
	return x, nil
}

func (x *decoder) init(ctx context.Context) error {
	x.info = describe(x.d)
	if !x.info.HasVideo {
		return newErr(x.op, x.d.name, ErrNoVideo, nil, "no video stream")
	}
	x.st = x.d.fc.Streams()[x.info.Index]
	x.tb = x.st.TimeBase()
	fps := x.info.FrameRate.av()
	x.frameTb = astiav.NewRational(fps.Den(), fps.Num())
	x.t0 = x.st.StartTime()
	if x.t0 == astiav.NoPtsValue {
		x.t0 = 0
	}
	if x.start < 0 || (x.end != 0 && x.end <= x.start) {
		return x.rangeErr()
	}
	if n := x.info.FrameCount; n > 0 && (x.start >= n || x.end > n) {
		return x.rangeErr()
	}
	x.codec = astiav.FindDecoder(x.st.CodecParameters().CodecID())
	if x.codec == nil {
		return newErr(x.op, x.d.name, ErrUnsupportedCodec, nil, "no decoder for codec %s", x.info.Codec)
	}
	x.pkt = astiav.AllocPacket()
	x.frame = astiav.AllocFrame()
	if x.start > 0 {
		x.seekBack = 0
		if err := x.seek(); err != nil {
			return err
		}
	}
	return x.openCodec()
}

func (x *decoder) rangeErr() error {
	count := "?"
	if x.info != nil && x.info.FrameCount > 0 {
		count = strconv.FormatInt(x.info.FrameCount, 10)
	}
	end := "end"
	if x.end != 0 {
		end = strconv.FormatInt(x.end, 10)
	}
	return newErr(x.op, x.d.name, ErrRangeOutOfBounds, nil, "frame range %d:%s outside the clip (0:%s)", x.start, end, count)
}

// openCodec (re)creates the decoder: go-astiav has no avcodec_flush_buffers,
// so a decoder is never reused across a seek.
func (x *decoder) openCodec() error {
	if x.dec != nil {
		x.dec.Free()
	}
	x.dec = astiav.AllocCodecContext(x.codec)
	if err := x.st.CodecParameters().ToCodecContext(x.dec); err != nil {
		return newErr(x.op, x.d.name, ErrInvalidData, err, "bad codec parameters")
	}
	// avcodec_parameters_to_context does not set the time base.
	x.dec.SetTimeBase(x.tb)
	x.dec.SetThreadCount(x.threads) // 0 = auto; libavcodec's default is 1
	var opts *astiav.Dictionary
	if x.fast {
		opts = astiav.NewDictionary()
		defer opts.Free()
		if err := opts.Set("skip_loop_filter", "all", 0); err != nil {
			return newErr(x.op, x.d.name, ErrUnsupportedCodec, err, "cannot set skip_loop_filter")
		}
	}
	if err := x.dec.Open(x.codec, opts); err != nil {
		return newErr(x.op, x.d.name, ErrUnsupportedCodec, err, "cannot open decoder %s", x.codec.Name())
	}
	if x.bands != nil {
		x.bands.attach(x.dec)
	}
	x.drained = false
	return nil
}

// seek positions the demuxer on a keyframe at or before start-seekBack.
func (x *decoder) seek() error {
	target := x.start - x.seekBack
	if target < 0 {
		target = 0
	}
	ts := x.t0 + astiav.RescaleQ(target, x.frameTb, x.tb)
	if err := x.d.fc.SeekFrame(x.st.Index(), ts, astiav.NewSeekFlags(astiav.SeekFlagBackward)); err != nil {
		if target == 0 {
			// unseekable input: decode from where we are
			return nil
		}
		return newErr(x.op, x.d.name, ErrInvalidData, err, "cannot seek to frame %d", target)
	}
	x.skipToKey, x.skipped = true, 0
	return nil
}

// index maps a frame's timestamp to its source frame index (constant frame
// rate); inputs without timestamps count frames.
func (x *decoder) index(f *astiav.Frame) int64 {
	pts := frameBestEffortTimestamp(f)
	if pts == astiav.NoPtsValue {
		pts = f.Pts()
	}
	if pts == astiav.NoPtsValue {
		return x.counted
	}
	return astiav.RescaleQRnd(pts-x.t0, x.tb, x.frameTb, astiav.RoundingNearInf)
}

// next returns the next frame of the range and its index, io.EOF after the
// last. The frame belongs to the decoder and is valid until the next call.
func (x *decoder) next(ctx context.Context) (*astiav.Frame, int64, error) {
	x.frame.Unref()
	for {
		if x.done {
			return nil, 0, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		err := x.dec.ReceiveFrame(x.frame)
		switch {
		case err == nil:
			idx := x.index(x.frame)
			x.counted++
			if idx < x.start {
				x.frame.Unref()
				continue
			}
			if x.last < 0 && idx > x.start && x.start > 0 {
				// the seek landed after the target (inputs without an index):
				// go back further and start again with a fresh decoder
				x.frame.Unref()
				if x.seekBack > x.start {
					return nil, 0, newErr(x.op, x.d.name, ErrInvalidData, nil, "cannot reach frame %d (first decodable frame is %d)", x.start, idx)
				}
				x.seekBack = max(2*x.seekBack, int64(x.info.FPS*2)+1)
				if err := x.seek(); err != nil {
					return nil, 0, err
				}
				if err := x.openCodec(); err != nil {
					return nil, 0, err
				}
				continue
			}
			if idx <= x.last {
				idx = x.last + 1 // timestamps that round onto the previous frame
			}
			if x.end != 0 && idx >= x.end {
				x.frame.Unref()
				x.done = true
				return nil, 0, io.EOF
			}
			x.last = idx
			return x.frame, idx, nil
		case errors.Is(err, astiav.ErrEof):
			x.done = true
			if x.end != 0 && x.last+1 < x.end || x.last < x.start {
				if x.info.FrameCount == 0 || x.last+1 > x.info.FrameCount {
					x.info.FrameCount = x.last + 1
				}
				return nil, 0, x.rangeErr()
			}
			return nil, 0, io.EOF
		case errors.Is(err, astiav.ErrEagain):
			if err := x.feed(ctx); err != nil {
				return nil, 0, err
			}
		default:
			return nil, 0, newErr(x.op, x.d.name, ErrInvalidData, err, "decoding failed")
		}
	}
}

// feed sends the next video packet (or the end-of-stream flush) to the decoder.
func (x *decoder) feed(ctx context.Context) error {
	if x.drained {
		return nil
	}
	for {
		if err := x.d.fc.ReadFrame(x.pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				x.drained = true
				if err := x.dec.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
					return newErr(x.op, x.d.name, ErrInvalidData, err, "flushing the decoder")
				}
				return nil
			}
			return x.d.readErr(ctx, x.op, err)
		}
		if x.pkt.StreamIndex() != x.st.Index() {
			x.pkt.Unref()
			continue
		}
		if err := x.d.checkPacket(x.op, x.pkt); err != nil {
			x.pkt.Unref()
			return err
		}
		if x.skipToKey {
			if !x.pkt.Flags().Has(astiav.PacketFlagKey) && x.skipped < skipLimit {
				x.skipped++
				x.pkt.Unref()
				continue
			}
			x.skipToKey = false
		}
		err := x.dec.SendPacket(x.pkt)
		x.pkt.Unref()
		if err != nil && !errors.Is(err, astiav.ErrEagain) {
			if errors.Is(err, astiav.ErrInvaliddata) {
				continue // a damaged packet: the decoder conceals it and goes on
			}
			return newErr(x.op, x.d.name, ErrInvalidData, err, "decoding failed")
		}
		return nil
	}
}

func (x *decoder) close() {
	if x == nil {
		return
	}
	if x.dec != nil {
		x.dec.Free()
		x.dec = nil
	}
	x.bands.free()
	x.bands = nil
	if x.pkt != nil {
		x.pkt.Free()
		x.pkt = nil
	}
	if x.frame != nil {
		x.frame.Free()
		x.frame = nil
	}
	x.d.close()
}

// FrameReader delivers decoded frames as media.Frame values. It implements
// media.FrameReader. It is not safe for concurrent use.
type FrameReader struct {
	x      *decoder
	filter *videoFilter
	box    int       // 2 or 4: downscale by box means instead of filter
	boxPix [3][]byte // the box-scaled planes
	format media.Format
	out    media.Frame
	fps    float64
}

// OpenFrames opens in for frame-exact decoding of opts' range. The frames'
// planes point into FFmpeg's buffers and stay valid until the next ReadFrame.
func OpenFrames(ctx context.Context, in Input, opts DecodeOptions) (*FrameReader, error) {
	x, err := openDecoder(ctx, "decode", in, opts.Start, opts.End, opts.Threads, opts.Fast)
	if err != nil {
		return nil, err
	}
	r := &FrameReader{x: x, fps: x.info.FPS}
	if err := r.setup(opts); err != nil {
		x.close()
		return nil, err
	}
	return r, nil
}

func (r *FrameReader) setup(opts DecodeOptions) error {
	v := r.x.info.Video()
	var target string
	switch {
	case opts.PixFmt != "":
		pf := astiav.FindPixelFormatByName(opts.PixFmt)
		_, f, ok := pixFmtInfo(pf)
		if pf == astiav.PixelFormatNone || !ok {
			return newErr("decode", r.x.d.name, ErrUnsupportedPixFmt, nil, "pixel format %q cannot be delivered as a media.Frame", opts.PixFmt)
		}
		r.format = f
		target = pf.Name()
	case v.Supported:
		r.format = v.Format
		target = v.PixFmt
	case v.BitDepth > 8:
		r.format = media.Format{Chroma: media.Chroma420, BitDepth: 10}
		target = "yuv420p10le"
	default:
		r.format = media.Format{Chroma: media.Chroma420, BitDepth: 8}
		target = "yuv420p"
	}
	w, h, err := outputSize(v.Width, v.Height, opts.Width, opts.Height)
	if err != nil {
		return newErr("decode", r.x.d.name, ErrRangeOutOfBounds, err, "bad size")
	}
	if w == v.Width && h == v.Height && target == v.PixFmt {
		return nil // frames go out as decoded
	}
	if k := boxFactor(v.Width, v.Height, w, h); k > 0 && opts.Scaler == "area" && target == v.PixFmt && boxDepthOK(r.format.BitDepth) {
		cw, ch := r.format.Chroma.ChromaSize(v.Width, v.Height)
		ow, oh := r.format.Chroma.ChromaSize(w, h)
		if r.format.Chroma == media.Chroma400 || boxFactor(cw, ch, ow, oh) == k {
			r.box = k
			// H.264 with one thread can hand over each band of rows as
			// it is finished, to be scaled while still in cache.
			if r.x.codec.ID() == astiav.CodecIDH264 && r.x.threads == 1 && r.format.BitDepth == 8 {
				if b := newBands(k, v.Width, v.Height, astiav.FindPixelFormatByName(v.PixFmt), r.format); b != nil {
					r.x.bands = b
					b.attach(r.x.dec)
				}
			}
			return nil
		}
	}
	r.filter, err = newVideoFilter(r.x, filterSpec{width: w, height: h, scaler: opts.Scaler, pixFmt: target})
	if err != nil {
		return newErr("decode", r.x.d.name, ErrUnsupportedPixFmt, err, "cannot convert %s %dx%d to %s %dx%d", v.PixFmt, v.Width, v.Height, target, w, h)
	}
	return nil
}

// Info describes the input.
func (r *FrameReader) Info() *Info { return r.x.info }

// ReadFrame returns the next frame, io.EOF after the last one of the range.
func (r *FrameReader) ReadFrame(ctx context.Context) (*media.Frame, error) {
	f, idx, err := r.x.next(ctx)
	if err != nil {
		return nil, err
	}
	if r.filter != nil {
		if f, err = r.filter.apply(f); err != nil {
			return nil, newErr("decode", r.x.d.name, ErrUnsupportedPixFmt, err, "filtering frame %d", idx)
		}
	}
	if f.PixelFormat() != astiav.FindPixelFormatByName(r.format.String()) {
		if _, ff, ok := pixFmtInfo(f.PixelFormat()); !ok || ff != r.format {
			return nil, newErr("decode", r.x.d.name, ErrUnsupportedPixFmt, nil, "frame %d has pixel format %s, expected %s", idx, f.PixelFormat().Name(), r.format)
		}
	}
	out := &r.out
	out.Index = idx
	out.PTS = float64(idx) / r.fps
	out.Format = r.format
	out.Width, out.Height = f.Width(), f.Height()
	if r.box > 0 {
		// The factor was chosen for the stream's size; a frame of another
		// size (a mid-stream change) would not fit it.
		if v := r.x.info.Video(); out.Width != v.Width || out.Height != v.Height {
			return nil, newErr("decode", r.x.d.name, ErrInvalidData, nil, "frame %d is %dx%d, the stream %dx%d", idx, out.Width, out.Height, v.Width, v.Height)
		}
		out.Width, out.Height = out.Width/r.box, out.Height/r.box
	}
	out.Color = frameColor(f)
	out.Planes = out.Planes[:0]
	if r.x.bands != nil { // set only with r.box
		var ok bool
		if out.Planes, ok = r.x.bands.take(f, out.Planes); ok {
			return out, nil
		}
	}
	n := 3
	if r.format.Chroma == media.Chroma400 {
		n = 1
	}
	for i := 0; i < n; i++ {
		pw, ph := out.Width, out.Height
		if i > 0 {
			pw, ph = r.format.Chroma.ChromaSize(out.Width, out.Height)
		}
		k := max(r.box, 1)
		pix, stride := framePlane(f, i, ph*k)
		if pix == nil {
			return nil, newErr("decode", r.x.d.name, ErrInvalidData, nil, "frame %d has no plane %d", idx, i)
		}
		pl := media.Plane{Pix: pix, Stride: stride, Width: pw, Height: ph, BitDepth: r.format.BitDepth}
		if r.box > 0 {
			src := pl
			src.Width, src.Height = pw*k, ph*k
			bps := r.format.BytesPerSample()
			if n := pw * ph * bps; cap(r.boxPix[i]) < n {
				r.boxPix[i] = make([]byte, n)
			}
			pl.Pix, pl.Stride = r.boxPix[i][:pw*ph*bps], pw*bps
			if err := boxDown(pl, src, k, true); err != nil {
				return nil, newErr("decode", r.x.d.name, ErrInvalidData, err, "frame %d, plane %d", idx, i)
			}
		}
		out.Planes = append(out.Planes, pl)
	}
	return out, nil
}

// Close releases FFmpeg's resources.
func (r *FrameReader) Close() error {
	if r.filter != nil {
		r.filter.close()
		r.filter = nil
	}
	r.x.close()
	return nil
}

var _ media.FrameReader = (*FrameReader)(nil)

// outputSize resolves a requested size against the source: both 0 keeps the
// source; one 0 keeps the aspect ratio and rounds that side to an even number;
// both given are used as they are, rounded up to even numbers (4:2:0 needs
// even sizes).
func outputSize(sw, sh, w, h int) (int, int, error) {
	if w < 0 || h < 0 {
		return 0, 0, fmt.Errorf("negative size %dx%d", w, h)
	}
	even := func(v int) int { return max(2, (v+1)&^1) }
	switch {
	case w == 0 && h == 0:
		return sw, sh, nil
	case w == 0:
		return even(int(float64(sw)*float64(h)/float64(sh) + 0.5)), even(h), nil
	case h == 0:
		return even(w), even(int(float64(sh)*float64(w)/float64(sw) + 0.5)), nil
	}
	return even(w), even(h), nil
}
