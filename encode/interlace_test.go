package encode

import (
	"context"
	"testing"
)

// interlacedH264 is 50 frames of interlaced (PAFF/MBAFF) x264, top field
// first, in MPEG-TS.
func interlacedH264(tb testing.TB) string {
	return testMedia(tb, "ts", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "50",
		"-c:v", "libx264", "-preset", "fast", "-pix_fmt", "yuv420p", "-g", "12", "-flags", "+ildct+ilme",
		"-field_order", "tt", "-x264-params", "interlaced=1:tff=1")
}

// interlacedMPEG2 is 50 frames of interlaced MPEG-2, bottom field first,
// in MPEG-TS.
func interlacedMPEG2(tb testing.TB) string {
	return testMedia(tb, "ts", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "50",
		"-c:v", "mpeg2video", "-pix_fmt", "yuv420p", "-g", "12", "-flags", "+ildct+ilme", "-top", "0", "-field_order", "bb")
}

func TestProbeFieldOrder(t *testing.T) {
	cases := []struct {
		name       string
		path       string
		order      string
		interlaced bool
	}{
		{"h264 ts tff", interlacedH264(t), "tt", true},
		{"mpeg2 ts bff", interlacedMPEG2(t), "bb", true},
		{"progressive mp4", srcClip(t), "progressive", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info, err := Probe(context.Background(), FileInput(c.path), ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if want := ffprobeField(t, c.path, "stream=field_order"); want != c.order {
				t.Fatalf("ffprobe says field order %q, the case %q", want, c.order)
			}
			if info.FieldOrder != c.order || info.Interlaced != c.interlaced {
				t.Fatalf("field order %q interlaced %v, want %q %v", info.FieldOrder, info.Interlaced, c.order, c.interlaced)
			}
		})
	}
}

// A stream whose codec parameters do not give the field order is judged by
// its first decoded frame's flags.
func TestFieldOrderFromFirstFrame(t *testing.T) {
	for _, c := range []struct{ path, want string }{{interlacedMPEG2(t), "bb"}, {srcClip(t), "progressive"}} {
		v := VideoStream{}
		if err := v.fromFirstFrame(context.Background(), "probe", FileInput(c.path)); err != nil {
			t.Fatal(err)
		}
		if v.FieldOrder != c.want || v.Interlaced != (c.want != "progressive") {
			t.Fatalf("%s: field order %q interlaced %v, want %q", c.path, v.FieldOrder, v.Interlaced, c.want)
		}
	}
}
