package cli

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// reel probe shows interlacing and HDR10 metadata; --json has them.
func TestProbeScanAndHDR(t *testing.T) {
	dir := t.TempDir()
	il := filepath.Join(dir, "il.ts")
	hdr := filepath.Join(dir, "hdr.mp4")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25", "-frames:v", "10", "-c:v", "mpeg2video", "-flags", "+ildct+ilme",
			"-top", "1", "-field_order", "tt", il},
		{"-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25", "-frames:v", "5", "-c:v", "libx265", "-pix_fmt", "yuv420p10le",
			"-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-x265-params",
			"hdr10=1:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50):max-cll=1000,400:log-level=error", hdr},
	} {
		if out, err := exec.Command("ffmpeg", append([]string{"-nostdin", "-v", "error"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
	}
	code, out, errOut := runCLI(t, "probe", il)
	if code != 0 || !strings.Contains(out, "interlaced (tt, top field first)") {
		t.Fatalf("exit %d %s:\n%s", code, errOut, out)
	}
	code, out, errOut = runCLI(t, "probe", hdr)
	want := "transfer pq, mastering display G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50) (0.005-1000 cd/m²), MaxCLL 1000, MaxFALL 400 cd/m²"
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "scan        progressive") {
		t.Fatalf("exit %d %s: want %q in\n%s", code, errOut, want, out)
	}
	code, out, _ = runCLI(t, "probe", "--json", hdr)
	var info struct {
		Video struct {
			FieldOrder string `json:"field_order"`
			HDR        struct {
				Transfer  string `json:"transfer"`
				MaxCLL    int    `json:"max_cll"`
				MaxFALL   int    `json:"max_fall"`
				Mastering struct {
					Red          [2]float64 `json:"red"`
					MaxLuminance float64    `json:"max_luminance"`
				} `json:"mastering_display"`
			} `json:"hdr"`
		} `json:"video"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil {
		t.Fatalf("probe --json: exit %d\n%s", code, out)
	}
	h := info.Video.HDR
	if info.Video.FieldOrder != "progressive" || h.Transfer != "pq" || h.MaxCLL != 1000 || h.MaxFALL != 400 ||
		h.Mastering.Red != [2]float64{0.68, 0.32} || h.Mastering.MaxLuminance != 1000 {
		t.Fatalf("probe --json: %+v", info.Video)
	}
}

// framemd5 lists the frame checksums of path's video, through vf when set.
func framemd5(t *testing.T, path, vf string) []string {
	t.Helper()
	args := []string{"-nostdin", "-v", "error", "-i", path, "-map", "0:v:0"}
	if vf != "" {
		args = append(args, "-vf", vf)
	}
	out, err := exec.Command("ffmpeg", append(args, "-fps_mode", "passthrough", "-f", "framemd5", "-")...).CombinedOutput()
	if err != nil {
		t.Fatalf("framemd5 %s: %v\n%s", path, err, out)
	}
	var sums []string
	for _, line := range strings.Split(string(out), "\n") {
		if line != "" && line[0] != '#' {
			f := strings.Split(line, ",")
			sums = append(sums, strings.TrimSpace(f[len(f)-1]))
		}
	}
	return sums
}

// reel encode deinterlaces an interlaced source with bwdif by default;
// --deinterlace off keeps the fields as they are (with x264: coded as
// fields, the field order tagged).
func TestEncodeDeinterlaceDefault(t *testing.T) {
	dir := t.TempDir()
	il := filepath.Join(dir, "il.ts")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25", "-frames:v", "10",
		"-c:v", "mpeg2video", "-flags", "+ildct+ilme", "-top", "1", "-field_order", "tt", il).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	for _, c := range []struct{ flag, vf string }{{"", "bwdif=mode=send_frame"}, {"--deinterlace=yadif", "yadif=mode=send_frame"}, {"--deinterlace=off", ""}} {
		out := filepath.Join(dir, "out.mkv")
		args := []string{"encode", il, "-o", out, "--codec", "ffv1", "-q"}
		if c.flag != "" {
			args = append(args, c.flag)
		}
		if code, _, errOut := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		got, want := framemd5(t, out, ""), framemd5(t, il, c.vf)
		if len(want) != 10 || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%q: frames differ from ffmpeg -vf %q:\n%v\n%v", c.flag, c.vf, got, want)
		}
	}
	// with x264, off encodes the fields interlaced: reel probe of the
	// output shows the source's field order
	x264 := filepath.Join(dir, "fields.mp4")
	if code, _, errOut := runCLI(t, "encode", il, "-o", x264, "--codec", "x264", "--deinterlace", "off", "-q"); code != 1 || !strings.Contains(errOut, "multiple of 4") {
		t.Fatalf("x264 --deinterlace off, 90 rows: exit %d: %s; want a refusal (4:2:0 fields need a height that is a multiple of 4)", code, errOut)
	}
	if code, _, errOut := runCLI(t, "encode", il, "-o", x264, "--codec", "x264", "--deinterlace", "off", "--size", "160x96", "-q"); code != 0 {
		t.Fatalf("x264 --deinterlace off: exit %d: %s", code, errOut)
	}
	code, out, _ := runCLI(t, "probe", "--json", x264)
	var info struct {
		Video struct {
			FieldOrder string `json:"field_order"`
			Interlaced bool   `json:"interlaced"`
		} `json:"video"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || !info.Video.Interlaced || info.Video.FieldOrder != "tt" {
		t.Errorf("x264 --deinterlace off output: probe exit %d, %+v; want interlaced, field order tt like the source", code, info)
	}
	if code, _, errOut := runCLI(t, "encode", il, "-o", filepath.Join(dir, "x.mkv"), "--deinterlace", "weave"); code != 2 || !strings.Contains(errOut, "weave") {
		t.Fatalf("bad --deinterlace: exit %d %s", code, errOut)
	}
}

func TestParseRenditionDeinterlace(t *testing.T) {
	for _, c := range []struct {
		spec, want string
		ok         bool
	}{{"name=a,deinterlace=yadif", "yadif", true}, {"name=a,deinterlace=off", "off", true}, {"name=a", "", true}, {"name=a,deinterlace=weave", "", false}} {
		r, err := parseRendition(c.spec)
		if (err == nil) != c.ok || c.ok && r.Deinterlace != c.want {
			t.Errorf("%s: %+v %v", c.spec, r, err)
		}
	}
}
