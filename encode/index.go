package encode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/asticode/go-astiav"
)

// Problem is something wrong with a source that reel worked around, as the
// ffmpeg CLI does, instead of refusing it (the Strict options refuse).
type Problem struct {
	// Kind: "truncated" (the container promised more frames than its data
	// holds), "timestamps" (missing, duplicate or out-of-order timestamps
	// repaired), "missing" (a frame the decoder did not deliver, replaced
	// by the one before), "concealed" (frames the decoder flagged as
	// damaged), "packed" (packed B-frames, unpacked: not damage, a note).
	Kind string `json:"kind"`
	Msg  string `json:"msg"`
}

func (p Problem) String() string { return p.Kind + ": " + p.Msg }

// frameIndex numbers the frames of the first video stream: frame n is the
// n-th frame presented, as FFmpeg's own pipeline (the ffmpeg CLI) sees it.
// It is one of three kinds:
//
//   - grid: a constant rate, frame n at t0 + n/fps; taken from a container
//     index that can be trusted (MP4/MOV sample tables with even spacing)
//     or from the tail of a Matroska/MPEG-TS file (tailCount). count is 0
//     when unknown (a decoder does not look).
//   - timed: each frame's presentation timestamp from the packets (pts),
//     for variable frame rates; the decoder maps a frame's timestamp to its
//     number by lookup.
//   - counted: the packets carry no presentation timestamps (AVI), or
//     their timestamps jump (an MPEG-TS discontinuity): frames are
//     numbered by counting the decoder's output from a seek point (by
//     byte position across a discontinuity), and holes in the decode
//     timestamps (AVI's empty "repeat" chunks) are repeats of the frame
//     before.
type frameIndex struct {
	tb      astiav.Rational // stream time base
	frameTb astiav.Rational // nominal frame duration (1/fps)
	t0      int64           // timestamp of frame 0, in tb
	count   int64           // frames; 0 = unknown (grid only)

	pts []int64 // timed: each frame's timestamp, increasing
	end int64   // timed: end of the last frame

	counted bool
	slots   int64       // counted: the frame slots up to the last packet (AVI's declared count counts slots)
	shown   []int64     // counted: the frame number of each decoded frame, increasing; a jump is repeats
	seeks   []seekPoint // counted: where decoding may start, by frame

	byteSeek bool    // counted: seek to a seek point's byte position (timestamps jump: MPEG-TS discontinuities)
	keys     []int64 // keyframes by frame number; nil when unknown
	unpack   bool    // MPEG-4 packed B-frames: packets go through mpeg4_unpack_bframes
	declared int64   // frames the container declares (0: none)
	editList bool    // an edit list leaves some of the container's frames out
	problems []Problem
}

// seekPoint is a keyframe decoding can start from (counted index): its
// decode timestamp, which decoded frame it is and the frame it shows.
type seekPoint struct {
	dts, decoded, frame int64
	pos                 int64 // byte position of its packet; used where timestamps cannot be sought (byteSeek)
}

func (ix *frameIndex) grid() bool { return ix.pts == nil && !ix.counted }

// ptsOf is frame n's timestamp in tb (n may be count: the end).
func (ix *frameIndex) ptsOf(n int64) int64 {
	if ix.pts != nil {
		if n >= int64(len(ix.pts)) {
			return ix.end
		}
		return ix.pts[max(n, 0)]
	}
	return ix.t0 + astiav.RescaleQ(n, ix.frameTb, ix.tb)
}

// frameAt is the number of the frame at timestamp ts (tb): the nearest
// (grid, timed). Counted indices do not map timestamps.
func (ix *frameIndex) frameAt(ts int64) int64 {
	if ix.pts == nil {
		return astiav.RescaleQRnd(ts-ix.t0, ix.tb, ix.frameTb, astiav.RoundingNearInf)
	}
	i, _ := slices.BinarySearch(ix.pts, ts)
	if i > 0 && (i == len(ix.pts) || ts-ix.pts[i-1] < ix.pts[i]-ts) {
		i--
	}
	return int64(i)
}

// vfr reports whether the frame durations vary (by more than one tick of
// the time base, which millisecond timestamps need).
func (ix *frameIndex) vfr() bool {
	lo, _, hi := ix.durations()
	return hi-lo > 1
}

// durations are the shortest, average and longest frame durations in tb.
func (ix *frameIndex) durations() (lo, avg, hi int64) {
	if ix.pts == nil || len(ix.pts) == 0 {
		d := astiav.RescaleQ(1, ix.frameTb, ix.tb)
		return d, d, d
	}
	lo, hi = -1, 0
	for i := range ix.pts {
		d := ix.ptsOf(int64(i)+1) - ix.pts[i]
		if lo < 0 || d < lo {
			lo = d
		}
		hi = max(hi, d)
	}
	return lo, (ix.end - ix.pts[0]) / int64(len(ix.pts)), hi
}

// seekFor is the last seek point at or before frame start.
func (ix *frameIndex) seekFor(start int64) seekPoint {
	i, ok := slices.BinarySearchFunc(ix.seeks, start, func(s seekPoint, f int64) int { return int(s.frame - f) })
	if !ok {
		i--
	}
	return ix.seeks[max(i, 0)]
}

func (ix *frameIndex) note(kind, format string, a ...any) {
	ix.problems = append(ix.problems, Problem{Kind: kind, Msg: fmt.Sprintf(format, a...)})
}

// movFamily reports whether the demuxer builds an index of every sample
// from the container's tables at open (MP4, MOV).
func movFamily(d *demuxer) bool {
	f := d.fc.InputFormat()
	return f != nil && strings.HasPrefix(f.Name(), "mov,")
}

// buildIndex indexes the video stream of d, reading as little as it can:
// an MP4/MOV sample table gives every frame without reading a packet (its
// decode timestamps; evenly spaced, or with no reordering, they are the
// presentation times too); a container that declares no count (Matroska,
// MPEG-TS) is counted from its tail at a constant rate (only when probing:
// a decoder leaves the count open), an MPEG-TS only when sampled
// timestamps show no discontinuity (tsJumps); anything else, an MPEG-TS
// that jumps, and variable-rate MP4 with reordering, is indexed by reading
// every packet (no decoding). MP4/MOV samples an edit list leaves out are
// not frames. It
// leaves d where it read to: moved reports that.
func buildIndex(ctx context.Context, d *demuxer, info *Info, probing bool) (ix *frameIndex, moved bool, err error) {
	vs := d.fc.Streams()[info.Index]
	ix = &frameIndex{tb: vs.TimeBase(), frameTb: frameTimeBase(vs), t0: vs.StartTime(), declared: vs.NbFrames()}
	if ix.t0 == astiav.NoPtsValue {
		ix.t0 = 0
	}
	if movFamily(d) && ix.declared > 0 {
		entries := indexEntries(vs)
		if n := int64(len(entries)); n > 0 && n < ix.declared {
			// the demuxer builds its index from the whole sample table and
			// marks the samples an edit list leaves out as discarded:
			// those frames are never presented (as in the ffmpeg CLI), and
			// the count is of the frames presented
			ix.declared, ix.editList = n, true
		}
		if int64(len(entries)) == ix.declared {
			if ok := ix.fromEntries(d, vs, entries); ok {
				return ix, false, nil
			}
		}
	}
	if mpegTS(d) {
		jumps, err := tsJumps(ctx, d, vs)
		if err != nil {
			return nil, true, err
		}
		if jumps {
			return ix, false, errScan // numbered across the jump by reading every packet
		}
	}
	if ix.declared == 0 {
		if !probing {
			return ix, false, nil // a grid of unknown length
		}
		n, ok, err := tailCount(ctx, d, vs)
		if err != nil {
			return nil, true, err
		}
		if ok {
			ix.count = n
			return ix, true, nil
		}
		moved = true
	}
	return ix, moved, errScan
}

// errScan says that the index needs a scan of every packet.
var errScan = errors.New("index needs a packet scan")

// fromEntries indexes an MP4/MOV stream from its sample table when that is
// enough: evenly spaced decode timestamps (a grid), or no reordering (the
// decode timestamps, shifted to start at the stream's start, are the
// presentation timestamps). Samples whose data lies past the end of the
// file are cut off: they are missing frames.
func (ix *frameIndex) fromEntries(d *demuxer, vs *astiav.Stream, entries []indexEntry) bool {
	n := int64(len(entries))
	for i, e := range entries {
		if d.size > 0 && e.pos >= 0 && e.pos+int64(e.size) > d.size {
			n = int64(i)
			break
		}
	}
	step := astiav.RescaleQ(1, ix.frameTb, ix.tb)
	even := true
	for i := 1; i < len(entries); i++ {
		if entries[i].dts-entries[i-1].dts != step {
			even = false
			break
		}
	}
	if !even && videoDelay(vs) > 0 {
		return false
	}
	if !even {
		shift := ix.t0 - entries[0].dts
		ix.pts = make([]int64, n)
		for i := range ix.pts {
			ix.pts[i] = entries[i].dts + shift
		}
		if n < int64(len(entries)) {
			ix.end = entries[n].dts + shift
		} else {
			dur := vs.Duration()
			if dur <= 0 {
				dur = entries[n-1].dts - entries[0].dts + step
			}
			ix.end = ix.t0 + dur
		}
	}
	ix.count = n
	ix.keys = nil
	for i, e := range entries[:n] {
		if e.key {
			ix.keys = append(ix.keys, int64(i))
		}
	}
	if n < ix.declared {
		ix.note("truncated", "the container lists %d frames but the data ends after %d", ix.declared, n)
	}
	return n > 0
}

// scanIndex indexes the video stream by reading every packet of d from the
// start (no decoding), as FFmpeg's pipeline would see them: MPEG-4 packed
// B-frames unpacked, timestamps repaired, holes in decode timestamps where
// there are no presentation timestamps (AVI) as repeats. With strict, damage
// (data that breaks off) fails with ErrTruncated; otherwise it ends the
// index and is listed.
func scanIndex(ctx context.Context, op string, d *demuxer, info *Info, strict bool) (*frameIndex, error) {
	vs := d.fc.Streams()[info.Index]
	ix := &frameIndex{tb: vs.TimeBase(), frameTb: frameTimeBase(vs), t0: vs.StartTime(), declared: vs.NbFrames()}
	if ix.t0 == astiav.NoPtsValue {
		ix.t0 = 0
	}
	var un *unpacker
	if vs.CodecParameters().CodecID() == astiav.CodecIDMpeg4 {
		var err error
		if un, err = newUnpacker(vs); err != nil {
			return nil, newErr(op, d.name, nil, err, "mpeg4_unpack_bframes")
		}
		defer un.free()
	}
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	var (
		recs   []packetRec
		broken string
	)
	add := func(p *astiav.Packet) {
		r := packetRec{pts: p.Pts(), dts: p.Dts(), raw: p.Dts(), pos: p.Pos(), key: p.Flags().Has(astiav.PacketFlagKey), size: p.Size(), vop: -1}
		if un != nil {
			r.vop = vopType(p.Data())
		}
		if !p.Flags().Has(astiav.PacketFlagDiscard) {
			recs = append(recs, r)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s %q: %w", op, d.name, err)
		}
		if err := d.fc.ReadFrame(pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				break
			}
			rerr := d.readErr(ctx, op, err)
			if strict || ctx.Err() != nil {
				return nil, rerr
			}
			broken = "the media data breaks off"
			break
		}
		if pkt.StreamIndex() != vs.Index() {
			pkt.Unref()
			continue
		}
		if err := d.checkPacket(op, pkt); err != nil {
			pkt.Unref()
			if strict {
				return nil, err
			}
			broken = "the last packet is cut off"
			break
		}
		if un == nil {
			add(pkt)
			pkt.Unref()
			continue
		}
		if err := un.each(pkt, add); err != nil {
			return nil, newErr(op, d.name, ErrInvalidData, err, "unpacking B-frames")
		}
	}
	if un != nil {
		if err := un.each(nil, add); err != nil {
			return nil, newErr(op, d.name, ErrInvalidData, err, "unpacking B-frames")
		}
		if un.packed {
			ix.unpack = true
			ix.note("packed", "packed B-frames (DivX/Xvid style) unpacked as FFmpeg's mpeg4_unpack_bframes does")
		}
	}
	if len(recs) == 0 {
		return nil, newErr(op, d.name, ErrTruncated, nil, "no video packets")
	}
	timed := true
	for _, r := range recs {
		if r.pts == astiav.NoPtsValue {
			timed = false
			break
		}
	}
	delay := videoDelay(vs)
	if f := d.fc.InputFormat(); f != nil && f.Name() == "avi" {
		// AVI has no timestamps, only frame slots (an empty chunk keeps
		// its slot: a repeat); its demuxer's pts are guesses
		timed = false
		for i := range recs {
			recs[i].pts = astiav.NoPtsValue
		}
	}
	if mpegTS(d) && ix.unwrap(recs) {
		// frames are numbered in decode order across the jumps, as the
		// ffmpeg CLI does with its timestamp offset for such formats
		timed = false
		for i := range recs {
			recs[i].pts = astiav.NoPtsValue
		}
		ix.byteSeek = true
	}
	if !timed && delay == 0 {
		// without reordering a packet is shown at its decode time
		repaired := 0
		for i := range recs {
			if recs[i].pts == astiav.NoPtsValue && recs[i].dts != astiav.NoPtsValue {
				recs[i].pts = recs[i].dts
				repaired++
			}
		}
		timed = !slices.ContainsFunc(recs, func(r packetRec) bool { return r.pts == astiav.NoPtsValue })
		if timed && repaired < len(recs) {
			ix.note("timestamps", "%d packets without a presentation timestamp shown at their decode time", repaired)
		}
		if timed && repaired == len(recs) {
			timed = false // decode timestamps only (AVI): count, with holes as repeats
		}
	}
	if timed {
		ix.fromPts(recs)
	} else {
		ix.fromDts(recs, delay)
	}
	// AVI declares frame slots: a reordering decoder's delay leaves the
	// first ones empty without any frame being lost
	if covered := max(ix.count, ix.slots); ix.declared > 0 && covered < ix.declared {
		ix.note("truncated", "the container lists %d frames but the data ends after %d", ix.declared, covered)
	}
	if broken != "" && (ix.declared == 0 || ix.count >= ix.declared) {
		ix.note("truncated", "%s after %d frames", broken, ix.count)
	}
	if strict {
		if err := ix.refuse(op, d.name); err != nil {
			return nil, err
		}
	}
	return ix, nil
}

// refuse is the error a strict caller gets for the damage ix found: a
// truncation is ErrTruncated. Repaired timestamps and packed B-frames are
// how such files are, not damage.
func (ix *frameIndex) refuse(op, name string) error {
	for _, p := range ix.problems {
		if p.Kind == "truncated" {
			return newErr(op, name, ErrTruncated, nil, "%s", p.Msg)
		}
	}
	return nil
}

// packetRec is what the scan keeps of a packet.
type packetRec struct {
	pts, dts int64
	raw, pos int64 // the demuxer's decode timestamp (dts may be moved across a discontinuity) and byte position
	key      bool
	size     int
	vop      int // MPEG-4 VOP coding type (0 I, 1 P, 2 B, 3 S), -1 unknown
}

// fromPts makes a timed index: every frame's presentation timestamp, in
// order. Duplicates are moved one tick on (FFmpeg's decoders would show
// both); a keyframe's number is the rank of its timestamp.
func (ix *frameIndex) fromPts(recs []packetRec) {
	pts := make([]int64, len(recs))
	for i, r := range recs {
		pts[i] = r.pts
	}
	slices.Sort(pts)
	dups := 0
	for i := 1; i < len(pts); i++ {
		if pts[i] <= pts[i-1] {
			pts[i] = pts[i-1] + 1
			dups++
		}
	}
	if dups > 0 {
		ix.note("timestamps", "%d duplicate presentation timestamps moved one tick on", dups)
	}
	ix.pts = pts
	ix.count = int64(len(pts))
	ix.t0 = pts[0]
	step := astiav.RescaleQ(1, ix.frameTb, ix.tb)
	if len(pts) > 1 {
		step = min(step, pts[len(pts)-1]-pts[len(pts)-2])
	}
	ix.end = pts[len(pts)-1] + max(step, 1)
	for _, r := range recs {
		if r.key {
			i, _ := slices.BinarySearch(pts, r.pts)
			ix.keys = append(ix.keys, int64(i))
		}
	}
	slices.Sort(ix.keys)
	ix.keys = slices.Compact(ix.keys)
}

// maxRepeatSeconds bounds the repeats one hole in the decode timestamps
// makes; a longer jump is a discontinuity, not a still picture.
const maxRepeatSeconds = 10

// fromDts makes a counted index from decode timestamps alone (AVI). The
// decoder shows the frame decoded delay packets earlier at each packet's
// decode time (the ffmpeg CLI's best-effort timestamps); a hole after a
// frame repeats it. Presentation order is decode order, or for MPEG-4 with
// B-frames, the anchors (I, P, S) shown one anchor late.
func (ix *frameIndex) fromDts(recs []packetRec, delay int) {
	step := max(astiav.RescaleQ(1, ix.frameTb, ix.tb), 1)
	repaired := 0
	for i := range recs {
		if recs[i].dts == astiav.NoPtsValue || i > 0 && recs[i].dts <= recs[i-1].dts {
			if i == 0 {
				recs[i].dts = 0
			} else {
				recs[i].dts = recs[i-1].dts + step
			}
			repaired++
		}
	}
	if repaired > 0 {
		ix.note("timestamps", "%d packets with a missing or out-of-order decode timestamp placed after the one before", repaired)
	}
	// order: decode positions in presentation order
	hasB := slices.ContainsFunc(recs, func(r packetRec) bool { return r.vop == 2 })
	order := make([]int, 0, len(recs))
	if hasB {
		held := -1
		for i, r := range recs {
			if r.vop == 2 {
				order = append(order, i)
				continue
			}
			if held >= 0 {
				order = append(order, held)
			}
			held = i
		}
		if held >= 0 {
			order = append(order, held)
		}
		delay = max(delay, 1)
	}
	m := len(recs)
	shownAt := func(k int) int64 { // the decode time the k-th decoded frame is shown at
		if k+delay < m {
			return recs[k+delay].dts
		}
		return recs[m-1].dts + int64(k+delay-m+1)*step
	}
	maxRep := int64(maxRepeatSeconds) * max(int64(1), astiav.RescaleQ(1, astiav.NewRational(1, 1), ix.frameTb))
	ix.counted = true
	ix.shown = make([]int64, m)
	jumps := 0
	for k := 1; k < m; k++ {
		gap := astiav.RescaleQRnd(shownAt(k)-shownAt(k-1), ix.tb, ix.frameTb, astiav.RoundingNearInf)
		if gap > maxRep {
			gap = 1
			jumps++
		}
		ix.shown[k] = ix.shown[k-1] + max(gap, 1)
	}
	if jumps > 0 {
		ix.note("timestamps", "%d jumps of more than %d s in the decode timestamps taken as discontinuities", jumps, maxRepeatSeconds)
	}
	ix.count = ix.shown[m-1] + 1
	ix.slots = astiav.RescaleQRnd(recs[m-1].dts, ix.tb, ix.frameTb, astiav.RoundingNearInf) + 1
	ix.t0 = shownAt(0)
	// the decoded frame each decode position becomes
	decodedOf := make([]int64, m)
	if hasB {
		for k, i := range order {
			decodedOf[i] = int64(k)
		}
	} else {
		for i := range decodedOf {
			decodedOf[i] = int64(i)
		}
	}
	for i, r := range recs {
		if !r.key {
			continue
		}
		f := ix.shown[decodedOf[i]]
		ix.keys = append(ix.keys, f)
		// decoding from a keyframe gives its frame first only when no
		// B-frame that shows before it follows it (an open GOP), and, for
		// reordering this scan cannot see, from the start alone
		seekable := i == 0 || (hasB && (i+1 >= m || recs[i+1].vop != 2)) || !hasB && delay == 0
		if seekable {
			ix.seeks = append(ix.seeks, seekPoint{dts: r.raw, decoded: decodedOf[i], frame: f, pos: r.pos})
		}
	}
	slices.Sort(ix.keys)
	if len(ix.seeks) == 0 || ix.seeks[0].frame != 0 {
		ix.seeks = append([]seekPoint{{dts: recs[0].raw, decoded: 0, frame: 0, pos: recs[0].pos}}, ix.seeks...)
	}
	slices.SortFunc(ix.seeks, func(a, b seekPoint) int { return int(a.frame - b.frame) })
}

// vopType is the coding type of the first MPEG-4 VOP in data (0 I, 1 P,
// 2 B, 3 S), or -1 when it has none.
func vopType(data []byte) int {
	i := bytes.Index(data, []byte{0, 0, 1, 0xb6})
	if i < 0 || i+4 >= len(data) {
		return -1
	}
	return int(data[i+4] >> 6)
}

// unpacker runs packets through FFmpeg's mpeg4_unpack_bframes bitstream
// filter, which turns DivX/Xvid "packed" B-frames (a B-frame stored in the
// packet of the P-frame before it, with a placeholder where it belongs)
// into one frame per packet. Streams without packing pass unchanged.
type unpacker struct {
	bsf     *astiav.BitStreamFilterContext
	out     *astiav.Packet
	packed  bool
	flushed bool // the end was sent
}

func newUnpacker(vs *astiav.Stream) (*unpacker, error) {
	f := astiav.FindBitStreamFilterByName("mpeg4_unpack_bframes")
	if f == nil {
		return nil, errors.New("not in this FFmpeg build")
	}
	bsf, err := astiav.AllocBitStreamFilterContext(f)
	if err != nil {
		return nil, err
	}
	if err := vs.CodecParameters().Copy(bsf.InputCodecParameters()); err != nil {
		bsf.Free()
		return nil, err
	}
	bsf.SetInputTimeBase(vs.TimeBase())
	if err := bsf.Initialize(); err != nil {
		bsf.Free()
		return nil, err
	}
	return &unpacker{bsf: bsf, out: astiav.AllocPacket()}, nil
}

// each sends pkt (nil: the end) through the filter, consuming its
// reference, and calls fn with every packet that comes out (valid during
// the call).
func (u *unpacker) each(pkt *astiav.Packet, fn func(*astiav.Packet)) error {
	if pkt != nil && pkt.Size() > 0 && vopCount(pkt.Data()) > 1 {
		u.packed = true
	}
	if err := u.bsf.SendPacket(pkt); err != nil && !errors.Is(err, astiav.ErrEof) {
		if pkt != nil {
			pkt.Unref()
		}
		return err
	}
	for {
		err := u.bsf.ReceivePacket(u.out)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return err
		}
		fn(u.out)
		u.out.Unref()
	}
}

func (u *unpacker) free() {
	if u == nil {
		return
	}
	u.bsf.Free()
	u.out.Free()
}

// vopCount counts the MPEG-4 VOP start codes in data.
func vopCount(data []byte) int {
	return bytes.Count(data, []byte{0, 0, 1, 0xb6})
}

// mpegTS reports whether d is an MPEG transport stream.
func mpegTS(d *demuxer) bool {
	f := d.fc.InputFormat()
	return f != nil && f.Name() == "mpegts"
}

// unwrap moves the decode timestamps after each discontinuity (one going
// back, or on by more than maxRepeatSeconds: what the ffmpeg CLI takes as
// a discontinuity in MPEG-TS and offsets away) to one frame after the
// packet before, keeping the demuxer's in raw. It reports whether there
// was one.
func (ix *frameIndex) unwrap(recs []packetRec) bool {
	step := max(astiav.RescaleQ(1, ix.frameTb, ix.tb), 1)
	limit := astiav.RescaleQ(maxRepeatSeconds, astiav.NewRational(1, 1), ix.tb)
	var shift int64
	jumps := 0
	prev := astiav.NoPtsValue
	for i := range recs {
		if recs[i].dts == astiav.NoPtsValue {
			continue
		}
		d := recs[i].dts + shift
		if prev != astiav.NoPtsValue && (d < prev || d-prev > limit) {
			shift += prev + step - d
			d = prev + step
			jumps++
		}
		recs[i].dts, prev = d, d
	}
	if jumps > 0 {
		ix.note("timestamps", "%d timestamp discontinuities: frames numbered across them in decode order", jumps)
	}
	return jumps > 0
}

// tsSamples is how many byte positions tsJumps reads timestamps at: one
// per tsSampleBytes of the file, 4 to 16. Each costs one read of the
// input's buffer (64 KiB), so a small file gets fewer.
func tsSamples(size int64) int64 { return min(max(size/tsSampleBytes, 6), 16) }

const tsSampleBytes = 384 << 10

// tsJumps (which leaves d at its start) looks for a timestamp discontinuity in an MPEG-TS (two captures
// joined, a splice) without reading the file: it reads the first video
// decode timestamp after each of tsSamples evenly spaced byte positions.
// They must increase, lie between the stream's start and the container's
// end, and no stretch between two samples may span more than four times
// the median stretch's time per byte plus maxRepeatSeconds (a jump
// forward).
// A jump smaller than that within one stretch is not seen; the ffmpeg CLI
// treats a forward jump under maxRepeatSeconds as a gap of repeated
// frames, as the grid index does.
func tsJumps(ctx context.Context, d *demuxer, vs *astiav.Stream) (bool, error) {
	t0 := vs.StartTime()
	dur := d.fc.Duration()
	if t0 == astiav.NoPtsValue || dur <= 0 || d.size <= 0 {
		return false, nil
	}
	end := t0 + astiav.RescaleQ(dur, astiav.NewRational(1, astiav.TimeBase), vs.TimeBase())
	slack := astiav.RescaleQ(maxRepeatSeconds, astiav.NewRational(1, 1), vs.TimeBase())
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	// the caller reads on from the start
	defer d.fc.SeekFrame(-1, 0, astiav.NewSeekFlags(astiav.SeekFlagByte)) //nolint:errcheck // a failed seek back fails the reads after it
	type sample struct{ pos, dts int64 }
	var samples []sample
	n := tsSamples(d.size)
	for k := int64(0); k < n; k++ {
		pos := d.size * k / n
		if err := d.fc.SeekFrame(-1, pos, astiav.NewSeekFlags(astiav.SeekFlagByte)); err != nil {
			return false, nil
		}
		for tries := 0; tries < 1000; tries++ {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			if err := d.fc.ReadFrame(pkt); err != nil {
				if errors.Is(err, astiav.ErrEof) {
					break
				}
				return false, d.readErr(ctx, "probe", err)
			}
			dts, p := pkt.Dts(), pkt.Pos()
			ok := pkt.StreamIndex() == vs.Index() && dts != astiav.NoPtsValue
			pkt.Unref()
			if ok {
				samples = append(samples, sample{max(p, pos), dts})
				break
			}
		}
	}
	if len(samples) < 2 {
		return false, nil
	}
	// the time per byte of each stretch between samples; their median is
	// the file's usual rate (a jump spans at most one or two stretches)
	var rates []float64
	for i, s := range samples {
		if s.dts < t0-slack || s.dts > end+slack {
			return true, nil
		}
		if i == 0 {
			continue
		}
		prev := samples[i-1]
		if s.dts < prev.dts {
			return true, nil
		}
		if s.pos > prev.pos {
			rates = append(rates, float64(s.dts-prev.dts)/float64(s.pos-prev.pos))
		}
	}
	if len(rates) < 2 {
		return false, nil
	}
	sorted := slices.Clone(rates)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	for i, r := range rates {
		span := float64(samples[i+1].pos - samples[i].pos)
		if (r-4*median)*span > float64(slack) {
			return true, nil
		}
	}
	return false, nil
}
