package encode

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/asticode/go-astiav"
)

// renderAudioRate is the sample rate of a review movie's sound.
const renderAudioRate = 48000

// renderAudio muxes a sound file into a review movie: its first sample
// plays with the first picture frame (after the slate, which gets
// silence), trimmed or padded with silence to the pictures' length. It
// is resampled to 48 kHz and encoded as PCM s24le (ProRes, DNxHR) or AAC
// (H.264).
type renderAudio struct {
	op, name string
	d        *demuxer
	ist      *astiav.Stream
	ost      *astiav.Stream
	out      *output
	dec, enc *astiav.CodecContext
	graph    *astiav.FilterGraph
	src      *astiav.FilterContext
	sink     *astiav.FilterContext
	frame    *astiav.Frame
	filt     *astiav.Frame
	pkt      *astiav.Packet
	nextPts  int64
	decEOF   bool
	filtEOF  bool
	encEOF   bool
	ready    bool // pkt holds the next encoded packet
}

// renderAudioCodec is the audio codec that goes with a review codec.
func renderAudioCodec(videoCodec string) (string, astiav.SampleFormat) {
	if videoCodec == "h264" {
		return "aac", astiav.SampleFormatFltp
	}
	return "pcm_s24le", astiav.SampleFormatS32
}

// newRenderAudio opens in and adds its output stream to out (before the
// header is written): lead samples of silence, then body samples of the
// file's sound (trimmed, or padded with silence).
func newRenderAudio(ctx context.Context, op string, in Input, out *output, videoCodec string, lead, body int64) (*renderAudio, error) {
	d, err := openDemuxer(ctx, op, in)
	if err != nil {
		return nil, err
	}
	a := &renderAudio{op: op, name: in.name(), d: d, out: out, pkt: astiav.AllocPacket(), frame: astiav.AllocFrame(), filt: astiav.AllocFrame()}
	if err := a.init(videoCodec, lead, body); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *renderAudio) init(videoCodec string, lead, body int64) error {
	if a.ist = a.d.audioStream(); a.ist == nil {
		return newErr(a.op, a.name, ErrNoAudioTrack, nil, "the audio file has no audio stream")
	}
	cp := a.ist.CodecParameters()
	dc := astiav.FindDecoder(cp.CodecID())
	if dc == nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, nil, "no decoder for audio codec %s", cp.CodecID().Name())
	}
	a.dec = astiav.AllocCodecContext(dc)
	if err := cp.ToCodecContext(a.dec); err != nil {
		return newErr(a.op, a.name, ErrInvalidData, err, "bad audio parameters")
	}
	a.dec.SetTimeBase(a.ist.TimeBase())
	if err := a.dec.Open(dc, nil); err != nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, err, "cannot open audio decoder")
	}
	layout := a.dec.ChannelLayout()
	if !layout.Valid() || layout.NbChannels() == 0 {
		layout = namedLayout(cp.ChannelLayout().NbChannels())
	}
	inLayout := layout
	if layout.NbChannels() > 2 {
		layout = namedLayout(layout.NbChannels())
	} else if layout.NbChannels() == 1 {
		layout = astiav.ChannelLayoutMono
	} else {
		layout = astiav.ChannelLayoutStereo
	}
	name, sf := renderAudioCodec(videoCodec)
	ec := astiav.FindEncoderByName(name)
	if ec == nil {
		return newErr(a.op, a.out.path, ErrUnsupportedCodec, nil, "encoder %s is not in this FFmpeg build", name)
	}
	a.enc = astiav.AllocCodecContext(ec)
	a.enc.SetSampleFormat(sf)
	a.enc.SetSampleRate(renderAudioRate)
	a.enc.SetChannelLayout(layout)
	a.enc.SetTimeBase(astiav.NewRational(1, renderAudioRate))
	if name == "aac" {
		a.enc.SetBitRate(128000 * int64(max(layout.NbChannels()/2, 1)))
	}
	if a.out.globalHeader() {
		a.enc.SetFlags(a.enc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	}
	if err := a.enc.Open(ec, nil); err != nil {
		return newErr(a.op, a.out.path, ErrUnsupportedCodec, err, "cannot open audio encoder %s", name)
	}
	if a.ost = a.out.fc.NewStream(nil); a.ost == nil {
		return newErr(a.op, a.out.path, ErrOutputUnwritable, nil, "cannot add an audio stream")
	}
	if err := a.ost.CodecParameters().FromCodecContext(a.enc); err != nil {
		return newErr(a.op, a.out.path, ErrUnsupportedCodec, err, "copying audio encoder parameters")
	}
	a.ost.CodecParameters().SetCodecTag(0)
	a.ost.SetTimeBase(a.enc.TimeBase())

	a.graph = astiav.AllocFilterGraph()
	var err error
	a.src, err = a.graph.NewFilterContext(astiav.FindFilterByName("abuffer"), "in", astiav.FilterArgs{
		"time_base":      a.ist.TimeBase().String(),
		"sample_rate":    fmt.Sprint(a.dec.SampleRate()),
		"sample_fmt":     a.dec.SampleFormat().Name(),
		"channel_layout": inLayout.String(),
	})
	if err != nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter source")
	}
	if a.sink, err = a.graph.NewFilterContext(astiav.FindFilterByName("abuffersink"), "out", nil); err != nil {
		return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter sink")
	}
	// the file's own timestamps are ignored: its first decoded sample is
	// the first picture's, whatever a container's start time says
	desc := fmt.Sprintf("asetpts=N/SR/TB,aresample=%d,atrim=end_sample=%d,apad=whole_len=%d", renderAudioRate, body, body)
	if lead > 0 {
		desc += fmt.Sprintf(",adelay=delays=%dS:all=1", lead)
	}
	if fs := a.enc.FrameSize(); fs > 0 {
		desc += fmt.Sprintf(",asetnsamples=n=%d:p=0", fs)
	}
	// last: the sink takes any format, and adelay works in planar ones
	desc += fmt.Sprintf(",aformat=sample_fmts=%s:channel_layouts=%s", sf.Name(), layout.String())
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

// writeUntil writes the encoded audio up to t seconds (t < 0: all of it).
// The stream's time base is read here, after the header was written.
func (a *renderAudio) writeUntil(t float64) error {
	tb := a.enc.TimeBase()
	for {
		if !a.ready {
			if err := a.next(); err != nil {
				return err
			}
			if !a.ready {
				return nil
			}
		}
		if t >= 0 && float64(a.pkt.Pts())*tb.Float64() > t {
			return nil
		}
		a.pkt.SetStreamIndex(a.ost.Index())
		a.pkt.RescaleTs(tb, a.ost.TimeBase())
		a.ready = false
		if err := a.out.write(a.pkt); err != nil {
			return err
		}
	}
}

// next encodes until a packet is ready or the audio has ended.
func (a *renderAudio) next() error {
	for {
		err := a.enc.ReceivePacket(a.pkt)
		if err == nil {
			a.ready = true
			return nil
		}
		if errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if !errors.Is(err, astiav.ErrEagain) {
			return newErr(a.op, a.name, ErrUnsupportedCodec, err, "encoding audio")
		}
		if a.encEOF {
			return nil
		}
		if err := a.feed(); err != nil {
			return err
		}
	}
}

// feed moves one filtered frame (or the end) to the encoder.
func (a *renderAudio) feed() error {
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
			a.encEOF = true
			if err := a.enc.SendFrame(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
				return newErr(a.op, a.name, ErrUnsupportedCodec, err, "flushing audio")
			}
			return nil
		}
		if !errors.Is(err, astiav.ErrEagain) {
			return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter")
		}
		if err := a.decode(); err != nil {
			return err
		}
	}
}

// decode pushes the next decoded frame (or the end) into the filter graph.
func (a *renderAudio) decode() error {
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
			if a.filtEOF {
				return newErr(a.op, a.name, ErrUnsupportedCodec, nil, "the audio filter holds back its end")
			}
			a.filtEOF = true
			if err := a.src.BuffersrcAddFrame(nil, astiav.NewBuffersrcFlags()); err != nil && !errors.Is(err, astiav.ErrEof) {
				return newErr(a.op, a.name, ErrUnsupportedCodec, err, "audio filter")
			}
			return nil
		}
		if !errors.Is(err, astiav.ErrEagain) {
			return newErr(a.op, a.name, ErrInvalidData, err, "decoding audio")
		}
		if a.decEOF {
			return newErr(a.op, a.name, ErrInvalidData, nil, "the audio decoder holds back its end")
		}
		if err := a.readPacket(); err != nil {
			return err
		}
	}
}

// readPacket sends the next packet of the audio stream (or the end) to
// the decoder.
func (a *renderAudio) readPacket() error {
	for {
		if err := a.d.fc.ReadFrame(a.pkt); err != nil {
			if !errors.Is(err, astiav.ErrEof) {
				return newErr(a.op, a.name, ErrTruncated, err, "reading audio")
			}
			a.decEOF = true
			if err := a.dec.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
				return newErr(a.op, a.name, ErrInvalidData, err, "flushing the audio decoder")
			}
			return nil
		}
		if a.pkt.StreamIndex() != a.ist.Index() {
			a.pkt.Unref()
			continue
		}
		err := a.dec.SendPacket(a.pkt)
		a.pkt.Unref()
		if err != nil && !errors.Is(err, astiav.ErrEagain) {
			return newErr(a.op, a.name, ErrInvalidData, err, "decoding audio")
		}
		return nil
	}
}

// samplesFor is the number of 48 kHz samples in n frames at fps.
func samplesFor(n int64, fps Rational) int64 {
	return int64(math.Round(float64(n) * renderAudioRate * float64(fps.Den) / float64(fps.Num)))
}

func (a *renderAudio) close() {
	for _, f := range []*astiav.Frame{a.frame, a.filt} {
		if f != nil {
			f.Free()
		}
	}
	if a.pkt != nil {
		a.pkt.Free()
	}
	if a.graph != nil {
		a.graph.Free()
	}
	if a.dec != nil {
		a.dec.Free()
	}
	if a.enc != nil {
		a.enc.Free()
	}
	a.d.close()
}
