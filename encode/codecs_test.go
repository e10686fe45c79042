package encode

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/reelmedia/reel/media"
)

// TestCodecsAndContainers encodes a short range with every codec into every
// container it supports, checks frame count and headers, and concatenates
// two chunks of it.
func TestCodecsAndContainers(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClip(t))
	dir := t.TempDir()
	for _, cd := range codecs {
		for _, cont := range cd.containers {
			t.Run(cd.name+"/"+cont, func(t *testing.T) {
				p := Profile{Codec: cd.name, GOP: 10, Width: 160}
				switch cd.name {
				case "x264", "x265":
					p.Preset = "ultrafast"
				case "svtav1":
					p.Preset = "12"
				case "vp9":
					p.Preset = "8"
				case "prores":
					p.Preset = "proxy"
				}
				a := filepath.Join(dir, cd.name+"a."+cont)
				b := filepath.Join(dir, cd.name+"b."+cont)
				ra, err := EncodeRange(ctx, src, a, p, 3, 11, nil)
				if err != nil {
					t.Fatal(err)
				}
				rb, err := EncodeRange(ctx, src, b, p, 11, 17, nil)
				if err != nil {
					t.Fatal(err)
				}
				if ra.ExtradataHash != rb.ExtradataHash {
					t.Errorf("extradata differs between chunks")
				}
				if ra.Width != 160 || ra.Height != 90 {
					t.Errorf("size %dx%d, want 160x90", ra.Width, ra.Height)
				}
				info, err := Probe(ctx, FileInput(a), ProbeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if info.FrameCount != 8 {
					t.Errorf("chunk has %d frames, want 8", info.FrameCount)
				}
				out := filepath.Join(dir, cd.name+"-all."+cont)
				res, err := Concat(ctx, []string{a, b}, out, ConcatOptions{ExpectFrames: 14})
				if err != nil {
					t.Fatal(err)
				}
				if n := ffprobeFrames(t, out); n != 14 {
					t.Errorf("ffprobe: %d frames, want 14", n)
				}
				if cd.name == "x265" && (cont == "mp4" || cont == "mov") {
					assertTag(t, out, "hvc1")
				}
				_ = res
			})
		}
	}
}

func assertTag(t *testing.T, path, tag string) {
	t.Helper()
	out := ffprobeField(t, path, "stream=codec_tag_string")
	if out != tag {
		t.Errorf("%s: codec tag %q, want %q", path, out, tag)
	}
}

func TestTenBitAndOddSize(t *testing.T) {
	ctx := context.Background()
	odd := testMedia(t, "mkv", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-vf", "scale=161:91", "-frames:v", "12", "-c:v", "ffv1", "-pix_fmt", "yuv444p10le")
	info, err := Probe(ctx, FileInput(odd), ProbeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 161 || info.BitDepth != 10 || !info.Supported || info.FrameCount != 12 {
		t.Fatalf("probe %+v", info.VideoStream)
	}
	// decoding keeps the source format
	frames := readAll(t, FileInput(odd), DecodeOptions{})
	if len(frames) != 12 || frames[0].Format.BitDepth != 10 || frames[0].Format.Chroma.String() != "444" || frames[0].Width != 161 {
		t.Fatalf("frames: %d, %+v", len(frames), frames[0].Format)
	}
	dir := t.TempDir()
	for _, c := range []struct{ codec, pix string }{{"x264", "yuv420p10le"}, {"x265", "yuv420p10le"}, {"svtav1", "yuv420p10le"}, {"vp9", "yuv420p10le"}, {"prores", ""}, {"ffv1", ""}} {
		t.Run(c.codec, func(t *testing.T) {
			out := filepath.Join(dir, c.codec+".mkv")
			p := Profile{Codec: c.codec, PixFmt: c.pix, Preset: map[string]string{"x264": "ultrafast", "x265": "ultrafast", "svtav1": "12", "vp9": "8", "prores": "proxy"}[c.codec]}
			res, err := EncodeRange(ctx, FileInput(odd), out, p, 0, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Frames != 12 {
				t.Errorf("frames %d", res.Frames)
			}
			got, err := Probe(ctx, FileInput(out), ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.BitDepth != 10 {
				t.Errorf("output %s bit depth %d", got.PixFmt, got.BitDepth)
			}
			if got.Format.Chroma != media.Chroma444 && (got.Width%2 != 0 || got.Height%2 != 0) {
				t.Errorf("odd output size %dx%d for subsampled %s", got.Width, got.Height, got.PixFmt)
			}
			if c.codec == "ffv1" && (got.Width != 161 || got.PixFmt != "yuv444p10le") {
				t.Errorf("ffv1 should keep 161x91 yuv444p10le, got %dx%d %s", got.Width, got.Height, got.PixFmt)
			}
		})
	}
}

func TestColorRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := testMedia(t, "mkv", "-f", "lavfi", "-i", "testsrc2=size=128x72:rate=25", "-frames:v", "5", "-c:v", "libx264", "-pix_fmt", "yuv420p10le",
		"-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-color_range", "tv")
	in, err := Probe(ctx, FileInput(src), ProbeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Color.Primaries != "bt2020" || in.Color.Transfer != "smpte2084" || in.Color.Matrix != "bt2020nc" {
		t.Fatalf("source colour %+v", in.Color)
	}
	dir := t.TempDir()
	for _, c := range []struct{ codec, cont string }{{"x264", "mp4"}, {"x265", "mkv"}, {"svtav1", "mkv"}, {"vp9", "mkv"}, {"prores", "mov"}} {
		out := filepath.Join(dir, c.codec+"."+c.cont)
		p := Profile{Codec: c.codec, PixFmt: "yuv420p10le", Preset: map[string]string{"x264": "ultrafast", "x265": "ultrafast", "svtav1": "12", "vp9": "8", "prores": "proxy"}[c.codec]}
		if c.codec == "prores" {
			p.PixFmt = ""
		}
		if _, err := EncodeRange(ctx, FileInput(src), out, p, 0, 0, nil); err != nil {
			t.Fatal(err)
		}
		got, err := Probe(ctx, FileInput(out), ProbeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Color != in.Color {
			t.Errorf("%s: colour %+v, want %+v", c.codec, got.Color, in.Color)
		}
	}
}

func TestAudio(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClipAudio(t))
	dir := t.TempDir()
	for _, c := range []struct{ mode, cont, codec string }{{"copy", "mp4", "aac"}, {"aac", "mkv", "aac"}, {"opus", "mkv", "opus"}, {"opus", "mp4", "opus"}, {"copy", "ts", "aac"}} {
		t.Run(c.mode+"/"+c.cont, func(t *testing.T) {
			out := filepath.Join(dir, "a-"+c.mode+"."+c.cont)
			res, err := Encode(ctx, src, out, Profile{Codec: "x264", Preset: "ultrafast"}, EncodeOptions{Start: 10, End: 60, Audio: c.mode})
			if err != nil {
				t.Fatal(err)
			}
			if res.Frames != 50 {
				t.Errorf("frames %d", res.Frames)
			}
			info, err := Probe(ctx, FileInput(out), ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var audio *Stream
			for i := range info.Streams {
				if info.Streams[i].Type == "audio" {
					audio = &info.Streams[i]
				}
			}
			if audio == nil || audio.Codec != c.codec {
				t.Fatalf("audio stream %+v, want codec %s", audio, c.codec)
			}
			d := ffprobeField(t, out, "format=duration")
			if dur := atof(d); dur < 1.9 || dur > 2.2 {
				t.Errorf("duration %s, want about 2 s", d)
			}
		})
	}
	// audio muxed at assembly
	a := filepath.Join(dir, "c0.mp4")
	b := filepath.Join(dir, "c1.mp4")
	p := Profile{Codec: "x264", Preset: "ultrafast"}
	if _, err := EncodeRange(ctx, src, a, p, 0, 40, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := EncodeRange(ctx, src, b, p, 40, 75, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "assembled.mp4")
	res, err := Concat(ctx, []string{a, b}, out, ConcatOptions{ExpectFrames: 75, Audio: src, AudioMode: "aac"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Audio != "aac" || res.Frames != 75 {
		t.Fatalf("concat %+v", res)
	}
	if d := atof(ffprobeField(t, out, "format=duration")); d < 2.95 || d > 3.1 {
		t.Errorf("assembled duration %.3f, want 3", d)
	}
}

func TestUnsupportedRequests(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClip(t))
	dir := t.TempDir()
	cases := []struct {
		name string
		p    Profile
		out  string
		want error
	}{
		{"unknown codec", Profile{Codec: "mpeg2"}, "x.mp4", ErrUnsupportedCodec},
		{"prores in mp4", Profile{Codec: "prores"}, "x.mp4", ErrUnsupportedCodec},
		{"bad pixfmt", Profile{Codec: "svtav1", PixFmt: "yuv444p"}, "x.mkv", ErrUnsupportedPixFmt},
		{"unknown container", Profile{Codec: "x264"}, "x.avi", ErrOutputUnwritable},
		{"bad option", Profile{Codec: "x264", Params: map[string]string{"no_such_opt": "1"}}, "x.mp4", ErrUnsupportedCodec},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := EncodeRange(ctx, src, filepath.Join(dir, c.out), c.p, 0, 5, nil)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	assertNoLeftovers(t, dir)
	_ = os.Remove
}
