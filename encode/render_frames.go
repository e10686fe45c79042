package encode

import (
	"context"
	"hash/maphash"
	"io"
	"strings"

	"github.com/asticode/go-astiav"

	"github.com/reelmedia/reel/media"
)

// SequenceReader delivers an image sequence's frames as media.Frame values
// through Render's own reading: the same fresh decoder per file, the same
// display transform for scene-linear frames and the same LUT
// (RenderOptions Display, LUT and Threads; the rest is ignored), at the
// frames' size, converted to BT.709 Y'CbCr, limited range, in the pixel
// format asked for. So two renders compare in display space, as a review
// shows them. A frame with no file (RenderFrame.File "") is black. It
// implements media.FrameReader; a frame's Index is its position in
// frames. It is not safe for concurrent use.
type SequenceReader struct {
	r       *renderer
	frames  []RenderFrame
	pixFmt  astiav.PixelFormat
	format  media.Format
	next    int
	isFloat bool
	black   *astiav.Frame
	cur     *astiav.Frame
	out     media.Frame
}

// OpenSequence checks the options and reads the first frame, which sets
// the sequence's size and pixel format (a frame that differs is
// ErrInvalidData naming it, as in Render).
func OpenSequence(ctx context.Context, files FrameFiles, frames []RenderFrame, o RenderOptions, pixFmt string) (*SequenceReader, error) {
	const op = "render frames"
	if len(frames) == 0 {
		return nil, newErr(op, "", ErrRangeOutOfBounds, nil, "no frames")
	}
	pf := astiav.FindPixelFormatByName(pixFmt)
	_, format, ok := pixFmtInfo(pf)
	if pf == astiav.PixelFormatNone || !ok || !strings.HasPrefix(pixFmt, "yuv") {
		return nil, newErr(op, "", ErrUnsupportedPixFmt, nil, "pixel format %q is not a planar Y'CbCr format a media.Frame holds", pixFmt)
	}
	transfer := ""
	switch o.Display {
	case "", "rec709":
		transfer = "bt709"
	case "srgb":
		transfer = "iec61966-2-1"
	default:
		return nil, newErr(op, "", ErrInvalidData, nil, "unknown display %q (want srgb or rec709)", o.Display)
	}
	if strings.ContainsAny(o.LUT, unsafeFilterArg) {
		return nil, newErr(op, o.LUT, ErrInvalidData, nil, "a LUT path may not contain any of %q", unsafeFilterArg)
	}
	s := &SequenceReader{frames: frames, pixFmt: pf, format: format,
		r: &renderer{op: op, files: files, o: o, rc: renderCodec{pixFmt: pf, chroma: [2]int{1, 1}}, seed: maphash.MakeSeed()}}
	if err := s.open(ctx, transfer); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *SequenceReader) open(ctx context.Context, transfer string) error {
	r := s.r
	for _, f := range s.frames {
		if f.File == "" {
			continue
		}
		first, err := r.decode(ctx, f.File)
		if err != nil {
			return err
		}
		r.w, r.h, r.pixFmt = first.Width(), first.Height(), first.PixelFormat()
		first.Free()
		break
	}
	if r.w == 0 {
		return newErr(r.op, "", ErrRangeOutOfBounds, nil, "every frame is missing")
	}
	s.isFloat = isFloatPixFmt(r.pixFmt)
	r.lay = newRenderLayout(r.w, r.h, 0, 0, "", 0, [2]int{1, 1})
	var err error
	if r.filter, err = newRenderGraph(r.w, r.h, r.pixFmt, Rational{24, 1}, r.pictureDesc(s.isFloat, transfer)); err != nil {
		return newErr(r.op, "", ErrUnsupportedPixFmt, err, "frames in %s", r.pixFmt.Name())
	}
	s.black = astiav.AllocFrame()
	s.black.SetWidth(r.w)
	s.black.SetHeight(r.h)
	s.black.SetPixelFormat(r.pixFmt)
	if err := s.black.AllocBuffer(0); err != nil {
		return newErr(r.op, "", nil, err, "allocating a black frame")
	}
	if err := zeroFrame(s.black); err != nil {
		return newErr(r.op, "", ErrUnsupportedPixFmt, err, "black frame in %s", r.pixFmt.Name())
	}
	return nil
}

// ReadFrame returns the next frame, io.EOF after the last. Its planes
// stay valid until the next ReadFrame.
func (s *SequenceReader) ReadFrame(ctx context.Context) (*media.Frame, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.next >= len(s.frames) {
		return nil, io.EOF
	}
	r, f := s.r, s.frames[s.next]
	in := s.black
	if f.File != "" {
		if s.cur != nil {
			s.cur.Free()
			s.cur = nil
		}
		var err error
		if s.cur, err = r.decode(ctx, f.File); err != nil {
			return nil, err
		}
		if s.cur.Width() != r.w || s.cur.Height() != r.h || s.cur.PixelFormat() != r.pixFmt {
			return nil, newErr(r.op, f.File, ErrInvalidData, nil, "frame %d is %dx%d %s, the sequence is %dx%d %s (first odd frame)",
				f.Number, s.cur.Width(), s.cur.Height(), s.cur.PixelFormat().Name(), r.w, r.h, r.pixFmt.Name())
		}
		in = s.cur
	}
	in.SetPts(int64(s.next))
	out, err := r.filter.apply(in)
	if err != nil {
		return nil, newErr(r.op, f.File, ErrUnsupportedPixFmt, err, "filtering frame %d", f.Number)
	}
	m := &s.out
	m.Index, m.PTS = int64(s.next), float64(s.next)/24
	m.Format, m.Width, m.Height = s.format, out.Width(), out.Height()
	m.Color = frameColor(out)
	m.Planes = m.Planes[:0]
	for i := 0; i < 3; i++ {
		pw, ph := s.format.Chroma.ChromaSize(m.Width, m.Height)
		if i == 0 {
			pw, ph = m.Width, m.Height
		}
		pix, stride := framePlane(out, i, ph)
		if pix == nil {
			return nil, newErr(r.op, f.File, ErrInvalidData, nil, "frame %d has no plane %d", f.Number, i)
		}
		m.Planes = append(m.Planes, media.Plane{Pix: pix, Stride: stride, Width: pw, Height: ph, BitDepth: s.format.BitDepth})
	}
	s.next++
	return m, nil
}

// Close releases FFmpeg's resources.
func (s *SequenceReader) Close() error {
	if s.cur != nil {
		s.cur.Free()
		s.cur = nil
	}
	if s.black != nil {
		s.black.Free()
		s.black = nil
	}
	s.r.close()
	return nil
}

var _ media.FrameReader = (*SequenceReader)(nil)
