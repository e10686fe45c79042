package testmedia

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
)

// WriteEXR writes a w x h OpenEXR image with R, G and B channels,
// scanline, uncompressed, half or 32-bit float, from pix. FFmpeg 5.1 decodes
// EXR but has no encoder, so tests make their EXR frames with this: the
// layout follows the OpenEXR file layout document (magic, version 2,
// header attributes, a scanline offset table, one scanline per chunk with
// the channels in alphabetical order). NaN and infinities are written as
// such. The file is written to a temporary name and renamed.
func WriteEXR(path string, w, h int, half bool, pix func(x, y int) [3]float32) error {
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.Write([]byte{0x76, 0x2f, 0x31, 0x01})
	le(uint32(2))
	attr := func(name, typ string, value []byte) {
		b.WriteString(name + "\x00" + typ + "\x00")
		le(int32(len(value)))
		b.Write(value)
	}
	ptype, size := int32(2), 4
	if half {
		ptype, size = 1, 2
	}
	var ch bytes.Buffer
	for _, name := range []string{"B", "G", "R"} {
		ch.WriteString(name + "\x00")
		binary.Write(&ch, binary.LittleEndian, ptype)
		ch.Write([]byte{0, 0, 0, 0}) // pLinear, reserved
		binary.Write(&ch, binary.LittleEndian, [2]int32{1, 1})
	}
	ch.WriteByte(0)
	box := func() []byte {
		var v bytes.Buffer
		binary.Write(&v, binary.LittleEndian, [4]int32{0, 0, int32(w - 1), int32(h - 1)})
		return v.Bytes()
	}
	f32 := func(fs ...float32) []byte {
		var v bytes.Buffer
		binary.Write(&v, binary.LittleEndian, fs)
		return v.Bytes()
	}
	attr("channels", "chlist", ch.Bytes())
	attr("compression", "compression", []byte{0})
	attr("dataWindow", "box2i", box())
	attr("displayWindow", "box2i", box())
	attr("lineOrder", "lineOrder", []byte{0})
	attr("pixelAspectRatio", "float", f32(1))
	attr("screenWindowCenter", "v2f", f32(0, 0))
	attr("screenWindowWidth", "float", f32(1))
	b.WriteByte(0)
	lineBytes := w * 3 * size
	table := b.Len()
	first := table + 8*h
	for y := 0; y < h; y++ {
		le(uint64(first + y*(8+lineBytes)))
	}
	line := make([][3]float32, w)
	for y := 0; y < h; y++ {
		le(int32(y))
		le(int32(lineBytes))
		for x := range line {
			line[x] = pix(x, y)
		}
		for _, c := range []int{2, 1, 0} { // B, G, R
			for x := range line {
				if half {
					le(toHalf(line[x][c]))
				} else {
					le(line[x][c])
				}
			}
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".exr-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// toHalf converts to IEEE 754 binary16, rounding to nearest even; values too
// small for a normal half become subnormals or zero, too large infinity.
func toHalf(f float32) uint16 {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23&0xff) - 127
	mant := bits & 0x7fffff
	switch {
	case exp == 128: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp > 15:
		return sign | 0x7c00
	case exp >= -14:
		h := uint32(exp+15)<<10 | mant>>13
		rest := mant & 0x1fff
		if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
			h++ // may carry into the exponent, which is right
		}
		return sign | uint16(h)
	case exp >= -25:
		m := mant | 0x800000
		shift := uint(-exp - 14 + 13)
		h := m >> shift
		rest := m & (1<<shift - 1)
		halfway := uint32(1) << (shift - 1)
		if rest > halfway || (rest == halfway && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	return sign
}
