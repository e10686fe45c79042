package integration

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// The quality gate with real encodes: a source whose first half is flat grey
// (easy: passes at the first CRF) and second half busy test pattern (fails
// at CRF 45, passes at CRF 15). The assembled renditions then join chunks
// encoded at different CRFs, which only works when every attempt has the
// same stream headers.
func TestQualityGateMixesAttempts(t *testing.T) {
	dir := t.TempDir()
	_, c := startServer(t, devserver.Config{})
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1})

	src := filepath.Join(dir, "src.mp4")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "color=c=gray:size=320x240:rate=25:duration=2",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
		"-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]", "-map", "[v]",
		"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-threads", "1", src).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	outDir := filepath.Join(dir, "out")
	job := twoRenditionJob(src, fileURL(outDir))
	for i := range job.Renditions {
		job.Renditions[i].CRF = 45
	}
	job.Quality = workflows.QualityPolicy{MinVMAF: 80, MaxAttempts: 2, CRFStep: 30}
	runJob(t, c, "itest-gate", job)

	st, err := mezzfs.NewFileStore(outDir)
	if err != nil {
		t.Fatal(err)
	}
	rep := checkJob(t, encode.FileInput(src), 100, st, func(k string) string { return filepath.Join(outDir, k) })
	r := rep.Renditions[0] // the full-size rendition
	first, second := 0, 0
	for _, cr := range r.Chunks {
		switch cr.Final {
		case 1:
			first++
		case 2:
			second++
			if cr.Attempts[0].VMAF >= 80 || len(cr.Attempts) != 2 {
				t.Errorf("chunk %d re-encoded although attempt 1 scored %.2f", cr.Index, cr.Attempts[0].VMAF)
			}
		}
		t.Logf("%s chunk %d: final attempt %d, VMAF %v", r.Name, cr.Index, cr.Final, func() []float64 {
			var v []float64
			for _, a := range cr.Attempts {
				v = append(v, a.VMAF)
			}
			return v
		}())
	}
	if first == 0 || second == 0 {
		t.Fatalf("%s: %d chunks kept attempt 1 and %d attempt 2; the test needs both", r.Name, first, second)
	}
}
