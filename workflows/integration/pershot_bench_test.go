package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/bdrate"
	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// benchCluster starts an embedded server and a worker of concurrency
// activities, stopped when b ends.
func benchCluster(b *testing.B, concurrency int) client.Client {
	b.Helper()
	ctx := context.Background()
	srv, err := devserver.Start(ctx, devserver.Config{LogFile: filepath.Join(b.TempDir(), "temporal.log")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Stop)
	c, err := client.Dial(client.Options{HostPort: srv.Address, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	w := workflows.NewWorker(c, taskQueue, workflows.WorkerOptions{Concurrency: concurrency}, &workflows.Activities{TempDir: b.TempDir(), Threads: 1})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Stop)
	return c
}

// runJobTB runs job on c and returns its report.
func runJobTB(tb testing.TB, c client.Client, job workflows.Job) workflows.Report {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	id := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, workflows.EncodeWorkflow, job)
	if err != nil {
		tb.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		tb.Fatalf("job %s: %v", id, err)
	}
	dir := strings.TrimPrefix(job.Output, "file://")
	st, err := mezzfs.NewFileStore(dir)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := st.GetBytes(ctx, "report.json")
	if err != nil {
		tb.Fatal(err)
	}
	var rep workflows.Report
	if err := jsonUnmarshal(b, &rep); err != nil {
		tb.Fatal(err)
	}
	return rep
}

// headlineJob is the headline's per-shot job: x264 veryfast over the
// default grid (CRF or QP 18 to 42 in steps of 3) at 180p and 90p, a rung
// at each height.
func headlineJob(src, out, rc string) workflows.Job {
	return workflows.Job{
		Source: src, Output: out, Optimize: workflows.OptimizePerShot,
		Renditions: []workflows.Rendition{
			{Name: "r180", Height: 180, Codec: "x264", Preset: "veryfast", Threads: 1},
			{Name: "r90", Height: 90, Codec: "x264", Preset: "veryfast", Threads: 1},
		},
		PerShot: workflows.PerShotPolicy{RC: rc, Targets: []workflows.RungTarget{
			{Rendition: "r180", Bitrate: 600_000}, {Rendition: "r90", Bitrate: 200_000},
		}},
		Chunking: workflows.ChunkPolicy{TargetSeconds: 1},
	}
}

func curvePoints(pts []workflows.CurvePoint) []bdrate.Point {
	out := make([]bdrate.Point, len(pts))
	for i, p := range pts {
		out[i] = bdrate.Point{Rate: p.Bitrate, Quality: p.VMAF}
	}
	return out
}

// BenchmarkPerShotHeadline measures the headline figure on two
// generated clips: the tuning clip (testmedia.TuningShots) and one kept
// out of tuning (testmedia.HeldOutShots). Each clip runs two per-shot jobs
// on the embedded server, a CRF grid and a QP grid, and reports per height
// the BD-rate (VMAF, PCHIP, in percent; negative is fewer bits) of:
//
//   - crf: the per-shot curve of the CRF grid against the fixed-CRF ladder
//   - qp: the per-shot curve of the CRF grid against the fixed-QP ladder
//   - qpgrid: the per-shot curve of the QP grid against the fixed-QP ladder
//
// The fixed ladders come from the same grids (every shot at one value), so
// the comparison costs no extra encode. The figures are deterministic;
// only the time depends on the machine. It logs each shot's VMAF and share
// of the bits at the top height, which is what the hull works with.
//
//	go test -run '^$' -bench PerShotHeadline -benchtime 1x -v ./workflows/integration/
func BenchmarkPerShotHeadline(b *testing.B) {
	c := benchCluster(b, 2)
	for _, clip := range []struct {
		name string
		spec testmedia.MultiShotSpec
	}{{"tuning", testmedia.TuningShots}, {"heldout", testmedia.HeldOutShots}} {
		b.Run(clip.name, func(b *testing.B) {
			src, _ := testmedia.MultiShot(b, clip.spec)
			for i := 0; i < b.N; i++ {
				crf := runJobTB(b, c, headlineJob(src, fileURL(b.TempDir()), workflows.RCCRF)).PerShot
				qp := runJobTB(b, c, headlineJob(src, fileURL(b.TempDir()), workflows.RCQP)).PerShot
				for k, sc := range crf.Sizes {
					sq := qp.Sizes[k]
					if sc.BDRate == nil || sq.BDRate == nil {
						b.Fatalf("%dp: no BD-rate: %s / %s", sc.Height, sc.BDRateError, sq.BDRateError)
					}
					vsQP, err := bdrate.Rate(curvePoints(sq.Fixed), curvePoints(sc.PerShot), bdrate.PCHIP)
					if err != nil {
						b.Fatalf("%dp: per-shot CRF against fixed QP: %v", sc.Height, err)
					}
					b.ReportMetric(*sc.BDRate, fmt.Sprintf("bdrate-crf-%dp-%%", sc.Height))
					b.ReportMetric(vsQP, fmt.Sprintf("bdrate-qp-%dp-%%", sc.Height))
					b.ReportMetric(*sq.BDRate, fmt.Sprintf("bdrate-qpgrid-%dp-%%", sc.Height))
					b.Logf("%s %dp: per-shot vs fixed CRF %.2f %%, vs fixed QP %.2f %%; QP grid per-shot vs fixed QP %.2f %%",
						clip.name, sc.Height, *sc.BDRate, vsQP, *sq.BDRate)
				}
				logShots(b, clip.spec, crf)
			}
		})
	}
}

// logShots writes each shot's kind, VMAF range and share of the bits at
// the first grid height, and the points its hull keeps there.
func logShots(b *testing.B, spec testmedia.MultiShotSpec, ps *workflows.PerShotReport) {
	h := ps.Grid[0].Height
	var idx []int
	for i, g := range ps.Grid {
		if g.Height == h {
			idx = append(idx, i)
		}
	}
	// total bits at the middle CRF of the grid
	mid := idx[len(idx)/2]
	var total int64
	for _, s := range ps.Shots {
		total += s.Points[mid].Bytes
	}
	for i, s := range ps.Shots {
		kind := "?"
		if i < len(spec.Kinds) {
			kind = spec.Kinds[i]
		}
		var hullValues []string
		for _, k := range s.Hull {
			if ps.Grid[k].Height == h {
				hullValues = append(hullValues, fmt.Sprint(ps.Grid[k].Value))
			}
		}
		first, last := s.Points[idx[0]], s.Points[idx[len(idx)-1]]
		b.Logf("shot %d %-8s %dp: VMAF %.1f (%s %d) to %.1f (%s %d), %4.1f %% of the bits at %s %d, hull %s",
			i, kind, h, first.VMAF, ps.RC, ps.Grid[idx[0]].Value, last.VMAF, ps.RC, ps.Grid[idx[len(idx)-1]].Value,
			100*float64(s.Points[mid].Bytes)/float64(total), ps.RC, ps.Grid[mid].Value, strings.Join(hullValues, ","))
	}
}

// BenchmarkPerShotCost compares the CPU seconds (this process: the
// embedded server, the worker and its encodes) and wall time of a per-shot
// job (perShotTestJob: 2 heights × 4 CRFs on the 8-shot smallShots clip)
// with a fixed ladder job for the same two rungs (CRF 28, VMAF scored,
// chunks at the same shots' length), with a worker running one and two
// activities at once.
//
//	go test -run '^$' -bench PerShotCost -benchtime 1x ./workflows/integration/
func BenchmarkPerShotCost(b *testing.B) {
	src, _ := testmedia.MultiShot(b, smallShots)
	fixed := func(out string) workflows.Job {
		return workflows.Job{
			Source: src, Output: out,
			Renditions: []workflows.Rendition{
				{Name: "r180", Height: 180, Codec: "x264", CRF: 28, Preset: "veryfast", Threads: 1},
				{Name: "r90", Height: 90, Codec: "x264", CRF: 28, Preset: "veryfast", Threads: 1},
			},
			Chunking: workflows.ChunkPolicy{TargetSeconds: 0.5},
			Quality:  workflows.QualityPolicy{Metrics: []string{workflows.MetricVMAF}},
		}
	}
	for _, workers := range []int{1, 2} {
		for _, kind := range []string{"fixed", "pershot"} {
			b.Run(fmt.Sprintf("%s/workers=%d", kind, workers), func(b *testing.B) {
				c := benchCluster(b, workers)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					out := fileURL(b.TempDir())
					job := fixed(out)
					if kind == "pershot" {
						job = perShotTestJob(src, out)
					}
					cpu0, t0 := cpuSeconds(), time.Now()
					runJobTB(b, c, job)
					b.ReportMetric(cpuSeconds()-cpu0, "cpu-s")
					b.ReportMetric(time.Since(t0).Seconds(), "wall-s")
				}
			})
		}
	}
}
