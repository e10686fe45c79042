package encode

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/asticode/go-astiav"
)

// Index is the frame index of a source's first video stream: how reel
// numbers and finds its frames (see Probe). Probe returns it
// (Info.FrameIndex); given back in Input.Index for the same source, it
// spares every open of a range the index's own reads. That matters where
// the index is built by reading every packet of the file (Scanned: AVI,
// variable-rate MP4 with B-frames, MPEG-TS with timestamp jumps): without
// it each chunk of a job reads the whole source once more before its
// range.
//
// An Index is immutable and safe for concurrent use. MarshalBinary gives
// a compact, versioned form (varint deltas: two to four bytes a frame)
// to keep beside a job's work; UnmarshalBinary refuses malformed input,
// and an open refuses an index made for another source
// (ErrIndexMismatch).
type Index struct {
	ix      *frameIndex
	size    int64          // the source's size in bytes
	stream  int            // the video stream's index in the container
	codec   astiav.CodecID // its codec
	scanned bool
}

// Scanned reports whether the index was built by reading every packet of
// the source: worth keeping for later opens. Other indices come from the
// container's own tables at the cost of a few reads, and an open builds
// them again rather than trusting a copy.
func (x *Index) Scanned() bool { return x != nil && x.scanned }

// Frames is the number of frames the index knows; 0 when unknown (a
// constant-rate index of a container that declares no count).
func (x *Index) Frames() int64 {
	if x == nil {
		return 0
	}
	return x.ix.count
}

func newIndex(ix *frameIndex, d *demuxer, info *Info, scanned bool) *Index {
	vs := d.fc.Streams()[info.Index]
	return &Index{ix: ix, size: d.size, stream: info.Index, codec: vs.CodecParameters().CodecID(), scanned: scanned}
}

// givenIndex is in.Index's frame index when it was scanned (nil when there
// is none to use), or ErrIndexMismatch when it was made for another source.
func givenIndex(op string, in Input, d *demuxer, info *Info) (*frameIndex, error) {
	x := in.Index
	if !x.Scanned() {
		return nil, nil
	}
	vs := d.fc.Streams()[info.Index]
	tb := vs.TimeBase()
	if x.size != d.size || x.stream != info.Index || x.codec != vs.CodecParameters().CodecID() || x.ix.tb != tb {
		return nil, newErr(op, d.name, ErrIndexMismatch, nil, "the index is of a %d-byte source with stream %d (%s, time base %s), this is %d bytes with stream %d (%s, time base %s)",
			x.size, x.stream, x.codec, x.ix.tb, d.size, info.Index, vs.CodecParameters().CodecID(), tb)
	}
	return x.ix, nil
}

// indexMagic starts an Index's binary form; indexVersion is its layout.
const (
	indexMagic   = "RIX"
	indexVersion = 1
)

// index flags, one bit each.
const (
	ixScanned = 1 << iota
	ixCounted
	ixByteSeek
	ixUnpack
	ixEditList
	ixTimed // pts present
	ixKeys  // keys present (nil: unknown)
)

// MarshalBinary encodes x: a version, the source's identity (size, stream,
// codec), then the frame timestamps, counted frames, seek points and
// keyframes as varint deltas, and the problems found.
func (x *Index) MarshalBinary() ([]byte, error) {
	if x == nil || x.ix == nil {
		return nil, errors.New("encode: marshal of an empty Index")
	}
	ix := x.ix
	b := append([]byte(indexMagic), indexVersion)
	var flags uint64
	for bit, on := range map[uint64]bool{ixScanned: x.scanned, ixCounted: ix.counted, ixByteSeek: ix.byteSeek, ixUnpack: ix.unpack,
		ixEditList: ix.editList, ixTimed: ix.pts != nil, ixKeys: ix.keys != nil} {
		if on {
			flags |= bit
		}
	}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendUvarint(b, uint64(x.size))
	b = binary.AppendUvarint(b, uint64(x.stream))
	b = binary.AppendVarint(b, int64(x.codec))
	for _, v := range []int64{int64(ix.tb.Num()), int64(ix.tb.Den()), int64(ix.frameTb.Num()), int64(ix.frameTb.Den()),
		ix.t0, ix.count, ix.end, ix.slots, ix.declared} {
		b = binary.AppendVarint(b, v)
	}
	b = appendDeltas(b, ix.pts)
	b = appendDeltas(b, ix.shown)
	b = binary.AppendUvarint(b, uint64(len(ix.seeks)))
	var prev seekPoint
	for _, s := range ix.seeks {
		b = binary.AppendVarint(b, s.dts-prev.dts)
		b = binary.AppendVarint(b, s.decoded-prev.decoded)
		b = binary.AppendVarint(b, s.frame-prev.frame)
		b = binary.AppendVarint(b, s.pos-prev.pos)
		prev = s
	}
	b = appendDeltas(b, ix.keys)
	b = binary.AppendUvarint(b, uint64(len(ix.problems)))
	for _, p := range ix.problems {
		b = appendString(b, p.Kind)
		b = appendString(b, p.Msg)
	}
	return b, nil
}

func appendDeltas(b []byte, vs []int64) []byte {
	b = binary.AppendUvarint(b, uint64(len(vs)))
	var prev int64
	for _, v := range vs {
		b = binary.AppendVarint(b, v-prev)
		prev = v
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// UnmarshalBinary decodes what MarshalBinary wrote. Anything else (another
// version, cut off, trailing bytes, numbers out of order) is refused with
// ErrInvalidData, before any of it is used.
func (x *Index) UnmarshalBinary(data []byte) error {
	r := &indexReader{b: data}
	if len(data) < len(indexMagic)+1 || string(data[:len(indexMagic)]) != indexMagic {
		return indexErr("not a frame index")
	}
	if v := data[len(indexMagic)]; v != indexVersion {
		return indexErr(fmt.Sprintf("version %d, this reel reads %d", v, indexVersion))
	}
	r.b = data[len(indexMagic)+1:]
	flags := r.uvarint()
	ix := &frameIndex{}
	out := Index{ix: ix}
	out.scanned = flags&ixScanned != 0
	ix.counted, ix.byteSeek, ix.unpack, ix.editList = flags&ixCounted != 0, flags&ixByteSeek != 0, flags&ixUnpack != 0, flags&ixEditList != 0
	out.size = int64(r.uvarint())
	out.stream = int(r.uvarint())
	out.codec = astiav.CodecID(r.varint())
	var nums [9]int64
	for i := range nums {
		nums[i] = r.varint()
	}
	if nums[0] <= 0 || nums[1] <= 0 || nums[2] <= 0 || nums[3] <= 0 || nums[0] > 1<<31 || nums[1] > 1<<31 || nums[2] > 1<<31 || nums[3] > 1<<31 {
		r.fail("bad time base")
	}
	ix.tb, ix.frameTb = astiav.NewRational(int(nums[0]), int(nums[1])), astiav.NewRational(int(nums[2]), int(nums[3]))
	ix.t0, ix.count, ix.end, ix.slots, ix.declared = nums[4], nums[5], nums[6], nums[7], nums[8]
	ix.pts = r.deltas(1)
	ix.shown = r.deltas(1)
	if n := r.count(4); n > 0 {
		ix.seeks = make([]seekPoint, n)
		var prev seekPoint
		for i := range ix.seeks {
			s := seekPoint{dts: prev.dts + r.varint(), decoded: prev.decoded + r.varint(), frame: prev.frame + r.varint(), pos: prev.pos + r.varint()}
			if i > 0 && (s.frame < prev.frame || s.decoded < prev.decoded) {
				r.fail("seek points out of order")
			}
			ix.seeks[i], prev = s, s
		}
	}
	ix.keys = r.deltas(0)
	if flags&ixKeys != 0 && ix.keys == nil {
		ix.keys = []int64{}
	}
	for n := r.count(2); n > 0; n-- {
		ix.problems = append(ix.problems, Problem{Kind: r.str(), Msg: r.str()})
	}
	if r.err == "" && len(r.b) > 0 {
		r.fail("trailing bytes")
	}
	if r.err == "" {
		r.check(&out, flags)
	}
	if r.err != "" {
		return indexErr(r.err)
	}
	*x = out
	return nil
}

func indexErr(msg string) error {
	return fmt.Errorf("frame index: %s: %w", msg, ErrInvalidData)
}

// indexReader reads varints, remembering the first failure.
type indexReader struct {
	b   []byte
	err string
}

func (r *indexReader) fail(msg string) {
	if r.err == "" {
		r.err = msg
	}
	r.b = nil
}

func (r *indexReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("cut off")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *indexReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("cut off")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length of items of at least per bytes each, refusing one
// the remaining bytes cannot hold (no allocation from a hostile length).
func (r *indexReader) count(per int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/per) {
		r.fail("a length longer than the data")
		return 0
	}
	return int(n)
}

// deltas reads a delta-coded list whose steps are at least min (after the
// first): 1 for strictly increasing, 0 for non-decreasing.
func (r *indexReader) deltas(min int64) []int64 {
	n := r.count(1)
	if n == 0 {
		return nil
	}
	vs := make([]int64, n)
	var prev int64
	for i := range vs {
		d := r.varint()
		if i > 0 && d < min {
			r.fail("values out of order")
			return nil
		}
		prev += d
		vs[i] = prev
	}
	return vs
}

func (r *indexReader) str() string {
	n := r.count(1)
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// check refuses an index whose parts disagree: the decoder indexes its
// slices by them.
func (r *indexReader) check(x *Index, flags uint64) {
	ix := x.ix
	switch {
	case x.size <= 0 || x.stream < 0 || x.stream > 1<<16:
		r.fail("bad source identity")
	case ix.count < 0 || ix.declared < 0:
		r.fail("negative count")
	case (flags&ixTimed != 0) != (ix.pts != nil) || (flags&ixKeys != 0) != (ix.keys != nil):
		r.fail("flags and lists disagree")
	case ix.pts != nil && (ix.counted || ix.count != int64(len(ix.pts)) || ix.end <= ix.pts[len(ix.pts)-1]):
		r.fail("timestamps and count disagree")
	case ix.counted && (len(ix.shown) == 0 || len(ix.seeks) == 0 || ix.seeks[0].frame != 0 || ix.shown[0] < 0 || ix.count != ix.shown[len(ix.shown)-1]+1):
		r.fail("counted frames and count disagree")
	case !ix.counted && (ix.shown != nil || ix.seeks != nil || ix.byteSeek):
		r.fail("counted parts in an index that is not counted")
	case ix.keys != nil && (ix.keys[0] < 0 || ix.count > 0 && ix.keys[len(ix.keys)-1] >= ix.count):
		r.fail("keyframes outside the frames")
	}
	for _, s := range ix.seeks {
		if s.decoded < 0 || s.decoded >= int64(len(ix.shown)) || ix.shown[s.decoded] != s.frame {
			r.fail("a seek point that is not a counted frame")
			break
		}
	}
}
