package pack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	m3u8 "github.com/Eyevinn/hls-m3u8/m3u8"

	"github.com/reelmedia/reel/internal/testmedia"
)

const (
	fps     = 24
	seconds = 10
	frames  = fps * seconds
)

// rung makes a 10 s, 24 fps x264 rung of testsrc2 with AAC audio and a
// keyframe forced every keyEvery seconds (scene cuts off, closed GOPs).
func rung(t *testing.T, w, h, crf, keyEvery int) string {
	t.Helper()
	return testmedia.File(t, fmt.Sprintf("pack-%dx%d-crf%d-k%d", w, h, crf, keyEvery), "mp4",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=s=640x360:r=%d:d=%d", fps, seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", seconds),
		"-vf", fmt.Sprintf("scale=%d:%d", w, h), "-pix_fmt", "yuv420p",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", fmt.Sprint(crf), "-x264-params", "scenecut=0",
		"-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%d)", keyEvery),
		"-c:a", "aac", "-b:a", "96k", "-shortest")
}

func inputs(t *testing.T, paths ...string) []Input {
	t.Helper()
	var out []Input
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Input{Name: p, R: f, Size: st.Size()})
	}
	return out
}

// streams lists the video streams ffprobe sees in a manifest: index, size.
func streams(t *testing.T, manifest string) [][3]int {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=index,codec_type,width,height", "-of", "json", manifest).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", manifest, err)
	}
	var probe struct {
		Streams []struct {
			Index         int
			CodecType     string `json:"codec_type"`
			Width, Height int
		}
	}
	if err := json.Unmarshal(out, &probe); err != nil {
		t.Fatal(err)
	}
	var v [][3]int
	for _, s := range probe.Streams {
		if s.CodecType == "video" {
			v = append(v, [3]int{s.Index, s.Width, s.Height})
		}
	}
	return v
}

// frameHashes decodes one stream of a file with the ffmpeg CLI and returns
// the MD5 of every frame.
func frameHashes(t *testing.T, input, stream string) []string {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", input, "-map", stream, "-f", "framemd5", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg -i %s -map %s: %v\n%s", input, stream, err, stderr.String())
	}
	var h []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		h = append(h, strings.TrimSpace(f[len(f)-1]))
	}
	return h
}

func TestPackagePlaysInFFmpeg(t *testing.T) {
	sizes := [][3]int{{640, 360, 23}, {480, 270, 26}, {320, 180, 30}}
	var paths []string
	for _, s := range sizes {
		paths = append(paths, rung(t, s[0], s[1], s[2], 2))
	}
	dir := filepath.Join(t.TempDir(), "pkg")
	res, err := Package(context.Background(), Config{Segment: 4 * time.Second}, inputs(t, paths...), nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Video) != 3 || len(res.Audio) != 1 {
		t.Fatalf("packaged %d video and %d audio tracks, want 3 and 1 (the first rung's audio)", len(res.Video), len(res.Audio))
	}

	// Every rung decodes from the master playlist and from the MPD to the
	// source's frames, bit for bit.
	for _, manifest := range []string{res.Master, res.MPD} {
		vs := streams(t, filepath.Join(dir, manifest))
		if len(vs) != len(sizes) {
			t.Fatalf("%s: ffprobe sees %d video streams %v, want %d", manifest, len(vs), vs, len(sizes))
		}
		for i, s := range sizes {
			idx := -1
			for _, v := range vs {
				if v[1] == s[0] && v[2] == s[1] {
					idx = v[0]
				}
			}
			if idx < 0 {
				t.Fatalf("%s: no %dx%d stream in %v", manifest, s[0], s[1], vs)
			}
			got := frameHashes(t, filepath.Join(dir, manifest), fmt.Sprintf("0:%d", idx))
			want := frameHashes(t, paths[i], "0:v:0")
			if len(want) != frames {
				t.Fatalf("source %s has %d frames, want %d", paths[i], len(want), frames)
			}
			if len(got) != len(want) {
				t.Fatalf("%s rung %dx%d: %d frames, source has %d", manifest, s[0], s[1], len(got), len(want))
			}
			for k := range got {
				if got[k] != want[k] {
					t.Fatalf("%s rung %dx%d: frame %d differs from the source", manifest, s[0], s[1], k)
				}
			}
		}
	}

	checkHLS(t, dir, res)
	checkMPD(t, dir, res)
}

// checkHLS reads the playlists back with the m3u8 library (strict) and
// checks durations and the master's attributes against the files on disk.
func checkHLS(t *testing.T, dir string, res Result) {
	t.Helper()
	frame := 1.0 / fps
	type rates struct{ peak, avg float64 }
	measured := map[string]rates{}
	for _, tr := range append(append([]Track(nil), res.Video...), res.Audio...) {
		f, err := os.Open(filepath.Join(dir, tr.Playlist))
		if err != nil {
			t.Fatal(err)
		}
		pl, typ, err := m3u8.DecodeFrom(f, true)
		f.Close()
		if err != nil || typ != m3u8.MEDIA {
			t.Fatalf("%s: %v (type %v)", tr.Playlist, err, typ)
		}
		media := pl.(*m3u8.MediaPlaylist)
		if media.Map == nil || media.Map.URI != "init.mp4" || !media.Closed {
			t.Errorf("%s: EXT-X-MAP %+v, ENDLIST %v", tr.Playlist, media.Map, media.Closed)
		}
		var bytes, total, peak float64
		n := 0
		for _, s := range media.GetAllSegments() {
			st, err := os.Stat(filepath.Join(dir, filepath.Dir(tr.Playlist), s.URI))
			if err != nil {
				t.Fatal(err)
			}
			last := n == int(media.Count())-1
			if strings.HasPrefix(tr.ID, "v") && !last && math.Abs(s.Duration-4) > frame {
				t.Errorf("%s segment %d lasts %.4f s, want 4 s within a frame", tr.Playlist, n, s.Duration)
			}
			if s.Duration > 4+frame || math.Round(s.Duration) > float64(media.TargetDuration) {
				t.Errorf("%s segment %d lasts %.4f s, target %d", tr.Playlist, n, s.Duration, media.TargetDuration)
			}
			b := float64(st.Size()) * 8
			bytes += b
			total += s.Duration
			peak = math.Max(peak, b/s.Duration)
			n++
		}
		if strings.HasPrefix(tr.ID, "v") && (n != 3 || math.Abs(total-seconds) > 1e-3) {
			t.Errorf("%s: %d segments over %.3f s, want 3 over %d s", tr.Playlist, n, total, seconds)
		}
		measured[tr.ID] = rates{peak, bytes / total}
	}

	f, err := os.Open(filepath.Join(dir, res.Master))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pl, typ, err := m3u8.DecodeFrom(f, true)
	if err != nil || typ != m3u8.MASTER {
		t.Fatalf("master: %v (type %v)", err, typ)
	}
	master := pl.(*m3u8.MasterPlaylist)
	if len(master.Variants) != len(res.Video) {
		t.Fatalf("master has %d variants, want %d", len(master.Variants), len(res.Video))
	}
	audio := measured["a0"]
	for i, v := range master.Variants {
		tr := res.Video[i]
		m := measured[tr.ID]
		// Allow 1 b/s for the rounding up and float sums.
		if want := m.peak + audio.peak; math.Abs(float64(v.Bandwidth)-want) > 1.5 {
			t.Errorf("%s: BANDWIDTH %d, segments say %.1f", v.URI, v.Bandwidth, want)
		}
		if want := m.avg + audio.avg; math.Abs(float64(v.AverageBandwidth)-want) > 1.5 {
			t.Errorf("%s: AVERAGE-BANDWIDTH %d, segments say %.1f", v.URI, v.AverageBandwidth, want)
		}
		if v.Bandwidth <= v.AverageBandwidth || v.AverageBandwidth == 0 {
			t.Errorf("%s: BANDWIDTH %d not above AVERAGE-BANDWIDTH %d", v.URI, v.Bandwidth, v.AverageBandwidth)
		}
		if want := fmt.Sprintf("%dx%d", tr.Width, tr.Height); v.Resolution != want {
			t.Errorf("%s: RESOLUTION %s, want %s", v.URI, v.Resolution, want)
		}
		if v.FrameRate != fps || !strings.HasPrefix(v.Codecs, "avc1.") || !strings.HasSuffix(v.Codecs, ",mp4a.40.2") || v.Audio != audioGroup {
			t.Errorf("%s: FRAME-RATE %v CODECS %q AUDIO %q", v.URI, v.FrameRate, v.Codecs, v.Audio)
		}
	}
	alts := master.GetAllAlternatives()
	if len(alts) != 1 || alts[0].GroupId != audioGroup || alts[0].URI != "a0/media.m3u8" || alts[0].Channels != "1" {
		t.Errorf("audio renditions %+v", alts)
	}
}

// checkMPD reads the MPD back with the dash-mpd library and checks that it
// describes the same segments.
func checkMPD(t *testing.T, dir string, res Result) {
	t.Helper()
	m, err := mpd.ReadFromFile(filepath.Join(dir, res.MPD))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Periods) != 1 || len(m.Periods[0].AdaptationSets) != 2 {
		t.Fatalf("MPD has %d periods", len(m.Periods))
	}
	reps := m.Periods[0].AdaptationSets[0].Representations
	if len(reps) != len(res.Video) {
		t.Fatalf("MPD has %d video representations", len(reps))
	}
	for i, r := range reps {
		tr := res.Video[i]
		var n uint64
		var ticks uint64
		for _, s := range r.SegmentTemplate.SegmentTimeline.S {
			n += uint64(s.R) + 1
			ticks += (uint64(s.R) + 1) * s.D
		}
		if int(n) != len(tr.Segments) || float64(ticks)/float64(tr.Timescale) != tr.Duration {
			t.Errorf("%s: timeline of %d segments, %d ticks; packaged %d segments, %.3f s", r.Id, n, ticks, len(tr.Segments), tr.Duration)
		}
		if r.Bandwidth != uint32(math.Ceil(tr.PeakBitrate)) || int(r.Width) != tr.Width {
			t.Errorf("%s: bandwidth %d width %d", r.Id, r.Bandwidth, r.Width)
		}
	}
}

func TestMisalignedKeyframesRefused(t *testing.T) {
	good := rung(t, 480, 270, 26, 2)
	bad := rung(t, 320, 180, 30, 3) // keyframes at 0, 3, 6, 9 s
	dir := filepath.Join(t.TempDir(), "pkg")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old.txt"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Package(context.Background(), Config{}, inputs(t, good, bad), nil, dir)
	if !errors.Is(err, ErrMisaligned) {
		t.Fatalf("err = %v, want ErrMisaligned", err)
	}
	// Segment 2 starts at 4 s, frame 96, where the second rung has none.
	for _, want := range []string{"rung v1", bad, "frame 96", "4.000 s", "segment 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	// Nothing was written and the old package is intact.
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("left %d entries beside the package: %v", len(entries), entries)
	}
	if _, err := os.Stat(filepath.Join(dir, "old.txt")); err != nil {
		t.Errorf("old package gone: %v", err)
	}
	// A good package replaces the old one whole.
	if _, err := Package(context.Background(), Config{}, inputs(t, good), nil, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "old.txt")); !os.IsNotExist(err) {
		t.Errorf("old file survived the replacement: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "master.m3u8")); err != nil {
		t.Error(err)
	}
}

func TestPackageHEVC(t *testing.T) {
	var paths []string
	for _, w := range []int{320, 160} {
		paths = append(paths, testmedia.File(t, fmt.Sprintf("pack-hevc-%d", w), "mp4",
			"-f", "lavfi", "-i", "testsrc2=s=320x180:r=24:d=5",
			"-vf", fmt.Sprintf("scale=%d:-2", w), "-pix_fmt", "yuv420p",
			"-c:v", "libx265", "-preset", "ultrafast", "-crf", "30", "-tag:v", "hvc1",
			"-x265-params", "scenecut=0:pools=2:frame-threads=1:log-level=error",
			"-force_key_frames", "expr:gte(t,n_forced*2)"))
	}
	dir := filepath.Join(t.TempDir(), "pkg")
	res, err := Package(context.Background(), Config{Segment: 2 * time.Second}, inputs(t, paths...), nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Audio) != 0 || !strings.HasPrefix(res.Video[0].Codec, "hvc1.") {
		t.Fatalf("audio %d, codec %q", len(res.Audio), res.Video[0].Codec)
	}
	for _, manifest := range []string{res.Master, res.MPD} {
		vs := streams(t, filepath.Join(dir, manifest))
		for i := range paths {
			got := frameHashes(t, filepath.Join(dir, manifest), fmt.Sprintf("0:%d", vs[i][0]))
			want := frameHashes(t, paths[i], "0:v:0")
			if len(want) != 120 || !slices.Equal(got, want) || vs[i][1] != res.Video[i].Width {
				t.Errorf("%s stream %v: %d frames, source %d (rung %dx%d)", manifest, vs[i], len(got), len(want), res.Video[i].Width, res.Video[i].Height)
			}
		}
	}
}

// A rung's own audio that cannot be packaged is an error, not a track
// silently left out.
func TestRungAudioNotDropped(t *testing.T) {
	p := testmedia.File(t, "pack-ac3", "mp4", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=24:d=2",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "ac3", "-shortest")
	_, err := Package(context.Background(), Config{}, inputs(t, p), nil, filepath.Join(t.TempDir(), "pkg"))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "audio track") {
		t.Fatalf("err = %v, want ErrUnsupported for the AC-3 audio", err)
	}
}

// Separate audio files become one HLS audio group and one DASH adaptation
// set each, with their languages, and ffmpeg reads every audio rendition.
func TestSeparateAudioTracks(t *testing.T) {
	video := rung(t, 320, 180, 30, 2)
	var audio []string
	for _, c := range []struct{ lang, layout string }{{"eng", "stereo"}, {"fra", "mono"}} {
		audio = append(audio, testmedia.File(t, "pack-audio-"+c.lang, "mp4",
			"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=330:sample_rate=48000:duration=%d", seconds),
			"-af", "aformat=channel_layouts="+c.layout, "-c:a", "aac", "-b:a", "64k", "-metadata:s:a:0", "language="+c.lang))
	}
	dir := filepath.Join(t.TempDir(), "pkg")
	res, err := Package(context.Background(), Config{}, inputs(t, video), inputs(t, audio...), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Audio) != 2 || res.Audio[0].Language != "eng" || res.Audio[1].Channels != 1 {
		t.Fatalf("audio tracks %+v", res.Audio)
	}
	f, err := os.Open(filepath.Join(dir, res.Master))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pl, _, err := m3u8.DecodeFrom(f, true)
	if err != nil {
		t.Fatal(err)
	}
	alts := pl.(*m3u8.MasterPlaylist).GetAllAlternatives()
	if len(alts) != 2 || alts[0].Language != "eng" || !alts[0].Default || alts[1].Language != "fra" || alts[1].Channels != "1" {
		t.Errorf("renditions %+v %+v", alts[0], alts[1])
	}
	m, err := mpd.ReadFromFile(filepath.Join(dir, res.MPD))
	if err != nil {
		t.Fatal(err)
	}
	if sets := m.Periods[0].AdaptationSets; len(sets) != 3 || sets[2].Lang != "fra" {
		t.Errorf("MPD adaptation sets %d", len(sets))
	}
	// Every audio rendition decodes through the master playlist, about
	// 10 s of 1024-sample AAC frames at 48 kHz.
	for i := range 2 {
		out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", filepath.Join(dir, res.Master), "-map", fmt.Sprintf("0:a:%d", i), "-f", "framecrc", "-").Output()
		if err != nil {
			t.Fatalf("audio %d: %v", i, err)
		}
		n := 0
		for _, line := range strings.Split(string(out), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				n++
			}
		}
		if n < 468 || n > 472 {
			t.Errorf("audio %d: %d frames, want about %d", i, n, seconds*48000/1024)
		}
	}
}

// A rung with two audio tracks (what a copy-all job assembles) keeps both
// when no audio file is given; Formats writes one manifest or the other; a
// rung's Bandwidth is its variant's BANDWIDTH in the master.
func TestRungAudioTracksAndFormats(t *testing.T) {
	video := testmedia.File(t, "pack-two-audio", "mp4",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=s=320x180:r=%d:d=%d", fps, seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=330:sample_rate=48000:duration=%d", seconds),
		"-map", "0:v", "-map", "1:a", "-map", "2:a", "-pix_fmt", "yuv420p",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-x264-params", "scenecut=0",
		"-force_key_frames", "expr:gte(t,n_forced*2)", "-c:a", "aac", "-b:a", "64k",
		"-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra", "-shortest")

	dir := filepath.Join(t.TempDir(), "hls")
	res, err := Package(context.Background(), Config{Formats: []string{FormatHLS}}, inputs(t, video), nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Audio) != 2 || res.Audio[0].Language != "eng" || res.Audio[1].Language != "fra" {
		t.Fatalf("audio tracks %+v", res.Audio)
	}
	if res.MPD != "" || res.Master != "master.m3u8" {
		t.Errorf("hls only: master %q, MPD %q", res.Master, res.MPD)
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.mpd")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("hls only wrote an MPD: %v", err)
	}
	f, err := os.Open(filepath.Join(dir, res.Master))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pl, _, err := m3u8.DecodeFrom(f, true)
	if err != nil {
		t.Fatal(err)
	}
	master := pl.(*m3u8.MasterPlaylist)
	if alts := master.GetAllAlternatives(); len(alts) != 2 {
		t.Errorf("%d audio renditions, want 2", len(alts))
	}
	v := res.Video[0]
	want := uint32(math.Ceil(v.PeakBitrate + math.Max(res.Audio[0].PeakBitrate, res.Audio[1].PeakBitrate)))
	if v.Bandwidth != want || master.Variants[0].Bandwidth != v.Bandwidth || master.Variants[0].AverageBandwidth != v.AverageBandwidth || v.AverageBandwidth == 0 {
		t.Errorf("Bandwidth %d (want %d), AverageBandwidth %d; master %d, %d", v.Bandwidth, want, v.AverageBandwidth,
			master.Variants[0].Bandwidth, master.Variants[0].AverageBandwidth)
	}

	dir = filepath.Join(t.TempDir(), "dash")
	res, err = Package(context.Background(), Config{Formats: []string{FormatDASH}}, inputs(t, video), nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Master != "" {
		t.Errorf("dash only: master %q", res.Master)
	}
	if _, err := os.Stat(filepath.Join(dir, "master.m3u8")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dash only wrote a master playlist: %v", err)
	}
	m, err := mpd.ReadFromFile(filepath.Join(dir, res.MPD))
	if err != nil {
		t.Fatal(err)
	}
	if sets := m.Periods[0].AdaptationSets; len(sets) != 3 || sets[2].Lang != "fra" {
		t.Errorf("MPD adaptation sets %d", len(sets))
	}

	if _, err := Package(context.Background(), Config{Formats: []string{"smooth"}}, inputs(t, video), nil, dir); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("format smooth: %v", err)
	}
}

func TestParseFormats(t *testing.T) {
	for in, want := range map[string][]string{"hls": {"hls"}, "dash": {"dash"}, "hls,dash": {"hls", "dash"}, "DASH, hls,dash": {"dash", "hls"}} {
		got, err := ParseFormats(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseFormats(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "hls,", "smooth"} {
		if _, err := ParseFormats(in); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("ParseFormats(%q): %v, want ErrInvalidInput", in, err)
		}
	}
}
