package y4m

import (
	"bufio"
	"fmt"
	"io"

	"github.com/reelmedia/reel/media"
)

// Writer writes a YUV4MPEG2 stream. It buffers; call Flush at
// the end. Writing a file atomically (temporary name, then rename) is the
// caller's job.
type Writer struct {
	bw     *bufio.Writer
	header Header
	n      int64
}

// NewWriter writes h's header line to w. h.Width, h.Height and h.Format
// must be set; h.Colorspace, when set, must decode to h.Format.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if h.Width <= 0 || h.Height <= 0 || h.Width > MaxDimension || h.Height > MaxDimension {
		return nil, fmt.Errorf("y4m: writer: size %dx%d (want 1..%d each): %w", h.Width, h.Height, MaxDimension, ErrBadHeader)
	}
	if h.Colorspace == "" {
		if _, err := colorspaceName(h.Format); err != nil {
			return nil, fmt.Errorf("y4m: writer: %w", err)
		}
	} else if f, err := parseColorspace(h.Colorspace); err != nil || f != h.Format {
		return nil, fmt.Errorf("y4m: writer: colour space %q does not describe %v: %w", h.Colorspace, h.Format, ErrBadHeader)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(h.String() + "\n"); err != nil {
		return nil, fmt.Errorf("y4m: writer: %w", err)
	}
	return &Writer{bw: bw, header: h}, nil
}

// WriteFrame writes one frame. Its size and format must be the header's;
// its planes may have any stride.
func (w *Writer) WriteFrame(f *media.Frame) error {
	if err := checkFrame(f, w.header.Width, w.header.Height, w.header.Format); err != nil {
		return fmt.Errorf("y4m: writer: frame %d: %w", w.n, err)
	}
	if _, err := w.bw.WriteString("FRAME\n"); err != nil {
		return fmt.Errorf("y4m: writer: %w", err)
	}
	if err := writePlanes(w.bw, f); err != nil {
		return fmt.Errorf("y4m: writer: %w", err)
	}
	w.n++
	return nil
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.bw.Flush() }

// WriteRaw writes f's planes as a raw .yuv frame (no header, no FRAME line).
func WriteRaw(w io.Writer, f *media.Frame) error {
	if f == nil {
		return fmt.Errorf("y4m: raw: nil frame: %w", ErrFrameMismatch)
	}
	if err := checkFrame(f, f.Width, f.Height, f.Format); err != nil {
		return fmt.Errorf("y4m: raw: frame %d: %w", f.Index, err)
	}
	return writePlanes(w, f)
}

func writePlanes(w io.Writer, f *media.Frame) error {
	for _, p := range f.Planes {
		for y := 0; y < p.Height; y++ {
			if _, err := w.Write(p.Row(y)); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFrame makes sure f has the expected geometry and planes that really
// hold their samples.
func checkFrame(f *media.Frame, w, h int, format media.Format) error {
	if f == nil {
		return fmt.Errorf("nil frame: %w", ErrFrameMismatch)
	}
	if f.Width != w || f.Height != h || f.Format != format {
		return fmt.Errorf("%dx%d %v, stream is %dx%d %v: %w", f.Width, f.Height, f.Format, w, h, format, ErrFrameMismatch)
	}
	want := 3
	if format.Chroma == media.Chroma400 {
		want = 1
	}
	if len(f.Planes) != want {
		return fmt.Errorf("%d planes, want %d: %w", len(f.Planes), want, ErrFrameMismatch)
	}
	bps := format.BytesPerSample()
	for i, p := range f.Planes {
		pw, ph := w, h
		if i > 0 {
			pw, ph = format.Chroma.ChromaSize(w, h)
		}
		if p.Width != pw || p.Height != ph || p.Stride < pw*bps || len(p.Pix) < (ph-1)*p.Stride+pw*bps {
			return fmt.Errorf("plane %d is %dx%d (stride %d, %d bytes), want %dx%d: %w", i, p.Width, p.Height, p.Stride, len(p.Pix), pw, ph, ErrFrameMismatch)
		}
	}
	return nil
}
