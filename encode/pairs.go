package encode

import (
	"errors"
	"fmt"

	"github.com/asticode/go-astiav"

	"github.com/reelmedia/reel/media"
)

// Pairs asks an encode for the frames a quality metric compares, made
// while it runs, so that scoring a chunk costs no second pass: each source
// frame the encoder is given (deinterlaced as the encoder saw it) is the
// reference, and each packet the encoder makes is decoded in process, then
// brought back to the reference's size, as the distorted frame. Push gets
// the two side by side, in order, frame by frame.
//
// The frames are exactly those OpenFrames gives for the source range (with
// the profile's Deinterlace, PixFmt, no Scaler) and for the stored chunk
// (with Width, Height, Scaler, PixFmt): the same decoders, the same filter
// graphs. A reference frame waits for its encoded twin for as long as the
// encoder holds frames back (its lookahead, B-frames and frame threads):
// that delay is the window, the only frames kept (ChunkResult.Window).
//
// A rate conversion (Profile.FPS) changes which frames are encoded; Pairs
// refuses it with ErrUnsupportedPairs, and a caller scores the stored
// chunk instead.
type Pairs struct {
	// Width and Height are the size both frames are delivered at (0 = the
	// source's, after OpenFrames' rules).
	Width, Height int
	// PixFmt is the pixel format of both, one media.Format can describe
	// (yuv420p, yuv420p10le, ...). Required.
	PixFmt string
	// Scaler brings the encoded frames to Width×Height (default bicubic).
	Scaler string
	// Threads for the decoder of the encoded packets (0 = one per core);
	// its frames do not depend on it.
	Threads int
	// Push gets each pair in order; index counts from the range's first
	// frame. Both frames are valid only during the call: Push copies what
	// it keeps. An error stops the encode and is returned by it.
	Push func(index int64, ref, dist *media.Frame) error
}

// pairer makes the pairs of one encode (Pairs).
type pairer struct {
	spec      Pairs
	name      string
	format    media.Format
	target    string
	w, h      int
	refFilter *videoFilter    // source frames to target (nil: as decoded)
	refs      []*astiav.Frame // references waiting for their encoded frame
	window    int             // the most refs held at once
	dec       *astiav.CodecContext
	frame     *astiav.Frame
	distSpec  filterSpec
	dist      *videoFilter // built from the first decoded frame
	distPlain bool         // decoded frames are already the target
	distReady bool
	n         int64
	ref, out  media.Frame
}

// newPairer prepares the pairs of an encode: x is its decoder, enc its
// opened encoder.
func newPairer(x *decoder, enc *astiav.CodecContext, name string, spec Pairs) (*pairer, error) {
	const op = "encode"
	pf := astiav.FindPixelFormatByName(spec.PixFmt)
	_, format, ok := pixFmtInfo(pf)
	if spec.PixFmt == "" || pf == astiav.PixelFormatNone || !ok {
		return nil, newErr(op, name, ErrUnsupportedPixFmt, nil, "pairs: pixel format %q cannot be delivered as a media.Frame", spec.PixFmt)
	}
	v := x.info.Video()
	w, h, err := outputSize(v.Width, v.Height, spec.Width, spec.Height)
	if err != nil {
		return nil, newErr(op, name, ErrRangeOutOfBounds, err, "pairs: bad size")
	}
	p := &pairer{spec: spec, name: name, format: format, target: pf.Name(), w: w, h: h}
	// the reference: OpenFrames of the source at its own size, no scaler
	if !(v.Width == w && v.Height == h && pf.Name() == v.PixFmt) {
		// as FrameReader.setup: the source's size, the default scaler
		if w != v.Width || h != v.Height {
			return nil, newErr(op, name, ErrUnsupportedPairs, nil, "pairs: references are delivered at the source's size %dx%d, not %dx%d", v.Width, v.Height, w, h)
		}
		if p.refFilter, err = newVideoFilter(x, filterSpec{width: w, height: h, pixFmt: p.target}); err != nil {
			return nil, newErr(op, name, ErrUnsupportedPixFmt, err, "pairs: cannot convert %s to %s", v.PixFmt, p.target)
		}
	}
	p.distSpec = filterSpec{width: w, height: h, scaler: spec.Scaler, pixFmt: p.target}
	codec := astiav.FindDecoder(enc.CodecID())
	if codec == nil {
		p.close()
		return nil, newErr(op, name, ErrUnsupportedCodec, nil, "pairs: no decoder for the encoder's codec")
	}
	cp := astiav.AllocCodecParameters()
	defer cp.Free()
	p.dec = astiav.AllocCodecContext(codec)
	if err := cp.FromCodecContext(enc); err == nil {
		err = cp.ToCodecContext(p.dec)
	}
	if err != nil {
		p.close()
		return nil, newErr(op, name, ErrUnsupportedCodec, err, "pairs: decoder parameters")
	}
	p.dec.SetTimeBase(enc.TimeBase())
	p.dec.SetThreadCount(spec.Threads)
	if err := p.dec.Open(codec, nil); err != nil {
		p.close()
		return nil, newErr(op, name, ErrUnsupportedCodec, err, "pairs: cannot open decoder %s", codec.Name())
	}
	p.frame = astiav.AllocFrame()
	return p, nil
}

// source queues a frame given to the encoder as the next reference.
func (p *pairer) source(f *astiav.Frame) error {
	src := f
	if p.refFilter != nil {
		var err error
		if src, err = p.refFilter.apply(f); err != nil {
			return newErr("encode", p.name, ErrUnsupportedPixFmt, err, "pairs: converting the reference")
		}
	}
	c := astiav.AllocFrame()
	if err := c.Ref(src); err != nil {
		c.Free()
		return newErr("encode", p.name, nil, err, "pairs: referencing a frame")
	}
	p.refs = append(p.refs, c)
	p.window = max(p.window, len(p.refs))
	return nil
}

// packet decodes one encoded packet (nil: the end) and pushes the pairs
// it completes.
func (p *pairer) packet(pkt *astiav.Packet) error {
	if err := p.dec.SendPacket(pkt); err != nil && !(pkt == nil && errors.Is(err, astiav.ErrEof)) {
		return newErr("encode", p.name, ErrInvalidData, err, "pairs: decoding the encoded frame %d", p.n)
	}
	for {
		p.frame.Unref()
		err := p.dec.ReceiveFrame(p.frame)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return newErr("encode", p.name, ErrInvalidData, err, "pairs: decoding the encoded frame %d", p.n)
		}
		if err := p.pair(p.frame); err != nil {
			return err
		}
	}
}

// pair delivers decoded frame d beside the oldest waiting reference.
func (p *pairer) pair(d *astiav.Frame) error {
	if len(p.refs) == 0 {
		return newErr("encode", p.name, ErrInvalidData, nil, "pairs: the encoder made more frames than it was given (%d)", p.n+1)
	}
	if !p.distReady {
		// as FrameReader.setup for the stored chunk
		if d.Width() == p.w && d.Height() == p.h && d.PixelFormat().Name() == p.target {
			p.distPlain = true
		} else {
			desc, err := p.distSpec.graph()
			if err == nil {
				p.dist, err = newFrameFilter(d, p.dec.TimeBase(), p.dec.Framerate(), desc)
			}
			if err != nil {
				return newErr("encode", p.name, ErrUnsupportedPixFmt, err, "pairs: cannot scale the encoded frames")
			}
		}
		p.distReady = true
	}
	out := d
	if !p.distPlain {
		var err error
		if out, err = p.dist.apply(d); err != nil {
			return newErr("encode", p.name, ErrUnsupportedPixFmt, err, "pairs: scaling encoded frame %d", p.n)
		}
	}
	ref := p.refs[0]
	p.refs[0] = nil
	p.refs = p.refs[1:]
	defer ref.Free()
	if err := mediaFrame(ref, p.format, p.n, &p.ref); err != nil {
		return newErr("encode", p.name, ErrInvalidData, err, "pairs: reference %d", p.n)
	}
	if err := mediaFrame(out, p.format, p.n, &p.out); err != nil {
		return newErr("encode", p.name, ErrInvalidData, err, "pairs: encoded frame %d", p.n)
	}
	if err := p.spec.Push(p.n, &p.ref, &p.out); err != nil {
		return err
	}
	p.n++
	return nil
}

// finish drains the decoder: every reference must have found its frame.
func (p *pairer) finish() error {
	if err := p.packet(nil); err != nil {
		return err
	}
	if len(p.refs) > 0 {
		return newErr("encode", p.name, ErrInvalidData, nil, "pairs: %d frames given to the encoder never came out of it", len(p.refs))
	}
	return nil
}

func (p *pairer) close() {
	for _, f := range p.refs {
		f.Free()
	}
	p.refs = nil
	if p.refFilter != nil {
		p.refFilter.close()
	}
	if p.dist != nil {
		p.dist.close()
	}
	if p.dec != nil {
		p.dec.Free()
	}
	if p.frame != nil {
		p.frame.Free()
	}
}

// newFrameFilter builds the graph desc fed with frames like f, in time
// base tb at rate fps.
func newFrameFilter(f *astiav.Frame, tb, fps astiav.Rational, desc string) (*videoFilter, error) {
	if fps.Num() <= 0 || fps.Den() <= 0 {
		fps = astiav.NewRational(tb.Den(), tb.Num())
	}
	return newGraph(f.Width(), f.Height(), f.PixelFormat(), f.SampleAspectRatio(), tb, fps, desc)
}

// mediaFrame points out at f's planes (format, f's size), without copying.
func mediaFrame(f *astiav.Frame, format media.Format, index int64, out *media.Frame) error {
	out.Index = index
	out.Format = format
	out.Width, out.Height = f.Width(), f.Height()
	out.Color = frameColor(f)
	out.Planes = out.Planes[:0]
	if _, ff, ok := pixFmtInfo(f.PixelFormat()); !ok || ff != format {
		return fmt.Errorf("pixel format %s, expected %s", f.PixelFormat().Name(), format)
	}
	for i := range planeCount(format) {
		pl, ok := planeOf(f, i, format, out.Width, out.Height, 1)
		if !ok {
			return fmt.Errorf("no plane %d", i)
		}
		out.Planes = append(out.Planes, pl)
	}
	return nil
}
