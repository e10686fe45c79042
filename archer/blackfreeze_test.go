package archer

import (
	"bufio"
	"bytes"
	"math"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// qcClip has black and frozen stretches: a hard cut to black, a fade to
// black, a long freeze, a freeze too short to report, and a dark but not
// black shot.
func qcClip() clip {
	return clip{name: "qc", segs: []seg{
		{"A", 50, ""},
		{"BLACK", 30, ""},
		{"A", 55, "fade=t=out:s=15:n=15"},
		{"B", 40, ""},
		{"C", 55, "loop=loop=34:size=1:start=20,trim=end_frame=55"},
		{"I", 40, "loop=loop=8:size=1:start=10,trim=end_frame=40"},
		{"DARK", 30, ""},
		{"A", 30, ""},
	}}
}

func init() {
	sources["BLACK"] = "color=c=black:s=640x360:r=25"
	sources["DARK"] = "testsrc2=s=640x360:r=25,lutyuv=y=val*0.35"
}

var (
	reBlack  = regexp.MustCompile(`black_start:([0-9.]+) black_end:([0-9.]+)`)
	reFStart = regexp.MustCompile(`freeze_start: ([0-9.]+)`)
	reFEnd   = regexp.MustCompile(`freeze_end: ([0-9.]+)`)
)

// ffmpegSegments runs blackdetect and freezedetect with the given settings
// and returns their segments in seconds.
func ffmpegSegments(t *testing.T, path string, c Config) (black, freeze [][2]float64) {
	t.Helper()
	vf := "blackdetect=d=" + ftoa(c.BlackMinDuration) + ":pix_th=" + ftoa(c.BlackPixel) + ":pic_th=" + ftoa(c.BlackRatio) +
		",freezedetect=n=" + ftoa(c.FreezeNoise) + ":d=" + ftoa(c.FreezeMinDuration)
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-vf", vf, "-f", "null", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(&stderr)
	open := -1.0
	for sc.Scan() {
		line := sc.Text()
		if m := reBlack.FindStringSubmatch(line); m != nil {
			black = append(black, [2]float64{atof(m[1]), atof(m[2])})
		}
		if m := reFStart.FindStringSubmatch(line); m != nil {
			open = atof(m[1])
		}
		if m := reFEnd.FindStringSubmatch(line); m != nil && open >= 0 {
			freeze = append(freeze, [2]float64{open, atof(m[1])})
			open = -1
		}
	}
	return black, freeze
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
func atof(s string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v
}

// TestBlackFreezeMatchFFmpeg runs archer's black and freeze detection and
// FFmpeg's blackdetect and freezedetect with the same thresholds on the same
// clip: the segments must agree within one frame at each end.
func TestBlackFreezeMatchFFmpeg(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and decodes a clip")
	}
	needFFmpeg(t)
	c := qcClip()
	path := makeClip(t, &c)
	cfg := Config{Analyzers: []string{Black, Freeze}, BlackMinDuration: 0.5, FreezeMinDuration: 0.5, Threads: 1}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := analyzeFile(t, r, path)
	fb, ff := ffmpegSegments(t, path, r.Config())
	compare := func(what string, ours []Segment, theirs [][2]float64) {
		t.Logf("%s: archer %v", what, segs(ours))
		t.Logf("%s: ffmpeg %v", what, theirs)
		if len(ours) != len(theirs) {
			t.Errorf("%s: archer found %d segments, ffmpeg %d", what, len(ours), len(theirs))
			return
		}
		tol := 1.0/clipFPS + 1e-6
		for i := range ours {
			if math.Abs(ours[i].StartTime-theirs[i][0]) > tol || math.Abs(ours[i].EndTime-theirs[i][1]) > tol {
				t.Errorf("%s %d: archer %.3f-%.3f, ffmpeg %.3f-%.3f", what, i, ours[i].StartTime, ours[i].EndTime, theirs[i][0], theirs[i][1])
			}
		}
	}
	compare("black", a.Black, fb)
	compare("freeze", a.Freeze, ff)
	if len(a.Black) < 2 || len(a.Freeze) < 2 {
		t.Errorf("clip should have 2 black and 2+ frozen segments, got %d and %d", len(a.Black), len(a.Freeze))
	}
}

func segs(ss []Segment) [][2]float64 {
	var out [][2]float64
	for _, s := range ss {
		out = append(out, [2]float64{s.StartTime, s.EndTime})
	}
	return out
}

var reCrop = regexp.MustCompile(`crop=(\d+):(\d+):(\d+):(\d+)`)

// TestCropMatchesCropdetect: the stable crop of a letterboxed and
// pillarboxed clip equals what FFmpeg's cropdetect settles on.
func TestCropMatchesCropdetect(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and decodes a clip")
	}
	needFFmpeg(t)
	sources["BOXED"] = "testsrc2=s=560x272:r=25,pad=640:360:40:44:black"
	c := clip{name: "boxed", segs: []seg{{"BOXED", 50, ""}, {"BLACK", 10, ""}, {"BOXED", 20, ""}}}
	path := makeClip(t, &c)
	r, err := New(Config{Analyzers: []string{Crop}, Threads: 2, ChunkFrames: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := analyzeFile(t, r, path)
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-vf", "cropdetect=limit=24:round=2", "-f", "null", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("cropdetect: %v\n%s", err, stderr.String())
	}
	m := reCrop.FindAllStringSubmatch(stderr.String(), -1)
	if len(m) == 0 {
		t.Fatalf("no cropdetect output:\n%s", stderr.String())
	}
	last := m[len(m)-1]
	want := Rect{W: int(atof(last[1])), H: int(atof(last[2])), X: int(atof(last[3])), Y: int(atof(last[4]))}
	t.Logf("archer %+v, cropdetect %+v", a.Crop, want)
	if a.Crop == nil || a.Crop.Rect != want || !a.Crop.Letterbox || !a.Crop.Pillarbox {
		t.Errorf("archer crop %+v, cropdetect %+v", a.Crop, want)
	}
}

var reSITI = regexp.MustCompile(`lavfi\.siti\.(si|ti)=([0-9.]+)`)

// TestSITIMatchesFFmpeg compares per-frame SI and TI with FFmpeg's siti
// filter (P.910) on a clip with motion and cuts.
func TestSITIMatchesFFmpeg(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and decodes a clip")
	}
	needFFmpeg(t)
	c := clip{name: "siti", segs: []seg{{"A", 20, ""}, {"B", 20, ""}, {"PAN", 20, ""}}}
	path := makeClip(t, &c)
	r, err := New(Config{Analyzers: []string{SITI}, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := analyzeFile(t, r, path)
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-vf", "siti,metadata=mode=print", "-f", "null", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("siti: %v\n%s", err, stderr.String())
	}
	var si, ti []float64
	for _, m := range reSITI.FindAllStringSubmatch(stderr.String(), -1) {
		if m[1] == "si" {
			si = append(si, atof(m[2]))
		} else {
			ti = append(ti, atof(m[2]))
		}
	}
	if len(si) != len(a.Frames) || len(ti) != len(a.Frames) {
		t.Fatalf("ffmpeg siti gave %d/%d values for %d frames", len(si), len(ti), len(a.Frames))
	}
	var worstSI, worstTI float64
	for i, f := range a.Frames {
		worstSI = max(worstSI, math.Abs(f.SI-si[i]))
		worstTI = max(worstTI, math.Abs(f.TI-ti[i]))
	}
	t.Logf("largest difference to ffmpeg siti: SI %.3f, TI %.3f (values print with 2 decimals)", worstSI, worstTI)
	if worstSI > 0.02 || worstTI > 0.02 {
		t.Errorf("SI differs by up to %.3f, TI by %.3f from ffmpeg's siti", worstSI, worstTI)
	}
}
