package archer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// score counts true positives, false positives and false negatives of one
// category.
type score struct{ tp, fp, fn int }

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

func (s score) String() string {
	return fmt.Sprintf("P=%.3f R=%.3f (tp %d, fp %d, fn %d)", s.precision(), s.recall(), s.tp, s.fp, s.fn)
}

func category(kind string) string {
	if kind == KindCut {
		return KindCut
	}
	return "gradual"
}

// evaluate matches detections to the truth: a cut within one frame of a
// true cut, a gradual transition overlapping a true one (two frames slack).
func evaluate(dets []Boundary, truths []truth, sc map[string]*score) (missed []truth, extra []Boundary) {
	used := make([]bool, len(truths))
	for _, d := range dets {
		cat := category(d.Kind)
		hit := false
		for i, t := range truths {
			if used[i] || t.kind != cat {
				continue
			}
			if cat == KindCut && abs64(d.Frame-t.start) <= 1 || cat != KindCut && d.Start-2 < t.end && t.start < d.End+2 {
				used[i], hit = true, true
				break
			}
		}
		if hit {
			sc[cat].tp++
		} else {
			sc[cat].fp++
			extra = append(extra, d)
		}
	}
	for i, t := range truths {
		if !used[i] {
			sc[t.kind].fn++
			missed = append(missed, t)
		}
	}
	return missed, extra
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// analyzeFile runs the runner over a whole file read sequentially.
func analyzeFile(tb testing.TB, r *Runner, path string) *Analysis {
	tb.Helper()
	pr, err := openPipe(path, 0, 0, 0, 0, clipFPS, false)
	if err != nil {
		tb.Fatal(err)
	}
	defer pr.Close()
	p, err := r.AnalyzeChunk(context.Background(), pr, ChunkSpan{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := Reduce(r.Config(), clipFPS, []*Partial{p})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// scdetCuts runs FFmpeg's scdet filter (default threshold 10) and returns
// the frames it marks as scene changes.
func scdetCuts(tb testing.TB, path string) []Boundary {
	tb.Helper()
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-vf", "scdet=threshold=10,metadata=mode=print", "-f", "null", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("scdet: %v\n%s", err, stderr.String())
	}
	var out []Boundary
	frame := int64(-1)
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "frame:"); i >= 0 && strings.Contains(line, "pts_time:") {
			f := strings.Fields(line[i+len("frame:"):])
			if len(f) > 0 {
				frame, _ = strconv.ParseInt(f[0], 10, 64)
			}
		}
		if i := strings.Index(line, "lavfi.scd.time="); i >= 0 && frame >= 0 {
			out = append(out, Boundary{Frame: frame, Start: frame, End: frame + 1, Kind: KindCut})
		}
	}
	return out
}

// TestShotAccuracy checks shot detection against the ground truth of
// generated clips: hard cuts between different sources, fades through
// black, cross-dissolves (xfade), flashes and fast motion that must not
// count as cuts. It also runs FFmpeg's scdet on the same clips and logs
// both scores for comparison.
func TestShotAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and decodes clips")
	}
	needFFmpeg(t)
	r, err := New(Config{Analyzers: []string{Shots, Black, Sharpness}, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ours := map[string]*score{KindCut: {}, "gradual": {}}
	theirs := map[string]*score{KindCut: {}, "gradual": {}}
	for _, c := range shotClips() {
		path := makeClip(t, &c)
		a := analyzeFile(t, r, path)
		missed, extra := evaluate(a.Boundaries, c.truth, ours)
		t.Logf("%-9s archer: %d boundaries, missed %v, extra %v", c.name, len(a.Boundaries), missed, extra)
		sd := scdetCuts(t, path)
		missed, extra = evaluate(sd, c.truth, theirs)
		t.Logf("%-9s scdet:  %d cuts, missed %d, extra %d", c.name, len(sd), len(missed), len(extra))
	}
	for _, cat := range []string{KindCut, "gradual"} {
		t.Logf("%-7s archer %v | scdet %v", cat, ours[cat], theirs[cat])
	}
	check := func(cat string, want float64) {
		s := ours[cat]
		if s.precision() < want || s.recall() < want || math.IsNaN(s.precision()) {
			t.Errorf("%s: %v, want precision and recall >= %.2f", cat, s, want)
		}
	}
	check(KindCut, 0.95)
	check("gradual", 0.8)
}
