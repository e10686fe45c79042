package y4m

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/reelmedia/reel/media"
)

// Reader reads frames from a YUV4MPEG2 stream. It implements
// media.FrameReader. A frame it returns shares the reader's buffer and is
// valid until the next ReadFrame call.
type Reader struct {
	name   string
	br     *bufio.Reader
	header Header
	frames planes
	index  int64
	closer io.Closer
	err    error // sticky: after an error every call returns it
}

// NewReader reads the stream header from r. name labels errors (a file
// name, usually).
func NewReader(r io.Reader, name string) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	line, err := readLine(br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("y4m: %s: empty input, no header: %w", name, ErrBadHeader)
		}
		return nil, fmt.Errorf("y4m: %s: header: %w", name, err)
	}
	h, err := ParseHeader(line)
	if err != nil {
		return nil, fmt.Errorf("y4m: %s: %w", name, err)
	}
	return &Reader{name: name, br: br, header: h, frames: newPlanes(h.Width, h.Height, h.Format)}, nil
}

// Open opens a .y4m file; Close closes it.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("y4m: %w", err)
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// Header returns the stream header.
func (r *Reader) Header() Header { return r.header }

// Close closes the file Open opened; it does nothing for NewReader's.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// ReadFrame returns the next frame, or io.EOF after the last one.
func (r *Reader) ReadFrame(ctx context.Context) (*media.Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := r.readFrame()
	if err != nil {
		r.err = err
		return nil, err
	}
	return f, nil
}

func (r *Reader) readFrame() (*media.Frame, error) {
	line, err := readLine(r.br)
	if errors.Is(err, io.EOF) && line == "" {
		return nil, io.EOF
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("y4m: %s: frame %d: input ends inside its FRAME line: %w", r.name, r.index, ErrTruncated)
		}
		return nil, fmt.Errorf("y4m: %s: frame %d: %w", r.name, r.index, err)
	}
	if line != "FRAME" && !strings.HasPrefix(line, "FRAME ") {
		return nil, fmt.Errorf("y4m: %s: frame %d: %.40q is not a FRAME line: %w", r.name, r.index, line, ErrBadHeader)
	}
	if err := r.frames.read(r.br); err != nil {
		return nil, fmt.Errorf("y4m: %s: frame %d: %w", r.name, r.index, err)
	}
	f := r.frames.frame(r.index, r.header.Format)
	if fps := r.header.FrameRate(); fps > 0 {
		f.PTS = float64(r.index) / fps
	}
	f.Color.Range = r.header.Range
	r.index++
	return f, nil
}

// readLine reads up to '\n' (not included), at most maxLine bytes.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > maxLine {
			return "", fmt.Errorf("line longer than %d bytes: %w", maxLine, ErrBadHeader)
		}
		if err == nil {
			return string(b[:len(b)-1]), nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return string(b), err
	}
}

// planes holds one frame's bytes and knows how to cut them into planes.
type planes struct {
	w, h int
	f    media.Format
	size int
	buf  []byte
}

func newPlanes(w, h int, f media.Format) planes {
	return planes{w: w, h: h, f: f, size: FrameSize(w, h, f)}
}

// read fills the buffer with one frame. The buffer grows with the data
// actually read, so a header that promises a huge frame over a short input
// costs no more memory than the input.
func (p *planes) read(rd io.Reader) error {
	if cap(p.buf) >= p.size {
		p.buf = p.buf[:p.size]
		n, err := io.ReadFull(rd, p.buf)
		return truncated(n, p.size, err)
	}
	p.buf = p.buf[:0]
	for len(p.buf) < p.size {
		chunk := min(p.size-len(p.buf), max(len(p.buf), 1<<20))
		start := len(p.buf)
		p.buf = append(p.buf, make([]byte, chunk)...)
		n, err := io.ReadFull(rd, p.buf[start:])
		if err != nil {
			return truncated(start+n, p.size, err)
		}
	}
	return nil
}

func truncated(n, size int, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("input ends after %d of its %d bytes: %w", n, size, ErrTruncated)
	}
	return err
}

// frame cuts the buffer into a frame's planes (no copy).
func (p *planes) frame(index int64, format media.Format) *media.Frame {
	f := &media.Frame{Index: index, Format: format, Width: p.w, Height: p.h}
	bps := format.BytesPerSample()
	off := 0
	add := func(w, h int) {
		n := w * h * bps
		f.Planes = append(f.Planes, media.Plane{Pix: p.buf[off : off+n : off+n], Stride: w * bps, Width: w, Height: h, BitDepth: format.BitDepth})
		off += n
	}
	add(p.w, p.h)
	if format.Chroma != media.Chroma400 {
		cw, ch := format.Chroma.ChromaSize(p.w, p.h)
		add(cw, ch)
		add(cw, ch)
	}
	return f
}

// RawReader reads headerless planar YUV (.yuv) frames of a size and format
// given by the caller. It implements media.FrameReader; a frame it returns
// is valid until the next ReadFrame call.
type RawReader struct {
	name   string
	rd     io.Reader
	frames planes
	format media.Format
	fps    float64
	index  int64
	closer io.Closer
	err    error
}

// RawConfig describes a raw .yuv file.
type RawConfig struct {
	Width, Height int
	Format        media.Format
	// FrameRate sets the frames' PTS; 0 leaves PTS at 0.
	FrameRate float64
}

func (c RawConfig) check(name string) error {
	if c.Width <= 0 || c.Height <= 0 || c.Width > MaxDimension || c.Height > MaxDimension {
		return fmt.Errorf("y4m: %s: raw size %dx%d (want 1..%d each): %w", name, c.Width, c.Height, MaxDimension, ErrBadHeader)
	}
	if _, err := colorspaceName(c.Format); err != nil {
		return fmt.Errorf("y4m: %s: raw format %v: %w", name, c.Format, err)
	}
	return nil
}

// NewRawReader reads raw frames from r.
func NewRawReader(r io.Reader, name string, cfg RawConfig) (*RawReader, error) {
	if err := cfg.check(name); err != nil {
		return nil, err
	}
	return &RawReader{name: name, rd: bufio.NewReaderSize(r, 1<<16), frames: newPlanes(cfg.Width, cfg.Height, cfg.Format), format: cfg.Format, fps: cfg.FrameRate}, nil
}

// OpenRaw opens a raw .yuv file. Its size must be a whole number of frames;
// otherwise the last ReadFrame fails with ErrTruncated.
func OpenRaw(path string, cfg RawConfig) (*RawReader, error) {
	if err := cfg.check(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("y4m: %w", err)
	}
	r, _ := NewRawReader(f, path, cfg)
	r.closer = f
	return r, nil
}

// Close closes the file OpenRaw opened.
func (r *RawReader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// FrameSize is the number of bytes per frame.
func (r *RawReader) FrameSize() int { return r.frames.size }

// ReadFrame returns the next frame, or io.EOF after the last one.
func (r *RawReader) ReadFrame(ctx context.Context) (*media.Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Peek one byte so that a clean end of input is io.EOF, not truncation.
	if br, ok := r.rd.(*bufio.Reader); ok {
		if _, err := br.Peek(1); err != nil {
			if errors.Is(err, io.EOF) {
				r.err = io.EOF
				return nil, io.EOF
			}
			r.err = fmt.Errorf("y4m: %s: frame %d: %w", r.name, r.index, err)
			return nil, r.err
		}
	}
	if err := r.frames.read(r.rd); err != nil {
		r.err = fmt.Errorf("y4m: %s: frame %d: %w", r.name, r.index, err)
		return nil, r.err
	}
	f := r.frames.frame(r.index, r.format)
	if r.fps > 0 {
		f.PTS = float64(r.index) / r.fps
	}
	r.index++
	return f, nil
}
