package encode

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/asticode/go-astiav"
)

// Audio modes beyond the codecs: copy-all copies every audio stream.
const (
	audioCopy    = "copy"
	audioCopyAll = "copy-all"
)

// audioSpec says which audio of a source goes into an output, and how.
type audioSpec struct {
	mode    string // copy, copy-all, aac or opus
	track   int    // index among the audio streams (copy, aac, opus)
	lang    string // ISO 639 language tag; first match wins, instead of track
	bitrate int64  // aac, opus
}

// audioTrack is one source audio stream and the output stream it feeds.
type audioTrack struct {
	ist, ost   *astiav.Stream
	srcTb      astiav.Rational // time base of the packets writeUntil gets
	otb        astiav.Rational
	start, end int64 // trim window in ist time base (copy)
	shift      int64 // subtracted from copied timestamps (ist tb)
	done       bool  // copy: past its window

	// MPEG-TS discontinuities (tsClock), ist tb
	clockOff, clockPrev, clockEnd int64
	clockJumps                    int
	clockTrim                     bool // just jumped: drop what overlaps
}

// audioSource feeds the audio of a programme into an output, copied or
// encoded (aac, opus), trimmed to [start, start+dur) seconds of the
// programme. Programme time 0 is the source's first video frame (its first
// audio sample when it has no video). Copy modes read every chosen track
// from one demuxer, in file order; encoding takes one track.
type audioSource struct {
	op, name string
	mode     string
	d        *demuxer
	out      *output
	tracks   []*audioTrack
	byIndex  map[int]*audioTrack // by source stream index
	pkt      *astiav.Packet
	cur      *audioTrack // the track of pkt, when ready
	ready    bool        // pkt holds the next packet, in cur.srcTb
	eof      bool
	clock    *tsClock // an MPEG-TS read from its start; nil otherwise

	// encode mode
	dec     *astiav.CodecContext
	enc     *astiav.CodecContext
	graph   *astiav.FilterGraph
	src     *astiav.FilterContext
	sink    *astiav.FilterContext
	frame   *astiav.Frame
	filt    *astiav.Frame
	decEOF  bool
	encEOF  bool
	nextPts int64
}

func newAudioSource(ctx context.Context, op string, in Input, out *output, spec audioSpec, startSec, durSec float64) (*audioSource, error) {
	switch spec.mode {
	case audioCopy, audioCopyAll, "aac", "opus":
	default:
		return nil, newErr(op, in.name(), ErrUnsupportedCodec, nil, "unknown audio mode %q (want copy, copy-all, aac, opus or none)", spec.mode)
	}
	d, err := openDemuxer(ctx, op, in)
	if err != nil {
		return nil, err
	}
	a := &audioSource{op: op, name: in.name(), mode: spec.mode, d: d, out: out, pkt: astiav.AllocPacket(), byIndex: map[int]*audioTrack{}}
	if err := a.init(spec, startSec, durSec); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *audioSource) init(spec audioSpec, startSec, durSec float64) error {
	streams, err := pickAudio(a.op, a.name, a.d.fc.Streams(), spec)
	if err != nil {
		return err
	}
	// programme zero: the first video frame, else the first audio sample
	zero := 0.0
	if vs := a.d.videoStream(); vs != nil && vs.StartTime() != astiav.NoPtsValue {
		zero = float64(vs.StartTime()) * vs.TimeBase().Float64()
	} else if st := streams[0]; st.StartTime() != astiav.NoPtsValue {
		zero = float64(st.StartTime()) * st.TimeBase().Float64()
	}
	for i, ist := range streams {
		tb := ist.TimeBase()
		toTs := func(sec float64) int64 { return int64(math.Round(sec / tb.Float64())) }
		t := &audioTrack{ist: ist, start: toTs(zero + startSec), end: math.MaxInt64, clockPrev: astiav.NoPtsValue}
		if durSec > 0 {
			t.end = toTs(zero + startSec + durSec)
		}
		t.shift = t.start
		if t.ost = a.out.fc.NewStream(nil); t.ost == nil {
			return newErr(a.op, a.out.path, ErrOutputUnwritable, nil, "cannot add an audio stream")
		}
		if err := copyTrackInfo(ist, t.ost, i == 0); err != nil {
			return newErr(a.op, a.out.path, ErrOutputUnwritable, err, "copying audio track metadata")
		}
		a.tracks = append(a.tracks, t)
		a.byIndex[ist.Index()] = t
	}
	if startSec == 0 {
		// (after a seek the shifts of the jumps before are unknown)
		a.clock = newTSClock(a.d)
	}
	if startSec > 0 {
		// land before the window; packets before it are skipped. Several
		// tracks: a second early, so that no track's first packet lies
		// before where a seek on one of them lands
		t := a.tracks[0]
		if len(a.tracks) == 1 {
			_ = a.d.fc.SeekFrame(t.ist.Index(), t.start, astiav.NewSeekFlags(astiav.SeekFlagBackward))
		} else {
			ts := int64(math.Max(0, zero+startSec-1) * float64(astiav.TimeBase))
			_ = a.d.fc.SeekFrame(-1, ts, astiav.NewSeekFlags(astiav.SeekFlagBackward))
		}
	}
	if a.mode == audioCopy || a.mode == audioCopyAll {
		for _, t := range a.tracks {
			if err := t.ist.CodecParameters().Copy(t.ost.CodecParameters()); err != nil {
				return newErr(a.op, a.name, ErrInvalidData, err, "copying audio parameters")
			}
			t.ost.CodecParameters().SetCodecTag(0)
			t.ost.SetTimeBase(t.ist.TimeBase())
			t.srcTb = t.ist.TimeBase()
		}
		return nil
	}
	return a.initEncode(spec.bitrate, startSec, durSec, zero)
}

func (a *audioSource) initEncode(bitrate int64, startSec, durSec, zero float64) error {
	t := a.tracks[0]
	cp := t.ist.CodecParameters()
	dc := astiav.FindDecoder(cp.CodecID())
	if dc == nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, nil, "no decoder for audio codec %s", cp.CodecID().Name())
	}
	a.dec = astiav.AllocCodecContext(dc)
	if err := cp.ToCodecContext(a.dec); err != nil {
		return newErr(a.op, a.name, ErrInvalidData, err, "bad audio parameters")
	}
	a.dec.SetTimeBase(t.ist.TimeBase())
	if err := a.dec.Open(dc, nil); err != nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, err, "cannot open audio decoder")
	}
	name, sf, rate := "aac", astiav.SampleFormatFltp, cp.SampleRate()
	layout := cp.ChannelLayout()
	if !layout.Valid() || layout.NbChannels() == 0 {
		layout = astiav.ChannelLayoutStereo
	}
	if strings.HasSuffix(layout.String(), " channels") {
		// only a channel count (AVI, MXF and other PCM carriers): the
		// encoders take named layouts only
		layout = namedLayout(layout.NbChannels())
	}
	if a.mode == "opus" {
		name, sf, rate = "libopus", astiav.SampleFormatFlt, 48000
		if layout.NbChannels() > 2 {
			layout = astiav.ChannelLayoutStereo
		}
	}
	ec := astiav.FindEncoderByName(name)
	if ec == nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, nil, "encoder %s is not in this FFmpeg build", name)
	}
	a.enc = astiav.AllocCodecContext(ec)
	a.enc.SetSampleFormat(sf)
	a.enc.SetSampleRate(rate)
	a.enc.SetChannelLayout(layout)
	a.enc.SetTimeBase(astiav.NewRational(1, rate))
	if bitrate <= 0 {
		bitrate = 64000 * int64(layout.NbChannels())
	}
	a.enc.SetBitRate(bitrate)
	if a.out.globalHeader() {
		a.enc.SetFlags(a.enc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	}
	if err := a.enc.Open(ec, nil); err != nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, err, "cannot open audio encoder %s", name)
	}
	if err := t.ost.CodecParameters().FromCodecContext(a.enc); err != nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, err, "copying audio encoder parameters")
	}
	t.ost.SetTimeBase(a.enc.TimeBase())
	t.srcTb = a.enc.TimeBase()

	// abuffer -> trim -> resample/format -> fixed frame size -> abuffersink
	a.graph = astiav.AllocFilterGraph()
	a.frame, a.filt = astiav.AllocFrame(), astiav.AllocFrame()
	dl := a.dec.ChannelLayout()
	if !dl.Valid() || dl.NbChannels() == 0 {
		dl = layout
	}
	var err error
	a.src, err = a.graph.NewFilterContext(astiav.FindFilterByName("abuffer"), "in", astiav.FilterArgs{
		"time_base":      t.ist.TimeBase().String(),
		"sample_rate":    fmt.Sprint(a.dec.SampleRate()),
		"sample_fmt":     a.dec.SampleFormat().Name(),
		"channel_layout": dl.String(),
	})
	if err != nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter source")
	}
	if a.sink, err = a.graph.NewFilterContext(astiav.FindFilterByName("abuffersink"), "out", nil); err != nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter sink")
	}
	trim := fmt.Sprintf("atrim=start=%f", zero+startSec)
	if durSec > 0 {
		trim += fmt.Sprintf(":end=%f", zero+startSec+durSec)
	}
	resample := fmt.Sprint(rate)
	if a.clock != nil {
		// samples follow their timestamps across a discontinuity: a
		// dropped overlap leaves a gap of silence, not a shift
		resample += ":async=1:min_hard_comp=0.005:first_pts=0"
	}
	desc := fmt.Sprintf("%s,asetpts=PTS-STARTPTS,aresample=%s,aformat=sample_fmts=%s:channel_layouts=%s", trim, resample, sf.Name(), layout.String())
	if fs := a.enc.FrameSize(); fs > 0 {
		desc += fmt.Sprintf(",asetnsamples=n=%d:p=1", fs)
	}
	outputs, inputs := astiav.AllocFilterInOut(), astiav.AllocFilterInOut()
	defer outputs.Free()
	defer inputs.Free()
	outputs.SetName("in")
	outputs.SetFilterContext(a.src)
	outputs.SetPadIdx(0)
	outputs.SetNext(nil)
	inputs.SetName("out")
	inputs.SetFilterContext(a.sink)
	inputs.SetPadIdx(0)
	inputs.SetNext(nil)
	if err := a.graph.Parse(desc, inputs, outputs); err != nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter %q", desc)
	}
	if err := a.graph.Configure(); err != nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter %q", desc)
	}
	return nil
}

// namedLayout is FFmpeg's default layout for n channels where an encoder
// takes it (mono, stereo, 5.1, 7.1), else stereo.
func namedLayout(n int) astiav.ChannelLayout {
	switch n {
	case 1:
		return astiav.ChannelLayoutMono
	case 6:
		return astiav.ChannelLayout5Point1
	case 8:
		return astiav.ChannelLayout7Point1
	}
	return astiav.ChannelLayoutStereo
}

// started is called after the output header is written.
func (a *audioSource) started() {
	for _, t := range a.tracks {
		t.otb = t.ost.TimeBase()
	}
}

// writeUntil writes audio packets whose time is at most t seconds (t < 0:
// all that is left).
func (a *audioSource) writeUntil(t float64) error {
	for {
		if !a.ready {
			if err := a.fill(); err != nil {
				return err
			}
			if !a.ready {
				return nil // no more audio
			}
		}
		tr := a.cur
		at := float64(a.pkt.Dts()) * tr.srcTb.Float64()
		if a.pkt.Dts() == astiav.NoPtsValue {
			at = float64(a.pkt.Pts()) * tr.srcTb.Float64()
		}
		if t >= 0 && at > t {
			return nil
		}
		a.pkt.SetStreamIndex(tr.ost.Index())
		a.pkt.RescaleTs(tr.srcTb, tr.otb)
		a.ready = false
		if err := a.out.write(a.pkt); err != nil {
			return err
		}
	}
}

// fill puts the next packet into a.pkt (ready) or leaves ready false at the end.
func (a *audioSource) fill() error {
	if a.eof {
		return nil
	}
	if a.mode == audioCopy || a.mode == audioCopyAll {
		for {
			if err := a.read(); err != nil {
				if errors.Is(err, astiav.ErrEof) {
					a.eof = true
					return nil
				}
				return newErr(a.op, a.name, ErrTruncated, err, "reading audio")
			}
			t := a.byIndex[a.pkt.StreamIndex()]
			if t == nil || t.done {
				a.pkt.Unref()
				continue
			}
			if a.clock != nil {
				keep, err := a.clock.place(a.d.fc, t, a.pkt)
				if err != nil {
					return newErr(a.op, a.name, ErrTruncated, err, "reading audio")
				}
				if !keep {
					a.pkt.Unref()
					continue
				}
			}
			pts := a.pkt.Pts()
			if pts == astiav.NoPtsValue {
				pts = a.pkt.Dts()
			}
			// the packet that ends where the window starts, or in it, is
			// kept: a decoder needs it (AAC's encoder delay lies before
			// time 0, and each frame overlaps the one before), and the
			// muxer's edit list hides what precedes the window
			if pts != astiav.NoPtsValue && pts < t.start && (a.pkt.Duration() <= 0 || pts+a.pkt.Duration() < t.start) {
				a.pkt.Unref()
				continue
			}
			if pts != astiav.NoPtsValue && pts >= t.end {
				a.pkt.Unref()
				t.done = true
				if a.allDone() {
					a.eof = true
					return nil
				}
				continue
			}
			if a.pkt.Pts() != astiav.NoPtsValue {
				a.pkt.SetPts(a.pkt.Pts() - t.shift)
			}
			if a.pkt.Dts() != astiav.NoPtsValue {
				a.pkt.SetDts(a.pkt.Dts() - t.shift)
			}
			a.cur = t
			a.ready = true
			return nil
		}
	}
	for {
		err := a.enc.ReceivePacket(a.pkt)
		if err == nil {
			a.cur = a.tracks[0]
			a.ready = true
			return nil
		}
		if errors.Is(err, astiav.ErrEof) {
			a.eof = true
			return nil
		}
		if !errors.Is(err, astiav.ErrEagain) {
			return newErr(a.op, a.name, ErrUnsupportedCodec, err, "encoding audio")
		}
		if err := a.feedEncoder(); err != nil {
			return err
		}
	}
}

// feedEncoder moves one filtered frame (or the end of stream) to the encoder.
func (a *audioSource) feedEncoder() error {
	for {
		a.filt.Unref()
		err := a.sink.BuffersinkGetFrame(a.filt, astiav.NewBuffersinkFlags())
		if err == nil {
			a.filt.SetPts(a.nextPts)
			a.nextPts += int64(a.filt.NbSamples())
			if err := a.enc.SendFrame(a.filt); err != nil {
				return newErr(a.op, a.name, ErrUnsupportedCodec, err, "encoding audio")
			}
			return nil
		}
		if errors.Is(err, astiav.ErrEof) {
			if a.encEOF {
				return nil
			}
			a.encEOF = true
			if err := a.enc.SendFrame(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
				return newErr(a.op, a.name, ErrUnsupportedCodec, err, "flushing audio")
			}
			return nil
		}
		if !errors.Is(err, astiav.ErrEagain) {
			return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter")
		}
		if err := a.decodeMore(); err != nil {
			return err
		}
	}
}

// decodeMore pushes decoded audio (or the end) into the filter graph.
func (a *audioSource) decodeMore() error {
	for {
		err := a.dec.ReceiveFrame(a.frame)
		if err == nil {
			err = a.src.BuffersrcAddFrame(a.frame, astiav.NewBuffersrcFlags())
			a.frame.Unref()
			if err != nil {
				return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter")
			}
			return nil
		}
		if errors.Is(err, astiav.ErrEof) {
			if err := a.src.BuffersrcAddFrame(nil, astiav.NewBuffersrcFlags()); err != nil && !errors.Is(err, astiav.ErrEof) {
				return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter")
			}
			return nil
		}
		if !errors.Is(err, astiav.ErrEagain) {
			return newErr(a.op, a.name, ErrInvalidData, err, "decoding audio")
		}
		if a.decEOF {
			return nil
		}
		// read the next audio packet
		for {
			if err := a.read(); err != nil {
				if errors.Is(err, astiav.ErrEof) {
					a.decEOF = true
					if err := a.dec.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
						return newErr(a.op, a.name, ErrInvalidData, err, "flushing audio decoder")
					}
					break
				}
				return newErr(a.op, a.name, ErrTruncated, err, "reading audio")
			}
			if a.pkt.StreamIndex() != a.tracks[0].ist.Index() {
				a.pkt.Unref()
				continue
			}
			if a.clock != nil {
				keep, err := a.clock.place(a.d.fc, a.tracks[0], a.pkt)
				if err != nil {
					return newErr(a.op, a.name, ErrTruncated, err, "reading audio")
				}
				if !keep {
					a.pkt.Unref()
					continue
				}
			}
			err := a.dec.SendPacket(a.pkt)
			a.pkt.Unref()
			if err != nil && !errors.Is(err, astiav.ErrEagain) && !errors.Is(err, astiav.ErrInvaliddata) {
				return newErr(a.op, a.name, ErrInvalidData, err, "decoding audio")
			}
			break
		}
	}
}

// allDone reports whether every copied track is past its window.
// read reads the source's next packet into a.pkt, through the clock
// when there is one.
func (a *audioSource) read() error {
	if a.clock != nil {
		return a.clock.next(a.d.fc, a.pkt)
	}
	return a.d.fc.ReadFrame(a.pkt)
}

func (a *audioSource) allDone() bool {
	for _, t := range a.tracks {
		if !t.done {
			return false
		}
	}
	return true
}

func (a *audioSource) close() {
	if a.dec != nil {
		a.dec.Free()
	}
	if a.enc != nil {
		a.enc.Free()
	}
	if a.graph != nil {
		a.graph.Free()
	}
	if a.frame != nil {
		a.frame.Free()
	}
	if a.filt != nil {
		a.filt.Free()
	}
	if a.pkt != nil {
		a.pkt.Free()
	}
	if a.clock != nil {
		a.clock.close()
	}
	a.d.close()
}
