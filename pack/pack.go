package pack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
)

// Config says how to package. The zero value packages 4-second segments.
type Config struct {
	// Segment is the target segment duration (default 4 s). A segment ends
	// at the first keyframe of the first rung at or after this long (less
	// half a frame), so with keyframes every 2 s a 4 s target gives 4 s
	// segments and a 3 s target also gives 4 s ones.
	Segment time.Duration
	// Formats are the manifests to write: FormatHLS, FormatDASH or both
	// (nil: both). The segment files are the same either way.
	Formats []string
}

// Manifest formats for Config.Formats.
const (
	FormatHLS  = "hls"
	FormatDASH = "dash"
)

// wants says whether cfg asks for format f.
func (cfg Config) wants(f string) bool {
	return len(cfg.Formats) == 0 || slices.Contains(cfg.Formats, f)
}

// ParseFormats reads a comma-separated list of formats ("hls,dash").
func ParseFormats(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch f {
		case FormatHLS, FormatDASH:
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		default:
			return nil, fmt.Errorf("%w: package format %q: want %q, %q or both", ErrInvalidInput, f, FormatHLS, FormatDASH)
		}
	}
	return out, nil
}

// Segment is one media segment file.
type Segment struct {
	File     string  `json:"file"` // relative to the package directory
	Bytes    int64   `json:"bytes"`
	Start    float64 `json:"start_seconds"`
	Duration float64 `json:"duration_seconds"`
	Samples  int     `json:"samples"` // frames for video
	// first sample's decode time and the duration, in the track timescale
	startTicks, durTicks uint64
}

// Track is one packaged rung or audio track.
type Track struct {
	ID     string `json:"id"` // v0, v1, ... a0, ...
	Source string `json:"source"`
	Codec  string `json:"codec"`
	Init   string `json:"init"`
	// Playlist is the HLS media playlist, relative to the directory.
	Playlist  string    `json:"playlist"`
	Width     int       `json:"width,omitempty"`
	Height    int       `json:"height,omitempty"`
	FrameRate float64   `json:"frame_rate,omitempty"`
	Channels  int       `json:"channels,omitempty"`
	Language  string    `json:"language,omitempty"`
	Timescale uint32    `json:"timescale"`
	Duration  float64   `json:"duration_seconds"`
	Segments  []Segment `json:"segments"`
	mediaTime uint64    // the audio edit, ticks
	// PeakBitrate is the highest segment bitrate (bytes·8/duration) and
	// AverageBitrate all segment bytes·8 over the track's duration, in b/s.
	PeakBitrate    float64 `json:"peak_bitrate_bps"`
	AverageBitrate float64 `json:"average_bitrate_bps"`
	// Bandwidth and AverageBandwidth are what the HLS master says of a
	// rung's variant (BANDWIDTH and AVERAGE-BANDWIDTH): its peak and mean
	// plus the highest audio peak and mean, in b/s. Zero for audio.
	Bandwidth        uint32 `json:"bandwidth_bps,omitempty"`
	AverageBandwidth uint32 `json:"average_bandwidth_bps,omitempty"`
}

// Result describes what Package wrote.
type Result struct {
	Dir    string  `json:"dir"`
	Master string  `json:"hls_master,omitempty"` // relative to Dir; empty without HLS
	MPD    string  `json:"dash_mpd,omitempty"`   // relative to Dir; empty without DASH
	Video  []Track `json:"video"`
	Audio  []Track `json:"audio"`
}

// Package writes CMAF segments, HLS playlists and a DASH MPD for the video
// rungs and audio tracks into dir. When audio is empty, every audio track
// of the first rung (if it has any) is packaged, so no track is lost. dir is
// replaced whole and only when everything was written: a failure leaves the
// old dir or none.
func Package(ctx context.Context, cfg Config, video, audio []Input, dir string) (Result, error) {
	if len(video) == 0 {
		return Result{}, fmt.Errorf("%w: no video rendition", ErrInvalidInput)
	}
	if cfg.Segment == 0 {
		cfg.Segment = 4 * time.Second
	}
	if cfg.Segment < 0 {
		return Result{}, fmt.Errorf("%w: segment duration %v", ErrInvalidInput, cfg.Segment)
	}
	for _, f := range cfg.Formats {
		if f != FormatHLS && f != FormatDASH {
			return Result{}, fmt.Errorf("%w: package format %q: want %q or %q", ErrInvalidInput, f, FormatHLS, FormatDASH)
		}
	}
	var vts, ats []*track
	for _, in := range video {
		t, err := openTrack(in, "video")
		if err != nil {
			return Result{}, err
		}
		vts = append(vts, t)
	}
	for k := 0; len(audio) == 0; k++ {
		in := video[0]
		in.Track = k
		t, err := openTrack(in, "audio")
		if errors.Is(err, errNoTrack) {
			break
		}
		if err != nil {
			return Result{}, err // an audio track we cannot package is not dropped quietly
		}
		ats = append(ats, t)
	}
	for _, in := range audio {
		t, err := openTrack(in, "audio")
		if err != nil {
			return Result{}, err
		}
		ats = append(ats, t)
	}
	starts, err := plan(vts, cfg.Segment.Seconds())
	if err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Result{}, fmt.Errorf("pack: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return Result{}, fmt.Errorf("pack: %w", err)
	}
	defer os.RemoveAll(tmp) // after the rename there is nothing left here
	res := Result{Dir: dir}
	if cfg.wants(FormatHLS) {
		res.Master = "master.m3u8"
	}
	if cfg.wants(FormatDASH) {
		res.MPD = "manifest.mpd"
	}
	for i, t := range vts {
		tr, err := writeTrack(ctx, t, fmt.Sprintf("v%d", i), starts, tmp)
		if err != nil {
			return Result{}, err
		}
		res.Video = append(res.Video, tr)
	}
	refStarts := make([]float64, len(starts))
	for i, s := range starts {
		refStarts[i] = vts[0].pts(s)
	}
	for i, t := range ats {
		tr, err := writeTrack(ctx, t, fmt.Sprintf("a%d", i), audioStarts(t, refStarts), tmp)
		if err != nil {
			return Result{}, err
		}
		res.Audio = append(res.Audio, tr)
	}
	setBandwidth(&res)
	if res.Master != "" {
		if err := writeHLS(res, tmp); err != nil {
			return Result{}, err
		}
	}
	if res.MPD != "" {
		if err := writeMPD(res, tmp); err != nil {
			return Result{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if err := replaceDir(tmp, dir); err != nil {
		return Result{}, err
	}
	return res, nil
}

// setBandwidth fills each rung's HLS BANDWIDTH and AVERAGE-BANDWIDTH: a
// variant is played with one audio rendition of the group, and the spec
// asks for an upper bound, so the highest audio peak and mean are added.
func setBandwidth(res *Result) {
	var audioPeak, audioAvg float64
	for _, a := range res.Audio {
		audioPeak = math.Max(audioPeak, a.PeakBitrate)
		audioAvg = math.Max(audioAvg, a.AverageBitrate)
	}
	for i := range res.Video {
		v := &res.Video[i]
		v.Bandwidth = uint32(math.Ceil(v.PeakBitrate + audioPeak))
		v.AverageBandwidth = uint32(math.Ceil(v.AverageBitrate + audioAvg))
	}
}

// plan returns the frame indices where segments start, from the first rung,
// after checking that every other rung has a keyframe at each of them.
func plan(vts []*track, target float64) ([]int, error) {
	ref := vts[0]
	if !ref.samples[0].sync {
		return nil, fmt.Errorf("%w: rung v0 (%s) does not start with a keyframe", ErrMisaligned, ref.in.Name)
	}
	starts := []int{0}
	segStart := ref.samples[0].dts
	ticks := target * float64(ref.timescale)
	for i := 1; i < len(ref.samples); i++ {
		s := ref.samples[i]
		if s.sync && float64(s.dts-segStart) >= ticks-float64(s.dur)/2 {
			starts = append(starts, i)
			segStart = s.dts
		}
	}
	for r, t := range vts[1:] {
		id := fmt.Sprintf("v%d", r+1)
		if len(t.samples) != len(ref.samples) {
			return nil, fmt.Errorf("%w: rung %s (%s) has %d frames, rung v0 (%s) has %d", ErrMisaligned, id, t.in.Name, len(t.samples), ref.in.Name, len(ref.samples))
		}
		for k, f := range starts {
			if !t.samples[f].sync {
				return nil, fmt.Errorf("%w: rung %s (%s) has no keyframe at frame %d (%.3f s), where segment %d starts in rung v0 (%s)", ErrMisaligned, id, t.in.Name, f, ref.pts(f), k+1, ref.in.Name)
			}
			half := 0.5 * float64(ref.samples[f].dur) / float64(ref.timescale)
			if math.Abs(t.pts(f)-ref.pts(f)) > half {
				return nil, fmt.Errorf("%w: rung %s (%s) shows frame %d at %.3f s, rung v0 at %.3f s", ErrMisaligned, id, t.in.Name, f, t.pts(f), ref.pts(f))
			}
		}
	}
	return starts, nil
}

// audioStarts cuts an audio track at the first sample that starts at or
// after each video segment start (less half a sample).
func audioStarts(t *track, at []float64) []int {
	starts := []int{0}
	j := 0
	for _, sec := range at[1:] { // the first segment starts at 0
		for j < len(t.samples) {
			s := t.samples[j]
			p := (float64(int64(s.dts)-t.mediaTime) + float64(s.dur)/2) / float64(t.timescale)
			if p >= sec {
				break
			}
			j++
		}
		if j >= len(t.samples) {
			break
		}
		if j > starts[len(starts)-1] {
			starts = append(starts, j)
		}
	}
	return starts
}

// writeTrack writes id/init.mp4 and id/seg-NNNNN.m4s under dir.
func writeTrack(ctx context.Context, t *track, id string, starts []int, dir string) (Track, error) {
	if err := os.Mkdir(filepath.Join(dir, id), 0o755); err != nil {
		return Track{}, fmt.Errorf("pack: %w", err)
	}
	out := Track{ID: id, Source: t.in.Name, Codec: t.codec, Init: id + "/init.mp4", Playlist: id + "/media.m3u8",
		Timescale: t.timescale, Duration: t.duration()}
	if t.kind == "video" {
		out.Width, out.Height, out.FrameRate = t.width, t.height, t.frameRate()
	} else {
		out.Channels, out.Language = t.channels, t.lang
		if t.mediaTime > 0 {
			out.mediaTime = uint64(t.mediaTime)
		}
	}

	init := mp4.CreateEmptyInit()
	init.Moov.Mvhd.Timescale = t.movieTS
	init.AddEmptyTrack(t.timescale, t.kind, t.lang)
	trak := init.Moov.Trak
	trak.Tkhd.Width, trak.Tkhd.Height = t.trak.Tkhd.Width, t.trak.Tkhd.Height
	trak.Mdia.Minf.Stbl.Stsd.AddChild(t.entry)
	if t.edts != nil {
		// AAC priming: keep the edit so players drop the priming samples.
		trak.Edts = t.edts
		trak.Children = append([]mp4.Box{trak.Children[0], t.edts}, trak.Children[1:]...)
	}
	if _, err := writeFile(filepath.Join(dir, out.Init), init.Encode); err != nil {
		return Track{}, err
	}

	for k, first := range starts {
		if err := ctx.Err(); err != nil {
			return Track{}, err
		}
		end := len(t.samples)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		seg := mp4.NewMediaSegment()
		frag, err := mp4.CreateFragment(uint32(k+1), trak.Tkhd.TrackID)
		if err != nil {
			return Track{}, fmt.Errorf("pack: %w", err)
		}
		seg.AddFragment(frag)
		var ticks uint64
		for _, s := range t.samples[first:end] {
			data := make([]byte, s.size) // the fragment keeps the slice until it is written
			if _, err := t.in.R.ReadAt(data, s.offset); err != nil {
				return Track{}, fmt.Errorf("pack: %s: reading sample at %d: %w", t.in.Name, s.offset, err)
			}
			flags := mp4.SampleFlags{SampleIsNonSync: !s.sync, SampleDependsOn: 1}
			if s.sync {
				flags.SampleDependsOn = 2
			}
			fs := mp4.FullSample{Sample: mp4.Sample{Flags: flags.Encode(), Dur: s.dur, Size: s.size, CompositionTimeOffset: s.cto}, DecodeTime: s.dts, Data: data}
			if err := frag.AddFullSampleToTrack(fs, trak.Tkhd.TrackID); err != nil {
				return Track{}, fmt.Errorf("pack: %w", err)
			}
			ticks += uint64(s.dur)
		}
		name := fmt.Sprintf("%s/seg-%05d.m4s", id, k+1)
		n, err := writeFile(filepath.Join(dir, name), seg.Encode)
		if err != nil {
			return Track{}, err
		}
		sg := Segment{File: name, Bytes: n, Samples: end - first, startTicks: t.samples[first].dts, durTicks: ticks,
			Duration: float64(ticks) / float64(t.timescale)}
		sg.Start = t.pts(first) // video: the keyframe's time
		if t.kind == "audio" {
			sg.Start = float64(int64(sg.startTicks)-t.mediaTime) / float64(t.timescale)
		}
		out.Segments = append(out.Segments, sg)
		out.PeakBitrate = math.Max(out.PeakBitrate, float64(n)*8/sg.Duration)
		out.AverageBitrate += float64(n) * 8
	}
	out.AverageBitrate /= out.Duration
	return out, nil
}

// writeFile writes path with encode through a buffer and returns its size.
func writeFile(path string, encode func(w io.Writer) error) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("pack: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	err = encode(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("pack: writing %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("pack: %w", err)
	}
	return st.Size(), nil
}

// replaceDir moves tmp to dir, replacing what was there only after tmp is
// complete: the old tree is moved aside first and removed last.
func replaceDir(tmp, dir string) error {
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("pack: moving the old %s aside: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return fmt.Errorf("pack: %w", err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// presentationOffset is the audio edit in ticks (AAC priming), which DASH
// says with presentationTimeOffset.
func (t Track) presentationOffset() uint64 { return t.mediaTime }
