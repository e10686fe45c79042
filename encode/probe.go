package encode

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/asticode/go-astiav"

	"github.com/reelmedia/reel/media"
)

// ProbeOptions selects the optional, more expensive parts of Probe.
type ProbeOptions struct {
	// Keyframes lists the frame indices of the video keyframes. They come
	// from the container's index when it lists every frame (MP4, MOV);
	// otherwise Probe reads every packet of the file (no decoding).
	Keyframes bool `json:"keyframes,omitempty"`
	// KeyframesIfCheap lists the keyframes only when that reads nothing
	// more: from the container's index (MP4, MOV), or from the packets
	// Probe reads anyway to count the frames of a container that does not
	// declare them (Matroska, MPEG-TS). Otherwise Info.Keyframes stays nil.
	KeyframesIfCheap bool `json:"keyframes_if_cheap,omitempty"`
	// Strict refuses a damaged file (ErrTruncated) instead of describing
	// what can be decoded and listing the problems (Info.Problems).
	Strict bool `json:"strict,omitempty"`
}

// Rational is an exact fraction such as a frame rate (25/1, 30000/1001).
type Rational struct {
	Num int `json:"num"`
	Den int `json:"den"`
}

// Float returns Num/Den, or 0 when Den is 0.
func (r Rational) Float() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

func (r Rational) av() astiav.Rational { return astiav.NewRational(r.Num, r.Den) }

// Stream describes one stream of the container.
type Stream struct {
	Index         int     `json:"index"`
	Type          string  `json:"type"` // video, audio, subtitle, data, attachment
	Codec         string  `json:"codec"`
	BitRate       int64   `json:"bit_rate,omitempty"`
	Duration      float64 `json:"duration,omitempty"` // seconds
	Width         int     `json:"width,omitempty"`
	Height        int     `json:"height,omitempty"`
	PixFmt        string  `json:"pix_fmt,omitempty"`
	FPS           float64 `json:"fps,omitempty"`
	SampleRate    int     `json:"sample_rate,omitempty"`
	Channels      int     `json:"channels,omitempty"`
	ChannelLayout string  `json:"channel_layout,omitempty"`
	SampleFmt     string  `json:"sample_fmt,omitempty"`
	CoverArt      bool    `json:"cover_art,omitempty"`
	// Language (ISO 639), Title and Default: the stream's tags and its
	// default flag; reel's audio track choice reads them.
	Language string `json:"language,omitempty"`
	Title    string `json:"title,omitempty"`
	Default  bool   `json:"default,omitempty"`
}

// VideoStream describes the first video stream in detail.
type VideoStream struct {
	Index      int          `json:"index"`
	Codec      string       `json:"codec"`
	Width      int          `json:"width"`
	Height     int          `json:"height"`
	PixFmt     string       `json:"pix_fmt"`
	BitDepth   int          `json:"bit_depth"`
	FrameRate  Rational     `json:"frame_rate"`
	FPS        float64      `json:"fps"`
	FrameCount int64        `json:"frame_count"` // exact: from the container index, else counted packets
	IntraOnly  bool         `json:"intra_only"`  // every frame is a keyframe (FFmpeg's codec description)
	Duration   float64      `json:"duration"`    // FrameCount / FPS, seconds
	TimeBase   Rational     `json:"time_base"`
	Color      media.Color  `json:"color"`
	Format     media.Format `json:"-"`         // the media.Format of PixFmt, when Supported
	Supported  bool         `json:"supported"` // PixFmt maps to a media.Format without conversion
	Keyframes  []int64      `json:"keyframes,omitempty"`
	// VFR is set when the frames' durations vary (a variable frame rate,
	// known from timestamps Probe read); FrameDurations then says how.
	VFR            bool            `json:"vfr,omitempty"`
	FrameDurations *FrameDurations `json:"frame_durations,omitempty"`
	// FieldOrder is progressive, tt, bb, tb or bt (top/bottom field coded
	// first, then shown first): from the codec parameters, else from the
	// first decoded frame's flags (tt or bb). Interlaced is set for all but
	// progressive.
	FieldOrder string `json:"field_order,omitempty"`
	Interlaced bool   `json:"interlaced"`
	// HDR is the HDR transfer and HDR10 static metadata (container side
	// data, else the first frame's); nil for SDR.
	HDR *HDR `json:"hdr,omitempty"`
	// Timecode is the SMPTE timecode of frame 0 ("01:00:00:00"; ";"
	// before the frames for drop-frame), from the stream's, a timecode
	// (tmcd) track's or the container's timecode metadata; empty when
	// there is none. An encode carries it to its output.
	Timecode string `json:"timecode,omitempty"`
	// EditList is set when the container's edit list leaves some of its
	// frames out (MP4/MOV): frame 0 is the first frame it presents, as in
	// the ffmpeg CLI, and FrameCount counts the frames presented.
	EditList bool `json:"edit_list,omitempty"`
}

// FrameDurations are the shortest, average and longest frame durations of
// a variable-rate stream, in seconds.
type FrameDurations struct {
	Min float64 `json:"min"`
	Avg float64 `json:"avg"`
	Max float64 `json:"max"`
}

// Info is what Probe found out about an input.
type Info struct {
	Name      string   `json:"name"`
	Container string   `json:"container"` // FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
	Duration  float64  `json:"duration"`  // seconds, container's view
	Size      int64    `json:"size"`
	BitRate   int64    `json:"bit_rate"`
	Streams   []Stream `json:"streams"`
	HasVideo  bool     `json:"has_video"`
	// VideoStream is the first video stream; zero when HasVideo is false.
	VideoStream `json:"video"`
	// Problems lists the damage found and worked around (a container that
	// promises more frames than its data holds, repaired timestamps, packed
	// B-frames); empty for a clean file. Strict probes refuse instead.
	Problems []Problem `json:"problems,omitempty"`
	// FrameIndex is the frame index Probe built (or was given in
	// Input.Index): give it back in Input.Index to open ranges of the same
	// source without building it again.
	FrameIndex *Index `json:"-"`
}

// Video returns the first video stream, or nil when there is none.
func (i *Info) Video() *VideoStream {
	if i == nil || !i.HasVideo {
		return nil
	}
	return &i.VideoStream
}

// Probe describes in: container, streams and the first video stream, with an
// exact frame count. Bad input gives ErrNotFound, ErrEmpty, ErrTruncated or
// ErrInvalidData; a file without video is not an error (HasVideo is false).
func Probe(ctx context.Context, in Input, opts ProbeOptions) (*Info, error) {
	d, err := openDemuxer(ctx, "probe", in)
	if err != nil {
		return nil, err
	}
	defer d.close()
	info := describe(d)
	if !info.HasVideo {
		return info, nil
	}
	if info.needsFirstFrame() {
		if err := info.fromFirstFrame(ctx, "probe", in); err != nil {
			return nil, err
		}
	}
	ix, err := givenIndex("probe", in, d, info)
	if err != nil {
		return nil, err
	}
	if ix != nil {
		if opts.Strict {
			if err := ix.refuse("probe", d.name); err != nil {
				return nil, err
			}
		}
		info.fromIndex(ix, opts.Keyframes || opts.KeyframesIfCheap)
		info.FrameIndex = in.Index
		return info, nil
	}
	scanned := false
	ix, moved, err := buildIndex(ctx, d, info, true)
	if err == nil && ix.grid() {
		err = probeGrid(ctx, d, info, ix, opts)
	}
	if errors.Is(err, errScan) {
		scan := d
		if moved {
			if scan, err = openDemuxer(ctx, "probe", in); err != nil {
				return nil, err
			}
			defer scan.close()
		}
		ix, err = scanIndex(ctx, "probe", scan, info, opts.Strict)
		scanned = err == nil
	}
	if err == nil && opts.Strict {
		err = ix.refuse("probe", d.name)
	}
	if err != nil {
		return nil, err
	}
	info.fromIndex(ix, opts.Keyframes || opts.KeyframesIfCheap)
	info.FrameIndex = newIndex(ix, d, info, scanned)
	return info, nil
}

// probeGrid completes a constant-rate index: the keyframes (countCheap's
// sources), and for a declared count, that the data reaches the last
// frame (checkTail). It returns errScan when the keyframes asked for need
// every packet read.
func probeGrid(ctx context.Context, d *demuxer, info *Info, ix *frameIndex, opts ProbeOptions) error {
	info.FrameCount = ix.count
	vs := d.fc.Streams()[info.Index]
	if (opts.Keyframes || opts.KeyframesIfCheap) && ix.keys == nil {
		if info.IntraOnly && ix.count > 0 {
			ix.keys = make([]int64, ix.count)
			for i := range ix.keys {
				ix.keys[i] = int64(i)
			}
		} else if keys, ok := containerKeyframes(d, vs, ix.count); ok {
			ix.keys = keys
		} else if opts.Keyframes {
			return errScan
		}
	}
	if ix.declared == 0 || ix.count < ix.declared {
		return nil // counted from the tail, or cut short by the sample table
	}
	ends, err := checkTail(ctx, d, vs, ix.declared)
	if err != nil {
		return err
	}
	if ends >= 0 {
		msg := fmt.Sprintf("the container lists %d frames but the data ends after %d", ix.declared, ends)
		if opts.Strict || ends == 0 {
			return newErr("probe", d.name, ErrTruncated, nil, "%s", msg)
		}
		ix.count = ends
		ix.problems = append(ix.problems, Problem{Kind: "truncated", Msg: msg})
	}
	return nil
}

// fromIndex fills the frame count, duration, rate statistics, keyframes
// (when asked) and problems from ix.
func (info *Info) fromIndex(ix *frameIndex, keyframes bool) {
	info.FrameCount = ix.count
	info.setDuration()
	if ix.pts != nil && ix.count > 0 {
		info.VideoStream.Duration = float64(ix.end-ix.pts[0]) * ix.tb.Float64()
		if ix.vfr() {
			lo, avg, hi := ix.durations()
			s := ix.tb.Float64()
			info.VFR = true
			info.FrameDurations = &FrameDurations{Min: float64(lo) * s, Avg: float64(avg) * s, Max: float64(hi) * s}
		}
	}
	info.Keyframes = nil
	if keyframes {
		info.Keyframes = slices.Clone(ix.keys) // an Index is shared: its lists are never handed out
	}
	info.Problems = slices.Clone(ix.problems)
	info.EditList = ix.editList
}

// sourceTimecode is the timecode metadata of vs, else of any timecode
// (tmcd, data) stream, else of the container.
func sourceTimecode(fc *astiav.FormatContext, vs *astiav.Stream) string {
	if tc := dictValue(vs.Metadata(), "timecode"); tc != "" {
		return tc
	}
	for _, s := range fc.Streams() {
		if tc := dictValue(s.Metadata(), "timecode"); tc != "" {
			return tc
		}
	}
	return dictValue(fc.Metadata(), "timecode")
}

// dictValue is the value of key in d, or "" (also for a nil d).
func dictValue(d *astiav.Dictionary, key string) string {
	if d == nil {
		return ""
	}
	e := d.Get(key, nil, astiav.NewDictionaryFlags())
	if e == nil {
		return ""
	}
	return e.Value()
}

// describe fills Info from the stream headers without reading packets.
func describe(d *demuxer) *Info {
	fc := d.fc
	info := &Info{Name: d.name, Size: d.size, BitRate: fc.BitRate()}
	if f := fc.InputFormat(); f != nil {
		info.Container = f.Name()
	}
	if dur := fc.Duration(); dur > 0 {
		info.Duration = float64(dur) / float64(astiav.TimeBase)
	}
	for _, s := range fc.Streams() {
		cp := s.CodecParameters()
		st := Stream{Index: s.Index(), Type: cp.MediaType().String(), Codec: cp.CodecID().Name(), BitRate: cp.BitRate()}
		if s.Duration() > 0 {
			st.Duration = float64(s.Duration()) * s.TimeBase().Float64()
		}
		switch cp.MediaType() {
		case astiav.MediaTypeVideo:
			st.Width, st.Height = cp.Width(), cp.Height()
			if cp.PixelFormat() != astiav.PixelFormatNone {
				st.PixFmt = cp.PixelFormat().Name()
			}
			st.FPS = streamFPS(s).Float64()
			st.CoverArt = isAttachedPic(s)
		case astiav.MediaTypeAudio:
			st.SampleRate = cp.SampleRate()
			st.Channels = cp.ChannelLayout().NbChannels()
			st.ChannelLayout = cp.ChannelLayout().String()
			st.SampleFmt = cp.SampleFormat().Name()
			st.Language, st.Title, st.Default = streamLanguage(s), streamMeta(s, "title"), streamDefault(s)
		}
		info.Streams = append(info.Streams, st)
	}
	vs := d.videoStream()
	if vs == nil {
		return info
	}
	cp := vs.CodecParameters()
	fps := streamFPS(vs)
	v := VideoStream{
		Index:     vs.Index(),
		Codec:     cp.CodecID().Name(),
		Width:     cp.Width(),
		Height:    cp.Height(),
		FrameRate: Rational{fps.Num(), fps.Den()},
		FPS:       fps.Float64(),
		TimeBase:  Rational{vs.TimeBase().Num(), vs.TimeBase().Den()},
		Color:     codecParamsColor(cp),
		IntraOnly: intraOnly(cp.CodecID()),
	}
	if cp.PixelFormat() != astiav.PixelFormatNone {
		v.PixFmt = cp.PixelFormat().Name()
		v.BitDepth, v.Format, v.Supported = pixFmtInfo(cp.PixelFormat())
	}
	if n := vs.NbFrames(); n > 0 {
		v.FrameCount = n
	}
	v.setFieldOrder(streamFieldOrder(vs))
	v.HDR = streamHDR(vs, v.Color.Transfer)
	v.Timecode = sourceTimecode(fc, vs)
	info.HasVideo = true
	info.VideoStream = v
	info.setDuration()
	return info
}

func (info *Info) setDuration() {
	if info.FPS > 0 {
		info.VideoStream.Duration = float64(info.FrameCount) / info.FPS
	}
}

// streamFPS is the stream's average frame rate, else its real base rate,
// else 25/1.
func streamFPS(s *astiav.Stream) astiav.Rational {
	if r := s.AvgFrameRate(); r.Num() > 0 && r.Den() > 0 {
		return r
	}
	if r := s.RFrameRate(); r.Num() > 0 && r.Den() > 0 {
		return r
	}
	return astiav.NewRational(25, 1)
}

// frameTimeBase is one frame's duration at vs's frame rate (streamFPS).
func frameTimeBase(vs *astiav.Stream) astiav.Rational {
	fps := streamFPS(vs)
	return astiav.NewRational(fps.Den(), fps.Num())
}

// containerKeyframes lists vs's keyframes from the demuxer's index: an
// index of every frame (MP4, MOV; frames must match its length), or
// Matroska's cues (keyframes only, by presentation time).
func containerKeyframes(d *demuxer, vs *astiav.Stream, frames int64) ([]int64, bool) {
	if frames > 0 {
		if keys, ok := indexKeyframes(vs, frames); ok {
			return keys, true
		}
	}
	f := d.fc.InputFormat()
	if f == nil || !strings.Contains(f.Name(), "matroska") {
		return nil, false
	}
	t0 := vs.StartTime()
	if t0 == astiav.NoPtsValue {
		return nil, false
	}
	keys, ok := cueKeyframes(vs, t0, frameTimeBase(vs))
	if !ok || keys[0] != 0 || frames > 0 && keys[len(keys)-1] >= frames {
		return nil, false
	}
	return keys, true
}

// tailCount counts the frames of a stream whose container declares no
// count (Matroska, MPEG-TS, MXF) from its end instead of reading the whole
// file: it seeks to the last keyframe before the container's end, reads
// from there, and takes the last frame's index from its timestamp at the
// stream's constant rate. A demuxer that seeks by timestamp rather than to
// keyframes (MPEG-TS) may land after the last keyframe: the seek then goes
// further back (tailBack). The tail must itself be consistent: counted from
// its first keyframe, the frames read are exactly those between its first
// and last timestamps, at that rate. ok is false when this cannot be done
// (not seekable, no duration or timestamps, an inconsistent tail); the
// caller then reads every packet.
func tailCount(ctx context.Context, d *demuxer, vs *astiav.Stream) (n int64, ok bool, err error) {
	t0 := vs.StartTime()
	dur := d.fc.Duration()
	if t0 == astiav.NoPtsValue || dur <= 0 {
		return 0, false, nil
	}
	frameTb := frameTimeBase(vs)
	end := t0 + astiav.RescaleQ(dur, astiav.NewRational(1, astiav.TimeBase), vs.TimeBase())
	for _, back := range tailBack {
		target := max(t0, end-astiav.RescaleQ(int64(back), astiav.NewRational(1, 1), vs.TimeBase()))
		if err := d.fc.SeekFrame(vs.Index(), target, astiav.NewSeekFlags(astiav.SeekFlagBackward)); err != nil {
			return 0, false, nil
		}
		lo, hi, read, err := readTail(ctx, d, vs)
		if err != nil || read < 0 {
			return 0, false, err
		}
		if read == 0 {
			if target == t0 {
				return 0, false, nil
			}
			continue // no keyframe after the seek: from further back
		}
		if hi == astiav.NoPtsValue {
			return 0, false, nil
		}
		first := astiav.RescaleQRnd(lo-t0, vs.TimeBase(), frameTb, astiav.RoundingNearInf)
		last := astiav.RescaleQRnd(hi-t0, vs.TimeBase(), frameTb, astiav.RoundingNearInf)
		if first < 0 || last-first+1 != read {
			return 0, false, nil // gaps, duplicates or another rate in the tail
		}
		return last + 1, true, nil
	}
	return 0, false, nil
}

// tailBack is how far before the end, in seconds, tailCount seeks in turn.
var tailBack = []int{0, 4, 16, 64}

// readTail reads vs's packets to the end of the file from the first
// keyframe on, and returns their lowest and highest timestamps (hi is
// NoPtsValue when a packet has none) and how many there were (0: no
// keyframe came; -1: more than a tail's worth did).
func readTail(ctx context.Context, d *demuxer, vs *astiav.Stream) (lo, hi, read int64, err error) {
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	lo, hi = astiav.NoPtsValue, astiav.NoPtsValue
	for {
		if err := ctx.Err(); err != nil {
			return 0, 0, 0, err
		}
		if err := d.fc.ReadFrame(pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				return lo, hi, read, nil
			}
			return 0, 0, 0, d.readErr(ctx, "probe", err)
		}
		if pkt.StreamIndex() != vs.Index() || read == 0 && !pkt.Flags().Has(astiav.PacketFlagKey) {
			pkt.Unref()
			continue
		}
		if err := d.checkPacket("probe", pkt); err != nil {
			pkt.Unref()
			return 0, 0, 0, err
		}
		t := pkt.Pts()
		pkt.Unref()
		if t == astiav.NoPtsValue {
			return lo, astiav.NoPtsValue, read + 1, nil
		}
		if lo == astiav.NoPtsValue || t < lo {
			lo = t
		}
		if hi == astiav.NoPtsValue || t > hi {
			hi = t
		}
		if read++; read > 100_000 {
			return 0, 0, -1, nil
		}
	}
}

// checkTail seeks to the last keyframe and reads to the end: every packet
// must lie inside the file and the frames from there must add up to the
// frame count the container declares (declared: less the frames an edit
// list leaves out). ends is the number of frames the
// data holds when that is fewer, else -1.
func checkTail(ctx context.Context, d *demuxer, vs *astiav.Stream, declared int64) (ends int64, err error) {
	t0 := vs.StartTime()
	if t0 == astiav.NoPtsValue {
		t0 = 0
	}
	end := vs.Duration()
	if end <= 0 {
		end = astiav.RescaleQ(d.fc.Duration(), astiav.NewRational(1, astiav.TimeBase), vs.TimeBase())
	}
	frameTb := frameTimeBase(vs)
	// aim at the last frame: a target past it lands at the end of the index
	target := t0 + max(0, end-astiav.RescaleQ(1, frameTb, vs.TimeBase()))
	if err := d.fc.SeekFrame(vs.Index(), target, astiav.NewSeekFlags(astiav.SeekFlagBackward)); err != nil {
		return -1, nil // not seekable: nothing cheap to check
	}
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	var (
		first = astiav.NoPtsValue
		n     int64
	)
	for n < 1_000_000 {
		if err := d.fc.ReadFrame(pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				break
			}
			return -1, d.readErr(ctx, "probe", err)
		}
		if pkt.StreamIndex() == vs.Index() {
			if err := d.checkPacket("probe", pkt); err != nil {
				pkt.Unref()
				break // the frames before it are there
			}
			if first == astiav.NoPtsValue || (pkt.Pts() != astiav.NoPtsValue && pkt.Pts() < first) {
				first = pkt.Pts()
			}
			n++
		}
		pkt.Unref()
	}
	if n == 0 && declared > 0 {
		return 0, nil
	}
	if first == astiav.NoPtsValue || declared <= 0 {
		return -1, nil
	}
	k := astiav.RescaleQRnd(first-t0, vs.TimeBase(), frameTb, astiav.RoundingNearInf)
	if k+n < declared {
		return k + n, nil
	}
	return -1, nil
}
