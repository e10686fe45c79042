package encode

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
)

// Audio sync and audio tracks (issue 14).

// TestClickTrackSync encodes the click-and-flash sources, constant and
// variable rate, through the chunked path (EncodeRange per chunk, Concat
// with the source's audio, copied or re-encoded) and the one-file path
// (whole, and a range that starts between flashes), and measures every
// click against its flash: start, middle and end.
func TestClickTrackSync(t *testing.T) {
	ctx := context.Background()
	p := Profile{Codec: "x264", Preset: "ultrafast", GOP: 25, Threads: 1}
	for _, vfr := range []bool{false, true} {
		name := map[bool]string{false: "cfr", true: "vfr"}[vfr]
		t.Run(name, func(t *testing.T) {
			src := testmedia.ClickFlash(t, vfr)
			in := FileInput(src)
			info, err := Probe(ctx, in, ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if info.VFR != vfr {
				t.Fatalf("source VFR %v, want %v", info.VFR, vfr)
			}
			n := info.FrameCount
			testmedia.CheckSync(t, src, 10) // the source itself
			dir := t.TempDir()
			var chunks []string
			cuts := []int64{0, n / 3, 2 * n / 3, n}
			for i := 0; i+1 < len(cuts); i++ {
				c := filepath.Join(dir, fmt.Sprintf("c%d.mp4", i))
				if _, err := EncodeRange(ctx, in, c, p, cuts[i], cuts[i+1], nil); err != nil {
					t.Fatal(err)
				}
				chunks = append(chunks, c)
			}
			for _, mode := range []string{"copy", "aac"} {
				out := filepath.Join(dir, "chunked-"+mode+".mp4")
				if _, err := Concat(ctx, chunks, out, ConcatOptions{ExpectFrames: n, Audio: in, AudioMode: mode}); err != nil {
					t.Fatal(err)
				}
				testmedia.CheckSync(t, out, 10)
				out = filepath.Join(dir, "one-"+mode+".mp4")
				if _, err := Encode(ctx, in, out, p, EncodeOptions{Audio: mode}); err != nil {
					t.Fatal(err)
				}
				testmedia.CheckSync(t, out, 10)
			}
			// Matroska and MPEG-TS cannot start a track before zero: the
			// muxer shifts both tracks by the kept priming packet (21 ms)
			for _, ext := range []string{"mkv", "ts"} {
				out := filepath.Join(dir, "one-copy."+ext)
				if _, err := Encode(ctx, in, out, p, EncodeOptions{Audio: "copy"}); err != nil {
					t.Fatal(err)
				}
				testmedia.CheckSync(t, out, 10)
			}
			// from frame 30 (a little after the second flash) to near the
			// end: eight flashes, the first 0.8 s or so in
			start, end := int64(30), n-5
			out := filepath.Join(dir, "range.mp4")
			if _, err := Encode(ctx, in, out, p, EncodeOptions{Start: start, End: end, Audio: "copy"}); err != nil {
				t.Fatal(err)
			}
			testmedia.CheckSync(t, out, 8)
		})
	}
}

// threeTracks is 3 s of video with three AAC tracks, each a tone of its
// own, tagged eng (440 Hz), fra (660 Hz) and deu (880 Hz), with titles:
// Matroska, since MP4 keeps no track titles.
func threeTracks(tb testing.TB) string {
	return testMedia(tb, "mkv", "-f", "lavfi", "-i", "testsrc2=size=160x96:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000",
		"-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000",
		"-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:a", "-t", "3",
		"-metadata:s:a:0", "language=eng", "-metadata:s:a:0", "title=English",
		"-metadata:s:a:1", "language=fra", "-metadata:s:a:1", "title=Français",
		"-metadata:s:a:2", "language=deu", "-metadata:s:a:2", "title=Deutsch",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac")
}

// toneOf is the frequency of audio stream n of path, from its zero crossings.
func toneOf(tb testing.TB, path string, n int) float64 {
	samples, times := testmedia.AudioSamples(tb, path, n)
	if len(samples) < 4800 {
		tb.Fatalf("%s a:%d: %d samples", path, n, len(samples))
	}
	samples = samples[2400 : len(samples)-2400] // away from the ends
	crossings := 0
	for i := 1; i < len(samples); i++ {
		if (samples[i-1] < 0) != (samples[i] < 0) {
			crossings++
		}
	}
	_ = times
	return float64(crossings) / 2 / (float64(len(samples)) / 48000)
}

// audioTags lists the language, title and default flag of path's audio
// streams, as ffprobe reads them.
func audioTags(tb testing.TB, path string) []string {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a", "-show_entries",
		"stream_tags=language,title:stream_disposition=default", "-of", "compact=p=0", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var tags []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		tags = append(tags, strings.TrimSpace(line))
	}
	return tags
}

// audioPackets lists every audio packet of path as its stream, size and
// md5 (framemd5 by stream copy; timestamps left out, as their time base
// is the container's).
func audioPackets(tb testing.TB, path string) []string {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:a", "-c", "copy", "-f", "framemd5", "-").Output()
	if err != nil {
		tb.Fatalf("framemd5 %s: %v", path, err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		f := strings.Split(l, ",")
		lines = append(lines, strings.TrimSpace(f[0])+","+strings.TrimSpace(f[4])+","+strings.TrimSpace(f[5]))
	}
	return lines
}

func TestAudioTracks(t *testing.T) {
	ctx := context.Background()
	src := threeTracks(t)
	in := FileInput(src)
	info, err := Probe(ctx, in, ProbeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var langs []string
	for _, s := range info.Streams {
		if s.Type == "audio" {
			langs = append(langs, s.Language+"/"+s.Title)
		}
	}
	if got := strings.Join(langs, " "); got != "eng/English fra/Français deu/Deutsch" {
		t.Fatalf("probe: audio streams %q", got)
	}
	dir := t.TempDir()
	p := Profile{Codec: "x264", Preset: "ultrafast", GOP: 25, Threads: 1}
	tones := map[string]float64{"eng": 440, "fra": 660, "deu": 880}

	t.Run("choose", func(t *testing.T) {
		for i, c := range []struct {
			track int
			lang  string
			mode  string
			want  string
		}{{0, "", "copy", "eng"}, {1, "", "copy", "fra"}, {2, "", "aac", "deu"}, {0, "fra", "copy", "fra"}, {0, "DEU", "opus", "deu"}, {0, "eng", "aac", "eng"}} {
			out := filepath.Join(dir, fmt.Sprintf("pick%d.mkv", i))
			if _, err := Encode(ctx, in, out, p, EncodeOptions{Audio: c.mode, AudioTrack: c.track, AudioLanguage: c.lang}); err != nil {
				t.Fatal(err)
			}
			if tags := audioTags(t, out); len(tags) != 1 || !strings.Contains(tags[0], "language="+c.want) {
				t.Errorf("track %d lang %q: tags %v, want one %s track", c.track, c.lang, tags, c.want)
			}
			if f := toneOf(t, out, 0); math.Abs(f-tones[c.want]) > 10 {
				t.Errorf("track %d lang %q (%s): tone %.1f Hz, want %.0f", c.track, c.lang, c.mode, f, tones[c.want])
			}
		}
	})

	t.Run("bad", func(t *testing.T) {
		for _, c := range []EncodeOptions{{Audio: "copy", AudioLanguage: "spa"}, {Audio: "copy", AudioTrack: 3}, {Audio: "copy", AudioTrack: -1},
			{Audio: "copy", AudioTrack: 1, AudioLanguage: "fra"}, {Audio: "copy-all", AudioLanguage: "fra"}} {
			out := filepath.Join(dir, "bad.mp4")
			_, err := Encode(ctx, in, out, p, c)
			if !errors.Is(err, ErrNoAudioTrack) {
				t.Errorf("%+v: %v, want ErrNoAudioTrack", c, err)
			}
			if c.AudioLanguage == "spa" && (err == nil || !strings.Contains(err.Error(), "0 eng, 1 fra, 2 deu")) {
				t.Errorf("the error does not list the tracks: %v", err)
			}
			assertNoLeftovers(t, dir, "pick0.mkv", "pick1.mkv", "pick2.mkv", "pick3.mkv", "pick4.mkv", "pick5.mkv")
		}
	})

	t.Run("copy-all", func(t *testing.T) {
		one := filepath.Join(dir, "one.mp4")
		if _, err := EncodeRange(ctx, in, one, p, 0, 0, nil); err != nil {
			t.Fatal(err)
		}
		var chunks []string
		for i, r := range [][2]int64{{0, 25}, {25, 50}, {50, 75}} {
			c := filepath.Join(dir, fmt.Sprintf("c%d.mp4", i))
			if _, err := EncodeRange(ctx, in, c, p, r[0], r[1], nil); err != nil {
				t.Fatal(err)
			}
			chunks = append(chunks, c)
		}
		outs := map[string]string{
			"chunked": filepath.Join(dir, "all-chunked.mkv"),
			"concat1": filepath.Join(dir, "all-concat1.mkv"),
			"encode":  filepath.Join(dir, "all-encode.mp4"),
		}
		res, err := Concat(ctx, chunks, outs["chunked"], ConcatOptions{ExpectFrames: 75, Audio: in, AudioMode: "copy-all"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Audio != "copy-all" || res.AudioTracks != 3 {
			t.Errorf("concat result %+v", res)
		}
		if _, err := Concat(ctx, []string{one}, outs["concat1"], ConcatOptions{ExpectFrames: 75, Audio: in, AudioMode: "copy-all"}); err != nil {
			t.Fatal(err)
		}
		if _, err := Encode(ctx, in, outs["encode"], p, EncodeOptions{Audio: "copy-all"}); err != nil {
			t.Fatal(err)
		}
		want := []string{"disposition:default=1|tag:language=eng|tag:title=English",
			"disposition:default=0|tag:language=fra|tag:title=Français",
			"disposition:default=0|tag:language=deu|tag:title=Deutsch"}
		for _, k := range []string{"chunked", "concat1", "encode"} {
			want := want
			if strings.HasSuffix(outs[k], ".mp4") { // no titles in MP4
				want = []string{"disposition:default=1|tag:language=eng", "disposition:default=0|tag:language=fra", "disposition:default=0|tag:language=deu"}
			}
			if got := audioTags(t, outs[k]); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: audio tags\n%s\nwant\n%s", k, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for i, lang := range []string{"eng", "fra", "deu"} {
				if f := toneOf(t, outs[k], i); math.Abs(f-tones[lang]) > 10 {
					t.Errorf("%s: track %d tone %.1f Hz, want %.0f", k, i, f, tones[lang])
				}
			}
		}
		// the source's packets, all of them, in every output
		want = audioPackets(t, src)
		for _, k := range []string{"chunked", "concat1", "encode"} {
			got := audioPackets(t, outs[k])
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: %d audio packets differ from the source's %d", k, len(got), len(want))
			}
		}
		t.Logf("%d audio packets in 3 tracks, equal in the chunked, one-chunk and one-file outputs and the source", len(want))
	})
}

// Audio across an MPEG-TS discontinuity (two captures joined, the second's
// clock 100 s on or back) stays with its pictures: the joined output and
// a one-file encode have every click on its flash, the second capture's
// included; and a PCM track that has only a channel count (AVI) is
// encoded to AAC in sync.
func TestAudioAcrossDiscontinuity(t *testing.T) {
	ctx := context.Background()
	p := Profile{Codec: "x264", Preset: "ultrafast", GOP: 10, Threads: 1}
	clicks := testmedia.Corpus{Clicks: true}
	for _, c := range []struct {
		name, src, audio string
	}{
		{"ts-forward", clicks.DiscontTS(t, false), "copy"},
		{"ts-backward", clicks.DiscontTS(t, true), "copy"},
		{"ts-forward-aac", clicks.DiscontTS(t, false), "aac"},
		{"avi-pcm-aac", clicks.RepeatAVI(t), "aac"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := FileInput(c.src)
			info, err := Probe(ctx, in, ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := len(testmedia.SyncOffsets(t, c.src))
			n := info.FrameCount
			dir := t.TempDir()
			var chunks []string
			for i, s := range []int64{0, n / 2} {
				e := n
				if i == 0 {
					e = n / 2
				}
				out := filepath.Join(dir, fmt.Sprintf("c%d.mp4", i))
				if _, err := EncodeRange(ctx, in, out, p, s, e, nil); err != nil {
					t.Fatal(err)
				}
				chunks = append(chunks, out)
			}
			joined := filepath.Join(dir, "joined.mp4")
			if _, err := Concat(ctx, chunks, joined, ConcatOptions{ExpectFrames: n, Audio: in, AudioMode: c.audio}); err != nil {
				t.Fatal(err)
			}
			testmedia.CheckSync(t, joined, want)
			one := filepath.Join(dir, "one.mp4")
			if _, err := Encode(ctx, in, one, p, EncodeOptions{Audio: c.audio}); err != nil {
				t.Fatal(err)
			}
			testmedia.CheckSync(t, one, want)
		})
	}
}
