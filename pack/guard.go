package pack

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// maxMoov bounds the moov box read into memory; a two-hour feature's is
// tens of MB.
const maxMoov = 512 << 20

// decodeMoov finds the one moov box among the top-level boxes of in, checks
// it (checkBoxes) and decodes it with mp4ff from memory, where a child box
// can never claim more bytes than its parent holds. mp4ff sizes its tables
// from the entry counts in the file, so a hostile count (four billion
// samples in a few bytes) would be an allocation of gigabytes: the counts
// are checked against the box sizes first.
func decodeMoov(in Input) (*mp4.MoovBox, error) {
	var pos int64
	var moovAt, moovSize int64 = -1, 0
	hdr := make([]byte, 16)
	for pos < in.Size {
		n, err := in.R.ReadAt(hdr, pos)
		if n < 8 && err != nil {
			return nil, fmt.Errorf("%w: %s: box header at %d: %v", ErrInvalidInput, in.Name, pos, err)
		}
		size, hlen := int64(binary.BigEndian.Uint32(hdr)), int64(8)
		typ := string(hdr[4:8])
		switch size {
		case 0:
			size = in.Size - pos
		case 1:
			if n < 16 {
				return nil, fmt.Errorf("%w: %s: truncated box header at %d", ErrInvalidInput, in.Name, pos)
			}
			size, hlen = int64(binary.BigEndian.Uint64(hdr[8:])), 16
		}
		if size < hlen || size > in.Size-pos {
			return nil, fmt.Errorf("%w: %s: %q box at %d claims %d bytes, the file has %d", ErrInvalidInput, in.Name, typ, pos, size, in.Size-pos)
		}
		switch typ {
		case "moof", "mvex":
			return nil, fmt.Errorf("%w: %s: want a progressive MP4, not a fragmented one", ErrInvalidInput, in.Name)
		case "moov":
			if moovAt >= 0 {
				return nil, fmt.Errorf("%w: %s: two moov boxes", ErrInvalidInput, in.Name)
			}
			moovAt, moovSize = pos, size
		}
		pos += size
	}
	if moovAt < 0 {
		return nil, fmt.Errorf("%w: %s: no moov box (not an MP4 file?)", ErrInvalidInput, in.Name)
	}
	if moovSize > maxMoov {
		return nil, fmt.Errorf("%w: %s: moov box of %d bytes, more than %d", ErrInvalidInput, in.Name, moovSize, maxMoov)
	}
	buf := make([]byte, moovSize)
	if _, err := in.R.ReadAt(buf, moovAt); err != nil && !(err == io.EOF && moovAt+moovSize == in.Size) {
		return nil, fmt.Errorf("%w: %s: reading moov: %v", ErrInvalidInput, in.Name, err)
	}
	if err := checkBoxes(in.Name, buf, 0); err != nil {
		return nil, err
	}
	box, err := mp4.DecodeBoxSR(0, bits.NewFixedSliceReader(buf))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidInput, in.Name, err)
	}
	moov, ok := box.(*mp4.MoovBox)
	if !ok || moov.Mvhd == nil {
		return nil, fmt.Errorf("%w: %s: moov box without mvhd", ErrInvalidInput, in.Name)
	}
	return moov, nil
}

// containers are the boxes inside moov that hold boxes and that a sample
// table is reached through.
var containers = map[string]bool{"moov": true, "trak": true, "mdia": true, "minf": true, "stbl": true, "edts": true, "dinf": true}

// tables gives, for the full boxes whose entry count mp4ff allocates by,
// the offset of the count after the box header and the bytes per entry
// (by version where it differs).
var tables = map[string]struct{ countAt, entry, entryV1 int }{
	"stts": {4, 8, 8}, "ctts": {4, 8, 8}, "stsc": {4, 12, 12}, "stco": {4, 4, 4}, "co64": {4, 8, 8},
	"stss": {4, 4, 4}, "stsz": {8, 4, 4}, "elst": {4, 12, 20}, "sbgp": {8, 8, 8}, "stsd": {4, 8, 8},
}

// checkBoxes walks a run of boxes (b holds them exactly), descending into
// containers, and refuses a box that overruns its parent or a table whose
// entries cannot fit in its box.
func checkBoxes(name string, b []byte, depth int) error {
	if depth > 16 {
		return fmt.Errorf("%w: %s: boxes nested too deep", ErrInvalidInput, name)
	}
	for len(b) > 0 {
		if len(b) < 8 {
			return fmt.Errorf("%w: %s: %d stray bytes in a box", ErrInvalidInput, name, len(b))
		}
		size, hlen := uint64(binary.BigEndian.Uint32(b)), uint64(8)
		typ := string(b[4:8])
		if size == 1 {
			if len(b) < 16 {
				return fmt.Errorf("%w: %s: truncated %q header", ErrInvalidInput, name, typ)
			}
			size, hlen = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hlen || size > uint64(len(b)) {
			return fmt.Errorf("%w: %s: %q box claims %d bytes where %d are left", ErrInvalidInput, name, typ, size, len(b))
		}
		body := b[hlen:size]
		if containers[typ] {
			if err := checkBoxes(name, body, depth+1); err != nil {
				return err
			}
		} else if tab, ok := tables[typ]; ok {
			if len(body) < tab.countAt+4 {
				return fmt.Errorf("%w: %s: %q box of %d bytes", ErrInvalidInput, name, typ, len(body))
			}
			count := uint64(binary.BigEndian.Uint32(body[tab.countAt:]))
			entry := tab.entry
			if body[0] == 1 {
				entry = tab.entryV1
			}
			if typ == "stsz" && binary.BigEndian.Uint32(body[4:]) != 0 {
				entry = 0 // one size for every sample: no table
			}
			if count*uint64(entry) > uint64(len(body)-tab.countAt-4) {
				return fmt.Errorf("%w: %s: %q box lists %d entries in %d bytes", ErrInvalidInput, name, typ, count, len(body))
			}
		}
		b = b[size:]
	}
	return nil
}
