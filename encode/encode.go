package encode

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/asticode/go-astiav"

	"github.com/reelmedia/reel/media"
)

// ChunkResult describes an encoded output.
type ChunkResult struct {
	Path          string   `json:"path"`
	Start         int64    `json:"start"` // first source frame
	End           int64    `json:"end"`   // one past the last source frame
	Frames        int64    `json:"frames"`
	Bytes         int64    `json:"bytes"`
	Duration      float64  `json:"duration"` // seconds, Frames / FPS
	Codec         string   `json:"codec"`
	Container     string   `json:"container"`
	Width         int      `json:"width"`
	Height        int      `json:"height"`
	PixFmt        string   `json:"pix_fmt"`
	FPS           Rational `json:"fps"`
	ExtradataHash string   `json:"extradata_hash"` // sha256 of the stream headers, equal for chunks of one profile
	Audio         string   `json:"audio,omitempty"`
	Bitrate       float64  `json:"bitrate"` // bits per second
	// VFR: the chunk keeps the source's variable frame timing (its
	// timestamps, relative to the chunk's first frame).
	VFR bool `json:"vfr,omitempty"`
	// Problems lists the damage in the source that was worked around
	// (Profile.Strict refuses instead).
	Problems []Problem `json:"problems,omitempty"`
	// Window is, with EncodeOptions.Pairs, the most source frames held at
	// once waiting for their encoded twin: the encoder's delay.
	Window int `json:"window,omitempty"`
}

// EncodeOptions are the extras of a whole-file Encode.
type EncodeOptions struct {
	Start, End int64  // frame range; End 0 = to the end
	Audio      string // copy, copy-all, aac, opus or none ("" = none)
	// AudioTrack picks the audio stream by its index among the audio
	// streams (0 = the first); AudioLanguage instead by its language tag
	// (ISO 639, the first match). copy-all takes neither: every audio stream
	// is copied, in source order, with its language and title.
	AudioTrack    int
	AudioLanguage string
	// AudioBitrate in bits per second for aac/opus (0 = 64 kb/s per channel).
	AudioBitrate int64
	// Progress is called with the number of frames encoded so far.
	Progress func(done int64)
	// Pairs, when set, hands each source frame and its encoded twin,
	// decoded in process, to Pairs.Push as the encode runs (see Pairs).
	Pairs *Pairs
}

// EncodeRange encodes source frames [start, end) (end 0 = to the end) into
// one self-contained chunk at outPath: encoder time base 1/fps, timestamps
// from 0, one closed GOP structure, headers identical for every chunk of p,
// packet durations set. progress, when not nil, gets the frames done.
func EncodeRange(ctx context.Context, in Input, outPath string, p Profile, start, end int64, progress func(done int64)) (*ChunkResult, error) {
	return encodeFile(ctx, in, outPath, p, EncodeOptions{Start: start, End: end, Progress: progress})
}

// Encode encodes a whole file (or opts' frame range) with its audio.
func Encode(ctx context.Context, in Input, outPath string, p Profile, opts EncodeOptions) (*ChunkResult, error) {
	return encodeFile(ctx, in, outPath, p, opts)
}

// videoEnc is the filter -> encoder -> muxer half of an encode.
type videoEnc struct {
	fields string // tt or bb: an interlaced source encoded as fields (keepsFields); "" progressive
	op     string
	name   string
	out    *output
	cd     codecDesc
	codec  *astiav.Codec
	p      Profile
	x      *decoder
	filter *videoFilter
	spec   filterSpec
	pixFmt astiav.PixelFormat
	fps    Rational
	gop    int
	enc    *astiav.CodecContext
	ost    *astiav.Stream
	otb    astiav.Rational
	pkt    *astiav.Packet
	frames int64
	// chunk-relative pts base when the fps filter runs, in the sink time base
	fpsBase  int64
	lastPts  int64
	audio    *audioSource
	lastIn   *astiav.Frame // last decoded frame, for closing an fps graph
	framesIn int64
	// vfr: the output keeps the source's timestamps (encoder time base =
	// the stream's), each packet's duration from the index (durs, by pts)
	vfr    bool
	start  int64
	durs   map[int64]int64 // each frame's duration, by pts
	endPts int64           // the end of the last frame sent
	held   *astiav.Packet  // the last packet so far, written when the next comes
	pairs  *pairer         // EncodeOptions.Pairs
}

func encodeFile(ctx context.Context, in Input, outPath string, p Profile, opts EncodeOptions) (res *ChunkResult, err error) {
	const op = "encode"
	cd, ok := findCodec(p.Codec)
	if !ok {
		return nil, newErr(op, outPath, ErrUnsupportedCodec, nil, "unknown codec %q (want one of %v)", p.Codec, CodecNames())
	}
	codec := astiav.FindEncoderByName(cd.encoder)
	if codec == nil {
		return nil, newErr(op, outPath, ErrUnsupportedCodec, nil, "encoder %s is not in this FFmpeg build", cd.encoder)
	}
	cont, _, err := containerFor(p.Container, outPath)
	if err != nil {
		return nil, newErr(op, outPath, ErrOutputUnwritable, nil, "%v", err)
	}
	if !contains(cd.containers, cont) {
		return nil, newErr(op, outPath, ErrUnsupportedCodec, nil, "%s cannot be stored in %s (use one of %v)", cd.name, cont, cd.containers)
	}
	x, err := openDecoder(ctx, op, in, deinterlaceStart(p.Deinterlace, opts.Start), opts.End, p.Threads, false, p.Strict)
	if err != nil {
		return nil, err
	}
	defer x.close()
	if err := x.deinterlace(p.Deinterlace, opts.Start, opts.End); err != nil {
		return nil, err
	}
	v := x.info.Video()

	e := &videoEnc{op: op, name: in.name(), cd: cd, codec: codec, p: p, x: x, pkt: astiav.AllocPacket(), lastPts: -1}
	defer e.pkt.Free()
	defer func() {
		if e.lastIn != nil {
			e.lastIn.Free()
		}
	}()
	e.pixFmt, err = pickPixFmt(codec, cd, p.PixFmt, v.PixFmt, v.BitDepth)
	if err != nil {
		return nil, newErr(op, e.name, ErrUnsupportedPixFmt, nil, "%v", err)
	}
	w, h, err := outputSize(v.Width, v.Height, p.Width, p.Height)
	if err != nil {
		return nil, newErr(op, e.name, ErrUnsupportedPixFmt, nil, "%v", err)
	}
	if _, f, ok := pixFmtInfo(e.pixFmt); !ok || (f.Chroma != media.Chroma444 && f.Chroma != media.Chroma400) {
		w, h = max(2, (w+1)&^1), max(2, (h+1)&^1) // subsampled chroma needs even sizes
	}
	e.fps = v.FrameRate
	if p.FPS.Num > 0 && p.FPS.Den > 0 {
		e.fps = p.FPS
	}
	e.start = opts.Start
	e.vfr = x.ix.pts != nil && x.ix.vfr() && !(p.FPS.Num > 0 && p.FPS.Den > 0)
	if e.vfr {
		e.durs = map[int64]int64{}
	}
	defer func() {
		if e.held != nil {
			e.held.Free()
		}
	}()
	e.gop = p.GOP
	if e.gop <= 0 {
		e.gop = defaultGOP(e.fps.Float())
	}
	if p.Deinterlace == "" && v.Interlaced && keepsFields(cd) {
		e.fields = codedFieldOrder(v.FieldOrder)
		if _, f, ok := pixFmtInfo(e.pixFmt); ok && f.Chroma == media.Chroma420 && h%4 != 0 {
			// each field's chroma needs whole rows: libx264 refuses
			return nil, newErr(op, e.name, ErrUnsupportedCodec, nil, "%s cannot code %dx%d 4:2:0 as fields (the height must be a multiple of 4): deinterlace it or choose a size", cd.name, w, h)
		}
	}
	e.spec = filterSpec{width: w, height: h, scaler: p.Scaler, pixFmt: e.pixFmt.Name(), interlaced: e.fields != ""}
	if p.FPS.Num > 0 && p.FPS.Den > 0 && p.FPS != v.FrameRate {
		e.spec.fps = p.FPS
	}
	e.filter, err = newVideoFilter(x, e.spec)
	if err != nil {
		return nil, newErr(op, e.name, ErrUnsupportedPixFmt, err, "cannot build the filter graph")
	}
	defer e.filter.close()

	e.out, err = newOutput(op, outPath, p.Container)
	if err != nil {
		return nil, err
	}
	defer e.out.abort()
	if err := completeHDR(ctx, op, in, cd, v); err != nil {
		return nil, err
	}
	if err := e.openEncoder(w, h, v); err != nil {
		return nil, err
	}
	defer e.enc.Free()
	if opts.Pairs != nil {
		if e.spec.fps.Num != 0 {
			return nil, newErr(op, e.name, ErrUnsupportedPairs, nil, "a rate conversion changes which frames are encoded: score the stored output")
		}
		if e.pairs, err = newPairer(x, e.enc, e.name, *opts.Pairs); err != nil {
			return nil, err
		}
		defer e.pairs.close()
	}
	if opts.Audio != "" && opts.Audio != "none" {
		startSec := float64(opts.Start) / v.FPS
		dur := 0.0
		if opts.End > 0 {
			dur = float64(opts.End-opts.Start) / v.FPS
		} else if v.FrameCount > 0 {
			dur = float64(v.FrameCount-opts.Start) / v.FPS
		}
		if ix := x.ix; ix.pts != nil {
			end := ix.count
			if opts.End > 0 {
				end = opts.End
			}
			startSec = float64(ix.ptsOf(opts.Start)-ix.ptsOf(0)) * ix.tb.Float64()
			dur = float64(ix.ptsOf(end)-ix.ptsOf(opts.Start)) * ix.tb.Float64()
		}
		spec := audioSpec{mode: opts.Audio, track: opts.AudioTrack, lang: opts.AudioLanguage, bitrate: opts.AudioBitrate}
		e.audio, err = newAudioSource(ctx, op, in, e.out, spec, startSec, dur)
		if err != nil {
			return nil, err
		}
		defer e.audio.close()
	}
	if err := e.out.start(); err != nil {
		return nil, err
	}
	e.otb = e.ost.TimeBase() // the muxer may have changed it in WriteHeader
	if e.audio != nil {
		e.audio.started()
	}
	base := x.ix.ptsOf(opts.Start)
	e.fpsBase = astiav.RescaleQRnd(base, x.tb, e.filter.sinkTimeBase(), astiav.RoundingNearInf)

	for {
		f, idx, err := x.next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if e.pairs != nil {
			if err := e.pairs.source(f); err != nil {
				return nil, err
			}
		}
		if err := e.encodeFrame(f, idx-opts.Start); err != nil {
			return nil, err
		}
		if opts.Progress != nil {
			opts.Progress(e.frames)
		}
	}
	if err := e.flush(); err != nil {
		return nil, err
	}
	if e.pairs != nil {
		if err := e.pairs.finish(); err != nil {
			return nil, err
		}
	}
	if e.audio != nil {
		if err := e.audio.writeUntil(-1); err != nil {
			return nil, err
		}
	}
	if e.frames == 0 {
		return nil, x.rangeErr()
	}
	// a chunk must hold every frame of its range, or the assembled output
	// shifts: gaps in the source's timestamps (damage, variable rate) fail
	if want := x.last + 1 - opts.Start; e.spec.fps.Num == 0 && e.frames != want {
		return nil, newErr(op, e.name, ErrInvalidData, nil, "decoded %d frames for range %d:%d (timestamps have gaps)", e.frames, opts.Start, x.last+1)
	}
	size, err := e.out.finish()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(e.enc.ExtraData())
	end := opts.End
	if end == 0 {
		end = x.last + 1
	}
	res = &ChunkResult{
		Path: outPath, Start: opts.Start, End: end, Frames: e.frames, Bytes: size,
		Duration: float64(e.frames) / e.fps.Float(), Codec: cd.name, Container: e.out.cont,
		Width: e.enc.Width(), Height: e.enc.Height(), PixFmt: e.pixFmt.Name(), FPS: e.fps,
		ExtradataHash: hex.EncodeToString(sum[:]), VFR: e.vfr, Problems: x.problems(),
	}
	if e.pairs != nil {
		res.Window = e.pairs.window
	}
	if e.vfr {
		res.Duration = float64(x.ix.ptsOf(x.last+1)-x.ix.ptsOf(opts.Start)) * x.tb.Float64()
	}
	if res.Duration > 0 {
		res.Bitrate = float64(size*8) / res.Duration
	}
	if e.audio != nil {
		res.Audio = e.audio.mode
	}
	return res, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// openEncoder configures and opens the encoder and adds the output stream.
func (e *videoEnc) openEncoder(w, h int, v *VideoStream) error {
	if e.cd.name == "svtav1" {
		quietSVT()
	}
	enc := astiav.AllocCodecContext(e.codec)
	e.enc = enc
	enc.SetWidth(w)
	enc.SetHeight(h)
	enc.SetPixelFormat(e.pixFmt)
	enc.SetSampleAspectRatio(astiav.NewRational(1, 1))
	if sar := e.x.st.CodecParameters().SampleAspectRatio(); sar.Num() > 0 && sar.Den() > 0 && w == v.Width && h == v.Height {
		enc.SetSampleAspectRatio(sar)
	}
	// encoder time base 1/fps with chunk-relative pts: chunks concatenate by
	// adding offsets; a variable rate keeps the source's time base
	enc.SetTimeBase(astiav.NewRational(e.fps.Den, e.fps.Num))
	if e.vfr {
		enc.SetTimeBase(e.x.tb)
	}
	enc.SetFramerate(e.fps.av())
	enc.SetThreadCount(e.p.Threads)
	enc.SetGopSize(e.gop)
	if e.p.Bitrate > 0 {
		enc.SetBitRate(e.p.Bitrate)
	}
	flags := enc.Flags().Add(astiav.CodecContextFlagClosedGop)
	if e.out.globalHeader() {
		flags = flags.Add(astiav.CodecContextFlagGlobalHeader)
	}
	enc.SetFlags(flags)

	opts := encoderOptions(e.cd, e.p, e.gop)
	addHDRParams(e.cd, opts, v.HDR)
	// colour description from the source; the generic AVCodecContext options
	// stand in for setters go-astiav v0.16.0 lacks
	c := v.Color
	if c.Primaries != "" {
		opts["color_primaries"] = c.Primaries
	}
	if c.Transfer != "" {
		opts["color_trc"] = c.Transfer
	}
	if c.Matrix != "" {
		opts["colorspace"] = c.Matrix
	}
	if c.Range != "" {
		opts["color_range"] = c.Range
	}
	if e.p.Deinterlace != "" {
		opts["field_order"] = "progressive"
	}
	if e.fields != "" {
		// interlaced coding: the fields stay fields, and the stream and
		// container say in which order
		enc.SetFlags(enc.Flags().Add(astiav.CodecContextFlagInterlacedDct).Add(astiav.CodecContextFlagInterlacedMe))
		opts["field_order"] = e.fields
		// libx264 in FFmpeg 5.1 starts top field first whatever the
		// frames say: the order goes in x264's own parameters
		order := "tff=1"
		if e.fields == "bb" {
			order = "bff=1"
		}
		if x := opts["x264-params"]; x != "" {
			order = x + ":" + order
		}
		opts["x264-params"] = order + ":interlaced=1"
	}
	dict := astiav.NewDictionary()
	defer dict.Free()
	for k, val := range opts {
		if err := dict.Set(k, val, 0); err != nil {
			return newErr(e.op, e.name, ErrUnsupportedCodec, err, "encoder option %s=%s", k, val)
		}
	}
	if err := enc.Open(e.codec, dict); err != nil {
		return newErr(e.op, e.name, ErrUnsupportedCodec, err, "cannot open encoder %s (%dx%d %s)", e.cd.encoder, w, h, e.pixFmt.Name())
	}
	// avcodec_open2 leaves the options it did not use in the dictionary
	if left := dict.Get("", nil, astiav.NewDictionaryFlags(astiav.DictionaryFlagIgnoreSuffix)); left != nil {
		return newErr(e.op, e.name, ErrUnsupportedCodec, nil, "encoder %s does not know option %s=%s", e.cd.encoder, left.Key(), left.Value())
	}
	e.ost = e.out.fc.NewStream(nil)
	if e.ost == nil {
		return newErr(e.op, e.out.path, ErrOutputUnwritable, nil, "cannot add a stream")
	}
	if err := e.ost.CodecParameters().FromCodecContext(enc); err != nil {
		return newErr(e.op, e.out.path, ErrUnsupportedCodec, err, "copying encoder parameters")
	}
	e.out.setCodecTag(e.ost.CodecParameters())
	// the source's timecode, moved on to the chunk's first frame
	if tc, ok := addTimecode(e.x.info.Timecode, e.start, e.x.info.FrameRate); ok {
		if err := setTimecode(e.ost, tc); err != nil {
			return newErr(e.op, e.out.path, ErrOutputUnwritable, err, "setting the timecode")
		}
	}
	// HDR10 static metadata travels at container level (mp4 mdcv/clli, mkv
	// Colour): carry it from the source stream
	for _, t := range []astiav.PacketSideDataType{astiav.PacketSideDataTypeMasteringDisplayMetadata, astiav.PacketSideDataTypeContentLightLevel} {
		if b := e.x.st.SideData(t); len(b) > 0 {
			if err := e.ost.AddSideData(t, b); err != nil {
				return newErr(e.op, e.out.path, ErrOutputUnwritable, err, "copying HDR metadata")
			}
		}
	}
	e.ost.SetTimeBase(enc.TimeBase())
	e.ost.SetAvgFrameRate(e.fps.av())
	return nil
}

// encodeFrame filters one decoded frame (chunk-relative index rel) and
// encodes what comes out.
func (e *videoEnc) encodeFrame(f *astiav.Frame, rel int64) error {
	// decoded frames keep their I/P/B type and encoders honour it: reset
	f.SetPictureType(astiav.PictureTypeNone)
	if e.spec.fps.Num == 0 {
		out, err := e.filter.apply(f)
		if err != nil {
			return newErr(e.op, e.name, ErrUnsupportedPixFmt, err, "filtering")
		}
		pts := rel
		if e.vfr {
			ix := e.x.ix
			pts = ix.ptsOf(e.start+rel) - ix.ptsOf(e.start)
			e.durs[pts] = ix.ptsOf(e.start+rel+1) - ix.ptsOf(e.start+rel)
			e.endPts = max(e.endPts, pts+e.durs[pts])
		}
		out.SetPts(pts)
		return e.send(out)
	}
	// the fps filter sees the index's timestamps: a repeat or a counted
	// index's frame has none of its own
	f.SetPts(e.x.ix.ptsOf(e.start + rel))
	if e.lastIn == nil {
		e.lastIn = astiav.AllocFrame()
	}
	e.lastIn.Unref()
	if err := e.lastIn.Ref(f); err != nil {
		return newErr(e.op, e.name, nil, err, "referencing a frame")
	}
	e.framesIn++
	if err := e.filter.push(f); err != nil {
		return newErr(e.op, e.name, ErrUnsupportedPixFmt, err, "filtering")
	}
	return e.pullFiltered()
}

func (e *videoEnc) pullFiltered() error {
	stb := e.filter.sinkTimeBase()
	etb := e.enc.TimeBase()
	for {
		out, err := e.filter.pull()
		if err != nil {
			return newErr(e.op, e.name, ErrUnsupportedPixFmt, err, "filtering")
		}
		if out == nil {
			return nil
		}
		pts := astiav.RescaleQRnd(out.Pts()-e.fpsBase, stb, etb, astiav.RoundingNearInf)
		// the source's duration in output frames bounds what goes out:
		// the grid point of the range's end, rounded as the fps filter
		// rounds (not the rounded duration), so the next chunk starts
		// exactly where this one stops (rateConv bounds the same way)
		limit := astiav.RescaleQRnd(e.x.ix.ptsOf(e.start+e.framesIn), e.x.tb, stb, astiav.RoundingNearInf) - e.fpsBase
		limit = astiav.RescaleQ(limit, stb, etb)
		if pts <= e.lastPts || pts >= limit {
			continue
		}
		out.SetPts(pts)
		if err := e.send(out); err != nil {
			return err
		}
	}
}

func (e *videoEnc) send(f *astiav.Frame) error {
	f.SetPictureType(astiav.PictureTypeNone)
	if e.fields != "" {
		setFields(f, e.fields)
	}
	e.lastPts = f.Pts()
	if err := e.enc.SendFrame(f); err != nil {
		return newErr(e.op, e.name, ErrUnsupportedCodec, err, "encoding")
	}
	e.frames++
	return e.drain()
}

// drain writes every packet the encoder has ready.
func (e *videoEnc) drain() error {
	for {
		err := e.enc.ReceivePacket(e.pkt)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return newErr(e.op, e.name, ErrUnsupportedCodec, err, "encoding")
		}
		if e.pairs != nil {
			if err := e.pairs.packet(e.pkt); err != nil {
				e.pkt.Unref()
				return err
			}
		}
		// FFmpeg 5.1's wrappers leave duration 0; the muxer would guess the
		// last one and chunk durations would drift
		if e.pkt.Duration() <= 0 {
			e.pkt.SetDuration(1)
		}
		if e.vfr {
			// A variable rate's frame lasts until the next one. MP4 with
			// B-frames keeps no packet durations: Concat takes a chunk's
			// end from the track's, which FFmpeg reads back as the lesser
			// of the last decode time plus its duration and the largest
			// pts plus duration. The last packet (held until the next
			// comes) lasts to the end of the last frame, so both are it.
			if d, ok := e.durs[e.pkt.Pts()]; ok {
				e.pkt.SetDuration(d)
				delete(e.durs, e.pkt.Pts())
			}
			if e.held != nil {
				err := e.write(e.held)
				e.held.Free()
				e.held = nil
				if err != nil {
					e.pkt.Unref()
					return err
				}
			}
			e.held = e.pkt.Clone()
			e.pkt.Unref()
			continue
		}
		if err := e.write(e.pkt); err != nil {
			return err
		}
	}
}

// write sends one encoder packet (encoder time base) to the muxer.
func (e *videoEnc) write(p *astiav.Packet) error {
	p.SetStreamIndex(e.ost.Index())
	p.RescaleTs(e.enc.TimeBase(), e.otb)
	if e.audio != nil {
		t := float64(p.Dts()) * e.otb.Float64()
		if err := e.audio.writeUntil(t); err != nil {
			p.Unref()
			return err
		}
	}
	return e.out.write(p)
}

// writeHeld writes the last packet of a variable-rate encode, lasting to
// the end of the last frame.
func (e *videoEnc) writeHeld() error {
	if e.held == nil {
		return nil
	}
	e.held.SetDuration(max(e.held.Duration(), e.endPts-e.held.Pts()))
	err := e.write(e.held)
	e.held.Free()
	e.held = nil
	return err
}

func (e *videoEnc) flush() error {
	if e.spec.fps.Num != 0 {
		// the fps filter cannot know how long the last frame lasts: repeat
		// it one frame later so the graph fills the last frame's interval
		if e.lastIn != nil {
			e.lastIn.SetPts(e.x.ix.ptsOf(e.start + e.framesIn))
			if err := e.filter.push(e.lastIn); err != nil {
				return newErr(e.op, e.name, ErrUnsupportedPixFmt, err, "filtering")
			}
		}
		if err := e.filter.push(nil); err != nil {
			return newErr(e.op, e.name, ErrUnsupportedPixFmt, err, "filtering")
		}
		if err := e.pullFiltered(); err != nil {
			return err
		}
	}
	if err := e.enc.SendFrame(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
		return newErr(e.op, e.name, ErrUnsupportedCodec, err, "flushing the encoder")
	}
	if err := e.drain(); err != nil {
		return err
	}
	return e.writeHeld()
}

var svtOnce sync.Once

// quietSVT stops SVT-AV1 from printing its banner and configuration to
// stderr for every encoder it opens; SVT reads its log level only from the
// environment. An explicit SVT_LOG wins.
func quietSVT() {
	svtOnce.Do(func() {
		if os.Getenv("SVT_LOG") == "" {
			os.Setenv("SVT_LOG", "1")
		}
	})
}
