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
	// Strict refuses a damaged source (ErrTruncated, ErrInvalidData)
	// instead of decoding what is there and listing the problems
	// (FrameReader.Problems).
	Strict bool `json:"strict,omitempty"`
	// Deinterlace is the deinterlacer, bwdif or yadif ("" = none), as
	// Profile.Deinterlace: a reference for scoring an encode sees the
	// frames the encoder saw.
	Deinterlace string `json:"deinterlace,omitempty"`
	// FPS converts the range to a constant rate with the fps filter, as
	// Profile.FPS does (zero keeps the source's frames): the frames an
	// EncodeRange of the same range with that FPS encodes, in its order,
	// so a converted chunk can be scored against its reference frame by
	// frame. Frame.Index counts output frames from the source's start.
	FPS Rational `json:"fps,omitempty"`
}

// decoder yields the decoded frames [start, end) of the first video stream
// with their source frame indices. It is the shared front of FrameReader
// and the encoders.
type decoder struct {
	op    string
	in    Input
	d     *demuxer
	st    *astiav.Stream
	dec   *astiav.CodecContext
	codec *astiav.Codec
	pkt   *astiav.Packet
	frame *astiav.Frame

	info     *Info
	ix       *frameIndex
	tb       astiav.Rational // stream time base
	frameTb  astiav.Rational // 1/fps
	t0       int64           // stream start time in tb
	start    int64
	end      int64 // 0 = to the end
	threads  int
	fast     bool  // skip the in-loop filter (DecodeOptions.Fast)
	strict   bool  // refuse damage instead of repairing it
	seekBack int64 // frames before start the last seek aimed at

	// A counted index numbers the decoder's output: decoded is the next
	// decoded frame's position in ix.shown; verify holds the seek point
	// whose keyframe must be the first packet read after a seek.
	decoded int64
	verify  *seekPoint
	un      *unpacker
	queue   []*astiav.Packet // unpacked packets waiting for the decoder

	// Repeats: hold is the last frame delivered (or decoded before start),
	// shown again for the frame numbers up to repeatTo; stash is a decoded
	// frame waiting behind those repeats, for frame stashIdx.
	hold     *astiav.Frame
	holdIdx  int64
	repeatTo int64
	stash    *astiav.Frame
	stashIdx int64
	stashed  bool
	missing  int64 // frames the decoder did not deliver, repeated
	damaged  int64 // frames of the range the decoder flagged as concealed

	// serial: the decoder runs on one thread. A threaded decode that
	// meets damage (a concealed frame, a frame not delivered, a packet
	// refused) starts again on one thread from the range's start
	// (restartSerial): with frame threads, which frames are flagged or
	// dropped depends on timing, so the problem list would vary from run
	// to run. resume is the first frame not yet delivered before that
	// restart; the frames before it are decoded again but not delivered.
	serial  bool
	resume  int64
	suspect bool // a packet was refused as invalid data

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
	// deint, when set, deinterlaces the frames next returns (interlace.go).
	deint *deinterlacer
}

// skipLimit is how many packets after a seek skipToKey drops at most.
const skipLimit = 1000

// openDecoder opens in and positions it so that next returns frame start.
func openDecoder(ctx context.Context, op string, in Input, start, end int64, threads int, fast, strict bool) (*decoder, error) {
	d, err := openDemuxer(ctx, op, in)
	if err != nil {
		return nil, err
	}
	x := &decoder{op: op, in: in, d: d, start: start, end: end, threads: threads, fast: fast, strict: strict, last: -1, holdIdx: -1,
		hold: astiav.AllocFrame(), stash: astiav.AllocFrame(), serial: threads == 1}
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
	ix, err := givenIndex(x.op, x.in, x.d, x.info)
	if ix == nil && err == nil {
		ix, _, err = buildIndex(ctx, x.d, x.info, false)
	}
	if errors.Is(err, errScan) {
		if ix, err = scanIndex(ctx, x.op, x.d, x.info, x.strict); err == nil {
			err = x.rewind(ctx)
		}
	}
	if err == nil && x.strict {
		err = ix.refuse(x.op, x.d.name)
	}
	if err != nil {
		return err
	}
	x.ix = ix
	if ix.count > 0 {
		x.info.FrameCount = ix.count
		x.info.setDuration()
	}
	x.st = x.d.fc.Streams()[x.info.Index]
	x.tb = x.st.TimeBase()
	fps := x.info.FrameRate.av()
	x.frameTb = astiav.NewRational(fps.Den(), fps.Num())
	x.t0 = ix.t0
	if ix.unpack {
		if x.un, err = newUnpacker(x.st); err != nil {
			return newErr(x.op, x.d.name, nil, err, "mpeg4_unpack_bframes")
		}
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

// rewind opens the input again, to read it from the start.
func (x *decoder) rewind(ctx context.Context) error {
	d, err := openDemuxer(ctx, x.op, x.in)
	if err != nil {
		return err
	}
	x.d.close()
	x.d = d
	if x.info != nil && x.st != nil {
		x.st = x.d.fc.Streams()[x.info.Index]
	}
	return nil
}

// seekFurther starts the range again from further back, with a fresh
// decoder: the last seek landed after the target, or after the last
// keyframe before it. Each call doubles the distance (at least two
// seconds).
func (x *decoder) seekFurther() error {
	x.seekBack = max(2*x.seekBack, int64(x.info.FPS*2)+1)
	if err := x.seek(); err != nil {
		return err
	}
	return x.openCodec()
}

// seek positions the demuxer on a keyframe at or before start-seekBack.
func (x *decoder) seek() error {
	target := x.start - x.seekBack
	if target < 0 {
		target = 0
	}
	x.holdIdx = -1
	x.resetUnpacker()
	if x.ix.counted {
		sp := x.ix.seekFor(target)
		x.verify, x.decoded = &sp, sp.decoded
		idx, ts, flags := x.st.Index(), sp.dts, astiav.NewSeekFlags(astiav.SeekFlagBackward)
		if x.ix.byteSeek {
			idx, ts, flags = -1, sp.pos, astiav.NewSeekFlags(astiav.SeekFlagByte)
		}
		if err := x.d.fc.SeekFrame(idx, ts, flags); err != nil {
			return newErr(x.op, x.d.name, ErrInvalidData, err, "cannot seek to frame %d", sp.frame)
		}
		return nil
	}
	if f := x.d.fc.InputFormat(); target == 0 && f != nil && f.Name() == "mpegts" {
		// the start of the file: MPEG-TS seeks by decode time and lands on
		// the packet whose dts is frame 0's pts, after the first keyframe
		// when frames are reordered; a byte seek does not
		if err := x.d.fc.SeekFrame(x.st.Index(), 0, astiav.NewSeekFlags(astiav.SeekFlagByte)); err == nil {
			x.skipToKey, x.skipped = true, 0
			return nil
		}
	}
	ts := x.ix.ptsOf(target)
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

// index is the frame number of a decoded frame: by its timestamp through
// the index, or for a counted index by its place in the decoder's output;
// inputs without timestamps count frames.
func (x *decoder) index(f *astiav.Frame) int64 {
	if x.ix.counted {
		k := x.decoded
		x.decoded++
		if n := int64(len(x.ix.shown)); k >= n {
			return x.ix.shown[n-1] + k - n + 1 // more than the scan saw
		}
		return x.ix.shown[k]
	}
	pts := frameBestEffortTimestamp(f)
	if pts == astiav.NoPtsValue {
		pts = f.Pts()
	}
	if pts == astiav.NoPtsValue {
		return x.counted
	}
	return x.ix.frameAt(pts)
}

// resetUnpacker starts the packet unpacking afresh (after a seek).
func (x *decoder) resetUnpacker() {
	for _, p := range x.queue {
		p.Free()
	}
	x.queue = nil
	if x.un == nil {
		return
	}
	x.un.free()
	x.un, _ = newUnpacker(x.st) // it worked at init
}

// emit delivers the decoded frame x.frame as frame idx, and holds on to it
// for repeats.
func (x *decoder) emit(idx int64) (*astiav.Frame, int64, error) {
	if x.end != 0 && idx >= x.end {
		x.frame.Unref()
		x.done = true
		return nil, 0, io.EOF
	}
	x.last = idx
	x.keep(x.frame, idx)
	return x.frame, idx, nil
}

// keep makes f the frame repeats show.
func (x *decoder) keep(f *astiav.Frame, idx int64) {
	x.hold.Unref()
	if err := x.hold.Ref(f); err == nil {
		x.holdIdx = idx
	} else {
		x.holdIdx = -1
	}
}

// repeatUntil queues repeats of the held frame up to idx (exclusive) and
// stashes x.frame as frame idx behind them. Outside a counted index's own
// repeats these are frames the decoder did not deliver: damage, refused
// when strict.
func (x *decoder) repeatUntil(idx int64, expected bool) error {
	if !expected {
		if x.strict {
			x.frame.Unref()
			return newErr(x.op, x.d.name, ErrInvalidData, nil, "frame %d is missing: the decoder gave frame %d next (timestamps have gaps)", x.last+1, idx)
		}
		x.missing += idx - x.last - 1
	}
	x.repeatTo = idx
	x.stash.Unref()
	x.stash.MoveRef(x.frame)
	x.stashIdx, x.stashed = idx, true
	return nil
}

// problems lists what decoding found wrong, after the index's problems.
func (x *decoder) problems() []Problem {
	out := append([]Problem(nil), x.ix.problems...)
	if x.missing > 0 {
		out = append(out, Problem{Kind: "missing", Msg: fmt.Sprintf("%d frames the decoder did not deliver, each replaced by the frame before", x.missing)})
	}
	if x.damaged > 0 {
		out = append(out, Problem{Kind: "concealed", Msg: fmt.Sprintf("%d frames with decoding errors, concealed by the decoder", x.damaged)})
	}
	return out
}

// decodeNext returns the next decoded frame of the range and its index,
// io.EOF after the last (next deinterlaces them when asked). The frame
// belongs to the decoder and is valid until the next call.
func (x *decoder) decodeNext(ctx context.Context) (*astiav.Frame, int64, error) {
	for {
		f, idx, err := x.decodeOne(ctx)
		if err == nil && idx < x.resume {
			continue // delivered before restartSerial
		}
		return f, idx, err
	}
}

// restartSerial decodes the range again from its start on one thread,
// delivering only the frames not delivered yet, with the problems counted
// afresh: the problem list of a damaged range is then the one-thread
// decode's, whatever the thread count. The frames delivered before are
// the threaded decode's, which saw no damage up to them (frame threading
// is bit-exact on valid data).
func (x *decoder) restartSerial() error {
	x.serial, x.threads, x.suspect = true, 1, false
	x.resume = max(x.resume, x.last+1)
	x.missing, x.damaged = 0, 0
	x.last, x.repeatTo, x.stashed, x.done, x.seekBack = -1, 0, false, false, 0
	x.stash.Unref()
	if err := x.seek(); err != nil {
		return err
	}
	return x.openCodec()
}

func (x *decoder) decodeOne(ctx context.Context) (*astiav.Frame, int64, error) {
	for {
		if x.suspect && !x.serial {
			if err := x.restartSerial(); err != nil {
				return nil, 0, err
			}
			continue
		}
		if x.repeatTo > x.last+1 && x.holdIdx >= 0 {
			idx := x.last + 1
			if x.end != 0 && idx >= x.end {
				x.done, x.stashed = true, false
				return nil, 0, io.EOF
			}
			x.last = idx
			return x.hold, idx, nil
		}
		if x.stashed {
			x.stashed = false
			x.frame.Unref()
			x.frame.MoveRef(x.stash)
			return x.emit(x.stashIdx)
		}
		if x.done {
			return nil, 0, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		x.frame.Unref()
		err := x.dec.ReceiveFrame(x.frame)
		switch {
		case err == nil:
			idx := x.index(x.frame)
			x.counted++
			if concealed(x.frame) {
				if !x.serial {
					x.frame.Unref()
					if err := x.restartSerial(); err != nil {
						return nil, 0, err
					}
					continue
				}
				if idx >= x.start {
					x.damaged++
				}
			}
			if idx < x.start {
				x.keep(x.frame, idx) // a repeat of it may be in the range
				x.frame.Unref()
				continue
			}
			expected := x.ix.counted // a counted index's holes are its repeats
			if x.last < 0 {
				if idx > x.start && x.holdIdx < 0 && x.start > 0 {
					// the seek landed after the target (inputs without an
					// index): go back further and start again with a fresh
					// decoder
					x.frame.Unref()
					if x.seekBack > x.start || x.ix.counted && x.seekBack > 0 {
						return nil, 0, newErr(x.op, x.d.name, ErrInvalidData, nil, "cannot reach frame %d (first decodable frame is %d)", x.start, idx)
					}
					if err := x.seekFurther(); err != nil {
						return nil, 0, err
					}
					continue
				}
				if x.holdIdx < 0 {
					expected = false
					x.keep(x.frame, idx) // the first frame stands in for any before it
				}
				x.last = x.start - 1
			}
			if idx <= x.last {
				idx = x.last + 1 // timestamps that round onto the previous frame
			}
			if idx > x.last+1 {
				if !expected && !x.serial {
					x.frame.Unref()
					if err := x.restartSerial(); err != nil {
						return nil, 0, err
					}
					continue
				}
				if err := x.repeatUntil(idx, expected); err != nil {
					return nil, 0, err
				}
				continue
			}
			return x.emit(idx)
		case errors.Is(err, astiav.ErrEof):
			if x.last < 0 && x.holdIdx < 0 && x.start > 0 && !x.ix.counted && x.seekBack <= x.start {
				// nothing decoded at all: the seek landed after the last
				// keyframe before start (MPEG-TS seeks by timestamp, and
				// skipToKey then finds no keyframe before the end: a range
				// in the last frames). Go back further, as above.
				if err := x.seekFurther(); err != nil {
					return nil, 0, err
				}
				continue
			}
			x.done = true
			want := x.end
			if want == 0 {
				want = x.ix.count
			}
			if !x.strict && x.last >= x.start && x.last+1 < want && want <= x.ix.count && x.holdIdx >= 0 {
				if !x.serial {
					if err := x.restartSerial(); err != nil {
						return nil, 0, err
					}
					continue
				}
				// frames the index promises that the decoder did not give
				x.missing += want - x.last - 1
				x.repeatTo = want
				continue
			}
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
		if len(x.queue) > 0 {
			p := x.queue[0]
			x.queue = x.queue[1:]
			err := x.dec.SendPacket(p)
			p.Free()
			if err != nil && !errors.Is(err, astiav.ErrEagain) && !errors.Is(err, astiav.ErrInvaliddata) {
				return newErr(x.op, x.d.name, ErrInvalidData, err, "decoding failed")
			}
			return nil
		}
		if err := x.d.fc.ReadFrame(x.pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				if x.un != nil && !x.un.flushed {
					x.un.flushed = true
					if err := x.un.each(nil, x.enqueue); err != nil {
						return newErr(x.op, x.d.name, ErrInvalidData, err, "unpacking B-frames")
					}
					continue
				}
				x.drained = true
				if err := x.dec.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
					return newErr(x.op, x.d.name, ErrInvalidData, err, "flushing the decoder")
				}
				return nil
			}
			if x.strict || ctx.Err() != nil {
				return x.d.readErr(ctx, x.op, err)
			}
			x.pkt.Unref()
			x.drained = true // decode what came, as the ffmpeg CLI does; listed by the index
			if err := x.dec.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
				return newErr(x.op, x.d.name, ErrInvalidData, err, "flushing the decoder")
			}
			return nil
		}
		if x.pkt.StreamIndex() != x.st.Index() {
			x.pkt.Unref()
			continue
		}
		if err := x.d.checkPacket(x.op, x.pkt); err != nil {
			x.pkt.Unref()
			if x.strict {
				return err
			}
			x.drained = true
			if err := x.dec.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
				return newErr(x.op, x.d.name, ErrInvalidData, err, "flushing the decoder")
			}
			return nil
		}
		if x.pkt.Size() == 0 {
			x.pkt.Unref() // an empty packet would end the decoder's stream
			continue
		}
		if x.verify != nil {
			// a counted index must start at a known keyframe
			if x.pkt.Dts() != x.verify.dts {
				if x.verify.frame == 0 {
					x.pkt.Unref()
					return newErr(x.op, x.d.name, ErrInvalidData, nil, "the first packet has decode time %d, the index %d", x.pkt.Dts(), x.verify.dts)
				}
				x.pkt.Unref()
				if err := x.rewind(ctx); err != nil {
					return err
				}
				x.resetUnpacker()
				x.verify, x.decoded, x.holdIdx = nil, 0, -1
				continue
			}
			x.verify = nil
			x.skipToKey = false
		}
		if x.un != nil {
			if err := x.un.each(x.pkt, x.enqueue); err != nil {
				return newErr(x.op, x.d.name, ErrInvalidData, err, "unpacking B-frames")
			}
			continue
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
				x.suspect = true
				continue // a damaged packet: the decoder conceals it and goes on
			}
			return newErr(x.op, x.d.name, ErrInvalidData, err, "decoding failed")
		}
		return nil
	}
}

// enqueue keeps a copy of an unpacked packet for the decoder.
func (x *decoder) enqueue(p *astiav.Packet) {
	if p.Size() > 0 {
		x.queue = append(x.queue, p.Clone())
	}
}

func (x *decoder) close() {
	if x == nil {
		return
	}
	for _, p := range x.queue {
		p.Free()
	}
	x.queue = nil
	x.un.free()
	x.un = nil
	for _, f := range []*astiav.Frame{x.hold, x.stash} {
		if f != nil {
			f.Free()
		}
	}
	x.hold, x.stash = nil, nil
	if x.dec != nil {
		x.dec.Free()
		x.dec = nil
	}
	x.bands.free()
	x.bands = nil
	x.deint.close()
	x.deint = nil
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
	conv   *rateConv // DecodeOptions.FPS
}

// OpenFrames opens in for frame-exact decoding of opts' range. The frames'
// planes point into FFmpeg's buffers and stay valid until the next ReadFrame.
func OpenFrames(ctx context.Context, in Input, opts DecodeOptions) (*FrameReader, error) {
	x, err := openDecoder(ctx, "decode", in, deinterlaceStart(opts.Deinterlace, opts.Start), opts.End, opts.Threads, opts.Fast, opts.Strict)
	if err != nil {
		return nil, err
	}
	if err := x.deinterlace(opts.Deinterlace, opts.Start, opts.End); err != nil {
		x.close()
		return nil, err
	}
	r := &FrameReader{x: x, fps: x.info.FPS}
	if err := r.setup(opts); err != nil {
		r.Close()
		return nil, err
	}
	if opts.FPS.Num > 0 && opts.FPS.Den > 0 {
		if r.conv, err = newRateConv(x, opts.FPS, opts.Start); err != nil {
			r.Close()
			return nil, newErr("decode", x.d.name, ErrUnsupportedPixFmt, err, "cannot convert to %d/%d fps", opts.FPS.Num, opts.FPS.Den)
		}
		r.fps = opts.FPS.Float()
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
	if k := boxFactor(v.Width, v.Height, w, h); k > 0 && opts.Scaler == "area" && opts.FPS.Num == 0 && target == v.PixFmt && boxDepthOK(r.format.BitDepth) {
		cw, ch := r.format.Chroma.ChromaSize(v.Width, v.Height)
		ow, oh := r.format.Chroma.ChromaSize(w, h)
		if r.format.Chroma == media.Chroma400 || boxFactor(cw, ch, ow, oh) == k {
			r.box = k
			// H.264 with one thread can hand over each band of rows as
			// it is finished, to be scaled while still in cache.
			if r.x.codec.ID() == astiav.CodecIDH264 && r.x.threads == 1 && r.format.BitDepth == 8 && r.x.deint == nil {
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

// Problems lists what is wrong with the source and was worked around so
// far: the index's findings, then frames the decoder did not deliver or
// concealed. Complete after the last frame.
func (r *FrameReader) Problems() []Problem { return r.x.problems() }

// ReadFrame returns the next frame, io.EOF after the last one of the range.
func (r *FrameReader) ReadFrame(ctx context.Context) (*media.Frame, error) {
	var f *astiav.Frame
	var idx int64
	var err error
	if r.conv != nil {
		f, idx, err = r.conv.next(ctx)
		idx += r.conv.base
	} else {
		f, idx, err = r.x.next(ctx)
	}
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
	if r.conv != nil {
		out.PTS = float64(idx)/r.fps - float64(r.x.ix.ptsOf(0))*r.x.tb.Float64()
	} else if ix := r.x.ix; ix.pts != nil {
		out.PTS = float64(ix.ptsOf(idx)-ix.ptsOf(0)) * ix.tb.Float64()
	}
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
	for i := range planeCount(r.format) {
		k := max(r.box, 1)
		pl, ok := planeOf(f, i, r.format, out.Width, out.Height, k)
		if !ok {
			return nil, newErr("decode", r.x.d.name, ErrInvalidData, nil, "frame %d has no plane %d", idx, i)
		}
		pw, ph := pl.Width, pl.Height
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

// planeCount is how many planes a frame of format has.
func planeCount(format media.Format) int {
	if format.Chroma == media.Chroma400 {
		return 1
	}
	return 3
}

// planeOf points plane i of a w×h picture of format at f's samples,
// without copying; its Pix spans k times the plane's rows (the source of a
// 1/k box downscale, k 1 otherwise). false: f has no such plane.
func planeOf(f *astiav.Frame, i int, format media.Format, w, h, k int) (media.Plane, bool) {
	pw, ph := w, h
	if i > 0 {
		pw, ph = format.Chroma.ChromaSize(w, h)
	}
	pix, stride := framePlane(f, i, ph*k)
	if pix == nil {
		return media.Plane{}, false
	}
	return media.Plane{Pix: pix, Stride: stride, Width: pw, Height: ph, BitDepth: format.BitDepth}, true
}

// Close releases FFmpeg's resources.
func (r *FrameReader) Close() error {
	if r.conv != nil {
		r.conv.close()
		r.conv = nil
	}
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
