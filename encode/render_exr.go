package encode

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// checkEXR checks that a single-part scanline OpenEXR file holds every
// chunk its offset table lists. FFmpeg 5.1's EXR decoder decodes the
// chunks it can and leaves the others black without an error, so a
// truncated render would otherwise reach review as a half-black frame.
// Tiled, deep and multi-part files are left to the decoder. The error
// says what is wrong, for the caller to wrap with the file's name.
func checkEXR(b []byte) (truncated bool, err error) {
	if len(b) < 8 || !bytes.Equal(b[:4], []byte{0x76, 0x2f, 0x31, 0x01}) {
		return false, fmt.Errorf("not an OpenEXR file (bad magic number)")
	}
	flags := binary.LittleEndian.Uint32(b[4:8])
	if flags&(0x200|0x800|0x1000) != 0 { // tiled, deep, multi-part
		return false, nil
	}
	pos := 8
	cstr := func() (string, bool) {
		i := bytes.IndexByte(b[pos:], 0)
		if i < 0 || i > 255 {
			return "", false
		}
		s := string(b[pos : pos+i])
		pos += i + 1
		return s, true
	}
	compression, lines := -1, 0
	for {
		name, ok := cstr()
		if !ok {
			return true, fmt.Errorf("the header breaks off at byte %d", pos)
		}
		if name == "" {
			break
		}
		typ, ok := cstr()
		if !ok || pos+4 > len(b) {
			return true, fmt.Errorf("the header breaks off at byte %d", pos)
		}
		size := int(int32(binary.LittleEndian.Uint32(b[pos:])))
		pos += 4
		if size < 0 || pos+size > len(b) {
			return true, fmt.Errorf("header attribute %s breaks off", name)
		}
		v := b[pos : pos+size]
		pos += size
		switch {
		case name == "compression" && typ == "compression" && size == 1:
			compression = int(v[0])
		case name == "dataWindow" && typ == "box2i" && size == 16:
			y0 := int32(binary.LittleEndian.Uint32(v[4:]))
			y1 := int32(binary.LittleEndian.Uint32(v[12:]))
			lines = int(int64(y1) - int64(y0) + 1)
		}
	}
	perChunk := map[int]int{0: 1, 1: 1, 2: 1, 3: 16, 5: 16, 4: 32, 6: 32, 7: 32, 8: 32, 9: 256}[compression]
	if perChunk == 0 || lines <= 0 || lines > 1<<20 {
		return false, nil // the decoder judges what this check does not know
	}
	chunks := (lines + perChunk - 1) / perChunk
	if pos+8*chunks > len(b) {
		return true, fmt.Errorf("the offset table of %d chunks breaks off (%d bytes)", chunks, len(b))
	}
	for i := 0; i < chunks; i++ {
		off := binary.LittleEndian.Uint64(b[pos+8*i:])
		if off > uint64(len(b)) || off+8 > uint64(len(b)) {
			return true, fmt.Errorf("chunk %d of %d starts past the end of the file (%d bytes)", i+1, chunks, len(b))
		}
		size := int64(int32(binary.LittleEndian.Uint32(b[off+4:])))
		if size < 0 || int64(off)+8+size > int64(len(b)) {
			return true, fmt.Errorf("chunk %d of %d ends past the end of the file (%d bytes)", i+1, chunks, len(b))
		}
	}
	return false, nil
}
