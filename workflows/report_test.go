package workflows

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"testing"

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
