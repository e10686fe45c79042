package archer

import (
	"fmt"
	"image"

	"gocv.io/x/gocv"

	"github.com/reelmedia/reel/media"
)

// Frame is one picture prepared for the analyzers. Its Mats belong to the
// worker that prepared it: they are valid only during Analyzer.Process and
// are overwritten by the next frame. Analyzers must copy what they keep.
type Frame struct {
	Index  int64   // source frame index
	PTS    float64 // seconds
	Width  int     // source luma width
	Height int     // source luma height
	// Luma is the full-resolution luma as 8-bit samples (CV_8UC1). Deeper
	// sources are scaled down to 8 bits (v >> (depth-8), rounded).
	Luma gocv.Mat
	// Gray is Luma downscaled once to the analysis size (area averaging);
	// the same Mat as Luma when Luma is already that size. Analyzers only
	// read them.
	Gray gocv.Mat
	// U and V are the chroma planes at half the analysis size, 8-bit. They
	// are set only when Chroma is true (not for gray, 4:0:0, sources).
	U, V   gocv.Mat
	Chroma bool
	// LumaHist counts the samples of Gray by value.
	LumaHist [256]uint32
}

// preparer turns media.Frames into Frames. It owns its Mats and reuses them
// from frame to frame; one per worker.
type preparer struct {
	analysisHeight int
	size           image.Point // source size of the first frame; later frames must match
	format         media.Format
	luma           gocv.Mat // full-size 8-bit luma
	wide           gocv.Mat // full-size 16-bit plane, for deep sources
	cu, cv         gocv.Mat // full chroma planes, 8-bit
	gray           gocv.Mat
	u, v           gocv.Mat
	frame          Frame
}

func newPreparer(analysisHeight int) *preparer {
	return &preparer{
		analysisHeight: analysisHeight,
		luma:           gocv.NewMat(),
		wide:           gocv.NewMat(),
		cu:             gocv.NewMat(),
		cv:             gocv.NewMat(),
		gray:           gocv.NewMat(),
		u:              gocv.NewMat(),
		v:              gocv.NewMat(),
	}
}

func (p *preparer) Close() error {
	for _, m := range []*gocv.Mat{&p.luma, &p.wide, &p.cu, &p.cv, &p.gray, &p.u, &p.v} {
		m.Close()
	}
	return nil
}

// reset forgets the frame size, so the next run may use another one.
func (p *preparer) reset() { p.size = image.Point{} }

// analysisSize is the size frames of w×h are analysed at.
func analysisSize(w, h, target int) image.Point {
	if h <= target {
		return image.Pt(w, h)
	}
	aw := int(float64(w)*float64(target)/float64(h)+1) &^ 1
	return image.Pt(max(2, aw), target)
}

// checkFrame validates the geometry of a media.Frame against its format.
func checkFrame(f *media.Frame) error {
	if f.Width <= 0 || f.Height <= 0 {
		return fmt.Errorf("frame %d: size %dx%d: %w", f.Index, f.Width, f.Height, ErrInvalidInput)
	}
	if f.Format.BitDepth < 8 || f.Format.BitDepth > 16 {
		return fmt.Errorf("frame %d: %d-bit samples: %w (want 8..16)", f.Index, f.Format.BitDepth, ErrUnsupportedFormat)
	}
	want := 3
	switch f.Format.Chroma {
	case media.Chroma400:
		want = 1
	case media.Chroma420, media.Chroma422, media.Chroma444:
	default:
		return fmt.Errorf("frame %d: chroma %v: %w", f.Index, f.Format.Chroma, ErrUnsupportedFormat)
	}
	if len(f.Planes) < want {
		return fmt.Errorf("frame %d: %s needs %d planes, has %d: %w", f.Index, f.Format, want, len(f.Planes), ErrUnsupportedFormat)
	}
	bps := f.Format.BytesPerSample()
	for i := 0; i < want; i++ {
		pl := f.Planes[i]
		w, h := f.Width, f.Height
		if i > 0 {
			w, h = f.Format.Chroma.ChromaSize(f.Width, f.Height)
		}
		if pl.Width != w || pl.Height != h {
			return fmt.Errorf("frame %d: plane %d is %dx%d, %s %dx%d needs %dx%d: %w", f.Index, i, pl.Width, pl.Height, f.Format, f.Width, f.Height, w, h, ErrInvalidInput)
		}
		if pl.Stride < w*bps || len(pl.Pix) < (h-1)*pl.Stride+w*bps {
			return fmt.Errorf("frame %d: plane %d: %d bytes with stride %d is too short for %dx%d: %w", f.Index, i, len(pl.Pix), pl.Stride, w, h, ErrInvalidInput)
		}
	}
	return nil
}

// copyPlane copies a plane into m (resized as needed), as 8-bit samples.
// Copying into C memory keeps no Go pointer inside OpenCV past the call.
func (p *preparer) copyPlane(pl media.Plane, m *gocv.Mat) error {
	w, h := pl.Width, pl.Height
	if pl.BitDepth <= 8 {
		if m.Rows() != h || m.Cols() != w || m.Type() != gocv.MatTypeCV8UC1 {
			m.Close()
			*m = gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC1)
		}
		dst, err := m.DataPtrUint8()
		if err != nil {
			return err
		}
		for y := 0; y < h; y++ {
			copy(dst[y*w:(y+1)*w], pl.Pix[y*pl.Stride:y*pl.Stride+w])
		}
		return nil
	}
	if p.wide.Rows() != h || p.wide.Cols() != w {
		p.wide.Close()
		p.wide = gocv.NewMatWithSize(h, w, gocv.MatTypeCV16UC1)
	}
	dst, err := p.wide.DataPtrUint8()
	if err != nil {
		return err
	}
	for y := 0; y < h; y++ {
		copy(dst[y*2*w:(y+1)*2*w], pl.Pix[y*pl.Stride:y*pl.Stride+2*w])
	}
	// Samples are little-endian 16-bit, as the host's; scale to 8 bits.
	p.wide.ConvertToWithParams(m, gocv.MatTypeCV8UC1, float32(1)/float32(int(1)<<(pl.BitDepth-8)), 0)
	return nil
}

// prepare converts mf into p's Frame. The result is valid until the next call.
func (p *preparer) prepare(mf *media.Frame) (*Frame, error) {
	if err := checkFrame(mf); err != nil {
		return nil, err
	}
	sz := image.Pt(mf.Width, mf.Height)
	if p.size == (image.Point{}) {
		p.size, p.format = sz, mf.Format
	} else if sz != p.size {
		return nil, fmt.Errorf("frame %d: size changed from %dx%d to %dx%d: %w", mf.Index, p.size.X, p.size.Y, sz.X, sz.Y, ErrInvalidInput)
	}
	if err := p.copyPlane(mf.Planes[0], &p.luma); err != nil {
		return nil, err
	}
	as := analysisSize(mf.Width, mf.Height, p.analysisHeight)
	gray := p.luma // already at the analysis size (the decoder scaled it): shared, not copied
	if as != sz {
		gocv.Resize(p.luma, &p.gray, as, 0, 0, gocv.InterpolationArea)
		gray = p.gray
	}
	f := &p.frame
	*f = Frame{Index: mf.Index, PTS: mf.PTS, Width: mf.Width, Height: mf.Height, Luma: p.luma, Gray: gray}
	pix, err := gray.DataPtrUint8()
	if err != nil {
		return nil, err
	}
	histogram(pix, &f.LumaHist)
	if mf.Format.Chroma != media.Chroma400 {
		cs := image.Pt(max(1, as.X/2), max(1, as.Y/2))
		var uv [2]gocv.Mat
		for i, pair := range [][2]*gocv.Mat{{&p.cu, &p.u}, {&p.cv, &p.v}} {
			if err := p.copyPlane(mf.Planes[1+i], pair[0]); err != nil {
				return nil, err
			}
			uv[i] = *pair[0]
			if pair[0].Cols() != cs.X || pair[0].Rows() != cs.Y {
				gocv.Resize(*pair[0], pair[1], cs, 0, 0, gocv.InterpolationArea)
				uv[i] = *pair[1]
			}
		}
		f.U, f.V, f.Chroma = uv[0], uv[1], true
	}
	return f, nil
}
