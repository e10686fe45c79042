package media

import (
	"context"
	"encoding/binary"
	"fmt"
)

// Chroma is the chroma subsampling of a planar YUV format.
type Chroma int

const (
	Chroma420 Chroma = iota // chroma planes are half width, half height
	Chroma422               // chroma planes are half width, full height
	Chroma444               // chroma planes are full size
	Chroma400               // luma only (gray)
)

func (c Chroma) String() string {
	switch c {
	case Chroma420:
		return "420"
	case Chroma422:
		return "422"
	case Chroma444:
		return "444"
	case Chroma400:
		return "400"
	}
	return fmt.Sprintf("Chroma(%d)", int(c))
}

// ChromaSize returns the size of a chroma plane for a luma plane of w×h.
// Odd sizes round up, as FFmpeg does.
func (c Chroma) ChromaSize(w, h int) (cw, ch int) {
	switch c {
	case Chroma420:
		return (w + 1) / 2, (h + 1) / 2
	case Chroma422:
		return (w + 1) / 2, h
	case Chroma444:
		return w, h
	}
	return 0, 0
}

// Format describes the sample layout of a planar YUV frame.
type Format struct {
	Chroma   Chroma
	BitDepth int // bits per sample: 8, 10, 12 or 16
}

// String gives the FFmpeg name of the format, e.g. "yuv420p" or "yuv422p10le".
func (f Format) String() string {
	base := "yuv" + f.Chroma.String() + "p"
	if f.Chroma == Chroma400 {
		base = "gray"
	}
	if f.BitDepth > 8 {
		return fmt.Sprintf("%s%dle", base, f.BitDepth)
	}
	return base
}

// BytesPerSample is 1 for 8-bit formats and 2 (little endian) otherwise.
func (f Format) BytesPerSample() int {
	if f.BitDepth > 8 {
		return 2
	}
	return 1
}

// Plane is one component of a frame (Y, Cb or Cr). Samples of more than 8
// bits are stored as 16-bit little-endian values, as FFmpeg's "le" formats do.
type Plane struct {
	Pix      []byte // row y starts at Pix[y*Stride]
	Stride   int    // bytes from one row to the next; at least Width*bytes per sample
	Width    int    // samples per row
	Height   int    // rows
	BitDepth int    // bits per sample
}

// Sample returns the sample at column x, row y.
func (p Plane) Sample(x, y int) int {
	if p.BitDepth > 8 {
		i := y*p.Stride + 2*x
		return int(binary.LittleEndian.Uint16(p.Pix[i:]))
	}
	return int(p.Pix[y*p.Stride+x])
}

// Row returns the bytes of row y, without the stride padding.
func (p Plane) Row(y int) []byte {
	bps := 1
	if p.BitDepth > 8 {
		bps = 2
	}
	start := y * p.Stride
	return p.Pix[start : start+p.Width*bps]
}

// Frame is one decoded picture.
type Frame struct {
	Index  int64   // position in the source, counting from 0
	PTS    float64 // presentation time in seconds from the start of the source
	Format Format
	Width  int // luma width
	Height int // luma height
	// Planes holds Y, Cb, Cr (only Y for Chroma400).
	Planes []Plane
	// Color carries the colour description of the source, when known.
	Color Color
}

// Color is the colour description carried from source to output. Names are
// FFmpeg's ("bt709", "smpte2084", "tv", ...); empty means unspecified.
type Color struct {
	Primaries string `json:"primaries,omitempty"`
	Transfer  string `json:"transfer,omitempty"`
	Matrix    string `json:"matrix,omitempty"`
	Range     string `json:"range,omitempty"`
}

// Clone returns a deep copy of f whose planes own their memory, tightly packed.
func (f *Frame) Clone() *Frame { return f.CloneInto(nil) }

// CloneInto is Clone into dst, reusing dst's plane memory where it is large
// enough; dst may be nil. It returns the copy (dst, unless dst was nil or
// had another number of planes).
func (f *Frame) CloneInto(dst *Frame) *Frame {
	if dst == nil || len(dst.Planes) != len(f.Planes) {
		dst = &Frame{Planes: make([]Plane, len(f.Planes))}
	}
	planes := dst.Planes
	*dst = *f
	dst.Planes = planes
	for i, p := range f.Planes {
		bps := 1
		if p.BitDepth > 8 {
			bps = 2
		}
		np := p
		np.Stride = p.Width * bps
		need := np.Stride * p.Height
		if cap(planes[i].Pix) >= need {
			np.Pix = planes[i].Pix[:need]
		} else {
			np.Pix = make([]byte, need)
		}
		for y := 0; y < p.Height; y++ {
			copy(np.Pix[y*np.Stride:], p.Row(y))
		}
		planes[i] = np
	}
	return dst
}

// NewFrame allocates a zeroed, tightly packed frame of the given size and format.
func NewFrame(width, height int, format Format) *Frame {
	f := &Frame{Format: format, Width: width, Height: height}
	bps := format.BytesPerSample()
	add := func(w, h int) {
		f.Planes = append(f.Planes, Plane{Pix: make([]byte, w*h*bps), Stride: w * bps, Width: w, Height: h, BitDepth: format.BitDepth})
	}
	add(width, height)
	if format.Chroma != Chroma400 {
		cw, ch := format.Chroma.ChromaSize(width, height)
		add(cw, ch)
		add(cw, ch)
	}
	return f
}

// FrameReader yields decoded frames in presentation order. ReadFrame returns
// io.EOF after the last frame. The returned frame may share memory with the
// reader and is valid only until the next ReadFrame call.
type FrameReader interface {
	ReadFrame(ctx context.Context) (*Frame, error)
}
