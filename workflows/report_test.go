package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/mezzfs"
)

// report.json pools the final attempts frame-weighted, and leaves out a
// metric the job did not measure instead of reporting it as 0.
func TestReportPoolsAndOmitsUnmeasured(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	work := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "work")}).String()
	out := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "out")}).String()
	st, err := mezzfs.NewStorage(mezzfs.Config{}).Store(ctx, work)
	if err != nil {
		t.Fatal(err)
	}
	r := Rendition{Name: "r360", Codec: "libx264"}
	chunks := []Chunk{{Index: 0, Start: 0, End: 100}, {Index: 1, Start: 100, End: 400}}
	attempts := map[[2]int]ChunkResult{
		{0, 1}: {VMAF: 90, VMAFMin: 85, PSNR: 40},
		{1, 1}: {VMAF: 70, VMAFMin: 60, PSNR: 30},
		{1, 2}: {VMAF: 80, VMAFMin: 75, PSNR: 35},
	}
	for k, res := range attempts {
		res.Index, res.Attempt = k[0], k[1]
		b, _ := json.Marshal(res)
		if _, err := st.PutBytes(ctx, sidecarKey(chunkKey("job", r, k[0], k[1])), b); err != nil {
			t.Fatal(err)
		}
	}
	rec := RenditionRecord{Rendition: r, Final: []int{1, 2}, Tried: []int{1, 2}, Passed: []bool{true, true}}
	a := &Activities{TempDir: t.TempDir()}
	for _, c := range []struct {
		metrics    []string
		vmaf, psnr bool
	}{
		{[]string{MetricVMAF, MetricPSNR}, true, true},
		{nil, true, true}, // histories from before the list was filled in
		{[]string{MetricPSNR}, false, true},
		{[]string{"none"}, false, false},
	} {
		rt := ReportTask{Job: "job", Work: work, Output: out, Quality: QualityPolicy{Metrics: c.metrics}, Chunks: chunks, Renditions: []RenditionRecord{rec}}
		if _, err := a.WriteReport(ctx, rt); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "out", "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var raw struct {
			Renditions []map[string]json.RawMessage `json:"renditions"`
		}
		var rep Report
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		_, hasV := raw.Renditions[0]["vmaf"]
		_, hasP := raw.Renditions[0]["psnr_y"]
		if hasV != c.vmaf || hasP != c.psnr {
			t.Fatalf("metrics %v: vmaf present %v, psnr_y present %v; want %v, %v", c.metrics, hasV, hasP, c.vmaf, c.psnr)
		}
		rr := rep.Renditions[0]
		if c.vmaf {
			// (90*100 + 80*300) / 400 = 82.5; the failed attempt 1 of chunk 1 does not count.
			if v := rr.VMAF; math.Abs(v.Mean-82.5) > 1e-9 || v.MinChunk != 80 || v.MaxChunk != 90 || v.MinFrame != 75 {
				t.Errorf("metrics %v: vmaf %+v", c.metrics, *v)
			}
		}
		if c.psnr {
			if p := rr.PSNR; math.Abs(p.Mean-36.25) > 1e-9 || p.MinChunk != 35 || p.MaxChunk != 40 {
				t.Errorf("metrics %v: psnr %+v", c.metrics, *p)
			}
		}
		if len(rr.Reencoded) != 1 || rr.Reencoded[0] != 1 {
			t.Errorf("reencoded %v, want [1]", rr.Reencoded)
		}
	}
}

// report.json lists the source's problems once each: the probe's first,
// then what each chunk's decoding found, in chunk order, whichever
// rendition or attempt found it, with the lines the chunks left out counted.
func TestReportGathersProblems(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	work := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "work")}).String()
	out := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "out")}).String()
	st, err := mezzfs.NewStorage(mezzfs.Config{}).Store(ctx, work)
	if err != nil {
		t.Fatal(err)
	}
	trunc := "truncated: the container lists 400 frames but the data ends after 380"
	miss1 := "missing: source frames 100-399: 2 frames the decoder did not deliver, each replaced by the frame before"
	conc0 := "concealed: source frames 0-99: 1 frames with decoding errors, concealed by the decoder"
	a, b := Rendition{Name: "a", Codec: "libx264"}, Rendition{Name: "b", Codec: "libx264"}
	chunks := []Chunk{{Index: 0, Start: 0, End: 100}, {Index: 1, Start: 100, End: 400}}
	sidecars := []struct {
		r        Rendition
		index    int
		attempt  int
		problems []string
		more     int
	}{
		{a, 0, 1, []string{trunc}, 0},
		{a, 1, 1, []string{trunc, miss1}, 0},
		{b, 0, 1, []string{trunc, conc0}, 0},
		{b, 1, 1, []string{miss1}, 3},
		{b, 1, 2, []string{miss1}, 3},
	}
	for _, s := range sidecars {
		b, _ := json.Marshal(ChunkResult{Index: s.index, Attempt: s.attempt, Problems: s.problems, ProblemsMore: s.more})
		if _, err := st.PutBytes(ctx, sidecarKey(chunkKey("job", s.r, s.index, s.attempt)), b); err != nil {
			t.Fatal(err)
		}
	}
	rt := ReportTask{Job: "job", Work: work, Output: out, Chunks: chunks, Info: SourceInfo{Problems: []string{trunc}},
		Renditions: []RenditionRecord{
			{Rendition: a, Final: []int{1, 1}, Tried: []int{1, 1}, Passed: []bool{true, true}},
			{Rendition: b, Final: []int{1, 2}, Tried: []int{1, 2}, Passed: []bool{true, true}},
		}}
	if _, err := (&Activities{TempDir: t.TempDir()}).WriteReport(ctx, rt); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "out", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	want := []string{trunc, conc0, miss1}
	if !slices.Equal(rep.Problems, want) || rep.ProblemsMore != 3 {
		t.Errorf("report problems %q (%d more), want %q (3 more)", rep.Problems, rep.ProblemsMore, want)
	}
	if !slices.Equal(rep.Info.Problems, []string{trunc}) {
		t.Errorf("source_info.problems %q, want the probe's", rep.Info.Problems)
	}
}

// A chunk's missing and concealed frames are named by the chunk's range
// of source frames; the index's problems stay as they are; the list is
// capped at MaxChunkProblems with the rest counted.
func TestChunkProblems(t *testing.T) {
	c := Chunk{Index: 3, Start: 150, End: 200}
	got, more := chunkProblems(c, []encode.Problem{
		{Kind: "truncated", Msg: "the container lists 250 frames but the data ends after 230"},
		{Kind: "missing", Msg: "2 frames the decoder did not deliver, each replaced by the frame before"},
		{Kind: "concealed", Msg: "1 frames with decoding errors, concealed by the decoder"},
	})
	want := []string{
		"truncated: the container lists 250 frames but the data ends after 230",
		"missing: source frames 150-199: 2 frames the decoder did not deliver, each replaced by the frame before",
		"concealed: source frames 150-199: 1 frames with decoding errors, concealed by the decoder",
	}
	if !slices.Equal(got, want) || more != 0 {
		t.Errorf("got %q (%d more), want %q", got, more, want)
	}
	many := make([]encode.Problem, MaxChunkProblems+3)
	for i := range many {
		many[i] = encode.Problem{Kind: "timestamps", Msg: fmt.Sprint(i)}
	}
	if got, more := chunkProblems(c, many); len(got) != MaxChunkProblems || more != 3 {
		t.Errorf("%d problems, %d more; want %d and 3", len(got), more, MaxChunkProblems)
	}
}

// report.json says per rendition what was done with the source's frame
// timing: a variable-rate source's timestamps kept, a constant rate kept.
func TestReportTiming(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	work := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "work")}).String()
	out := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "out")}).String()
	st, err := mezzfs.NewStorage(mezzfs.Config{}).Store(ctx, work)
	if err != nil {
		t.Fatal(err)
	}
	r := Rendition{Name: "a", Codec: "libx264"}
	b, _ := json.Marshal(ChunkResult{Index: 0, Attempt: 1})
	if _, err := st.PutBytes(ctx, sidecarKey(chunkKey("job", r, 0, 1)), b); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		vfr  bool
		want string
	}{{true, "vfr kept"}, {false, "constant rate"}} {
		rt := ReportTask{Job: "job", Work: work, Output: out, Chunks: []Chunk{{Index: 0, Start: 0, End: 10}}, Info: SourceInfo{VFR: c.vfr},
			Renditions: []RenditionRecord{{Rendition: r, Final: []int{1}, Tried: []int{1}, Passed: []bool{true}}}}
		if _, err := (&Activities{TempDir: t.TempDir()}).WriteReport(ctx, rt); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "out", "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Renditions []struct {
				Timing string `json:"timing"`
			} `json:"renditions"`
		}
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatal(err)
		}
		if got := rep.Renditions[0].Timing; got != c.want {
			t.Errorf("VFR source %v: timing %q, want %q", c.vfr, got, c.want)
		}
	}
}
