package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// smallShots is the per-shot job test's clip: eight half-second shots,
// static, moderate and high motion, small enough for make test.
var smallShots = testmedia.MultiShotSpec{
	Width: 320, Height: 180, FPS: 24, ShotFrames: 12, Seed: 11,
	Kinds: []string{testmedia.Static, testmedia.Moderate, testmedia.High, testmedia.Static,
		testmedia.Moderate, testmedia.High, testmedia.Static, testmedia.High},
}

// perShotTestJob: two rungs (180p by quality, 90p by bitrate) over a grid
// of 2 heights × 4 CRFs, shots found by archer.
func perShotTestJob(src, out string) workflows.Job {
	return workflows.Job{
		Source: src, Output: out, Optimize: workflows.OptimizePerShot,
		Renditions: []workflows.Rendition{
			{Name: "r180", Height: 180, Codec: "x264", Preset: "veryfast", Threads: 1},
			{Name: "r90", Height: 90, Codec: "x264", Preset: "veryfast", Threads: 1},
		},
		PerShot: workflows.PerShotPolicy{
			Values:  []int{22, 28, 34, 40},
			Targets: []workflows.RungTarget{{Rendition: "r180", VMAF: 80}, {Rendition: "r90", Bitrate: 150_000}},
		},
		Chunking: workflows.ChunkPolicy{TargetSeconds: 0.5},
		Timeouts: workflows.ActivityTiming{HeartbeatSeconds: 10},
	}
}

// A per-shot job on the embedded server: every shot archer finds is
// encoded at every grid point, each rung is the concatenation of the
// encodes its shots chose (frame for frame), keyframes fall on the shot
// starts in every rung, and report.json holds the grid, hulls, choices
// and BD-rates.
func TestPerShotJob(t *testing.T) {
	dir := t.TempDir()
	_, c := startServer(t, devserver.Config{})
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1})
	src, cuts := testmedia.MultiShot(t, smallShots)
	outDir := filepath.Join(dir, "out")
	job := perShotTestJob(src, fileURL(outDir))
	job.KeepIntermediates = true
	job.Limits.BatchSize = 3 // three grid children, two at a time
	res := runJob(t, c, "pershot", job)

	checkPerShot(t, outDir, cuts)
	p, err := workflows.GetProgress(context.Background(), c, "pershot")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Batches) != 3 || !p.Batches[2].Done || p.Batches[2].Count != 2 || p.Phase != workflows.PhaseDone {
		t.Errorf("progress: phase %s, grid children %+v (want 3 of 3, 3 and 2 shots)", p.Phase, p.Batches)
	}
	for i, r := range res.Renditions {
		if r.Frames != 96 || r.BDRate == nil {
			t.Errorf("result rendition %d: %+v", i, r)
		}
	}
}

// checkPerShot checks a finished per-shot job of perShotTestJob, run with
// KeepIntermediates, in outDir: every shot archer found at every grid
// point, each rung the concatenation of its chosen encodes with keyframes
// at the shot starts, targets met, the report's per_shot complete.
func checkPerShot(t *testing.T, outDir string, cuts []int64) {
	t.Helper()
	out, err := mezzfs.NewFileStore(outDir)
	if err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, out)
	ps := rep.PerShot
	if ps == nil || len(ps.Shots) != len(cuts) || len(ps.Grid) != 8 || len(ps.Sizes) != 2 || len(ps.Rungs) != 2 {
		t.Fatalf("per_shot %+v", ps)
	}
	for i, s := range ps.Shots {
		if s.Start != cuts[i] || len(s.Points) != 8 || len(s.Chosen) != 2 || len(s.Hull) < 2 {
			t.Errorf("shot %d: %+v (cuts %v)", i, s, cuts)
		}
	}
	for _, sz := range ps.Sizes {
		if sz.BDRate == nil || len(sz.Fixed) != 4 {
			t.Errorf("%dp: BD-rate %v (%s), fixed %v", sz.Height, sz.BDRate, sz.BDRateError, sz.Fixed)
			continue
		}
		t.Logf("%dp: per-shot BD-rate vs fixed CRF %.2f %% over %d hull points", sz.Height, *sz.BDRate, len(sz.PerShot))
	}
	mixed := false
	work := filepath.Join(outDir, ".work")
	for ri, r := range rep.Renditions {
		rung := ps.Rungs[ri]
		if r.Frames != 96 || r.VMAF == nil || r.VMAF.Mean != rung.VMAF {
			t.Errorf("%s: %d frames, VMAF %+v, rung %+v", r.Name, r.Frames, r.VMAF, rung)
		}
		if rung.TargetVMAF > 0 && rung.Pooled < rung.TargetVMAF || rung.TargetBitrate > 0 && rung.Bitrate > float64(rung.TargetBitrate) {
			t.Errorf("%s misses its target: %+v", r.Name, rung)
		}
		path := filepath.Join(outDir, r.Name+".mp4")
		if got := keyframes(t, path); !slices.Equal(got, cuts) {
			t.Errorf("%s: keyframes at %v, shots start at %v", r.Name, got, cuts)
		}
		// The rung is its shots' chosen encodes, unchanged.
		frames := testmedia.FrameMD5s(t, path)
		var want []string
		var chosen []int
		for i, s := range ps.Shots {
			g := ps.Grid[s.Chosen[ri]]
			if g.Height != rung.Height {
				t.Fatalf("%s shot %d took %s, another size", r.Name, i, g.Name)
			}
			key := r.Chunks[i].Attempts[0].Key
			if !strings.HasPrefix(key, rep.Job+"/"+g.Name+"/") {
				t.Errorf("%s shot %d: report names %s, chose %s", r.Name, i, key, g.Name)
			}
			chunk := filepath.Join(work, key)
			want = append(want, testmedia.FrameMD5s(t, chunk)...)
			chosen = append(chosen, s.Chosen[ri])
		}
		if !slices.Equal(frames, want) {
			t.Errorf("%s is not the concatenation of its chosen encodes", r.Name)
		}
		t.Logf("%s: %.0f b/s, VMAF %.2f, grid points by shot %v", r.Name, rung.Bitrate, rung.VMAF, chosen)
		slices.Sort(chosen)
		mixed = mixed || len(slices.Compact(chosen)) > 1
	}
	if !mixed {
		t.Error("no rung mixes grid points: the test does not exercise a mixed concatenation")
	}
}

// keyframes lists the frame numbers of path's video keyframes (ffprobe).
func keyframes(t *testing.T, path string) []int64 {
	t.Helper()
	out, err := exec.CommandContext(context.Background(), "ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=flags", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var keys []int64
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(line, "K") {
			keys = append(keys, int64(i))
		}
	}
	return keys
}

// A per-shot job with one of its two worker processes SIGKILLed mid-grid
// completes on the other without encoding a finished (shot, point) again,
// and its outputs pass the checks of an undisturbed job.
func TestPerShotWorkerKilled(t *testing.T) {
	dir := t.TempDir()
	srv, c := startServer(t, devserver.Config{})
	env := []string{addrEnv + "=" + srv.Address, dirEnv + "=" + dir}
	victim := startRole(t, roleWkr, append(env, nameEnv+"=victim")...)
	startRole(t, roleWkr, append(env, nameEnv+"=survivor")...)

	src, cuts := testmedia.MultiShot(t, smallShots)
	outA := filepath.Join(dir, "crashed")
	jobA := perShotTestJob(src, fileURL(outA))
	// superfast: no mb-tree, so x264's output does not depend on the heap
	// (encode/doc.go) and the crashed job can be compared byte for byte
	// with an undisturbed one.
	for i := range jobA.Renditions {
		jobA.Renditions[i].Preset = "superfast"
	}
	jobB := jobA
	jobA.Timeouts.HeartbeatSeconds = 3
	jobA.KeepIntermediates = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "pershot-crash-a", TaskQueue: taskQueue}, workflows.EncodeWorkflow, jobA)
	if err != nil {
		t.Fatal(err)
	}
	work, err := mezzfs.NewFileStore(filepath.Join(outA, ".work"))
	if err != nil {
		t.Fatal(err)
	}
	waitChunks(t, work, 6, run)
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t.Log("killed the victim worker with 6+ grid encodes done")
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}

	finished := map[string]string{}
	byWorker := map[string]int{}
	for _, e := range readJournals(t, dir) {
		switch e.Event {
		case "encode-start":
			if w, ok := finished[e.Key]; ok {
				t.Errorf("%s encoded again by %s after %s finished it", e.Key, e.Worker, w)
			}
		case "encode-done":
			finished[e.Key] = e.Worker
			byWorker[e.Worker]++
		}
	}
	if len(finished) != 8*8 || byWorker["victim"] == 0 || byWorker["survivor"] == 0 {
		t.Errorf("finished grid encodes by worker %v (want 64, both workers)", byWorker)
	}

	checkPerShot(t, outA, cuts)

	// The same job undisturbed, on the survivor alone: the same choices
	// and the same rungs, byte for byte.
	outB := filepath.Join(dir, "clean")
	jobB.Output = fileURL(outB)
	runB, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "pershot-crash-b", TaskQueue: taskQueue}, workflows.EncodeWorkflow, jobB)
	if err != nil {
		t.Fatal(err)
	}
	if err := runB.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	stA, stB := mustStore(t, outA), mustStore(t, outB)
	repA, repB := readReport(t, stA), readReport(t, stB)
	for _, ps := range []*workflows.PerShotReport{repA.PerShot, repB.PerShot} {
		ps.EncodeSeconds, ps.ScoreSeconds = 0, 0 // times, not results
	}
	if !reflect.DeepEqual(repA.PerShot, repB.PerShot) {
		a, _ := json.Marshal(repA.PerShot)
		b, _ := json.Marshal(repB.PerShot)
		i := 0
		for i < min(len(a), len(b)) && a[i] == b[i] {
			i++
		}
		t.Errorf("per_shot differs between the crashed and the undisturbed job, at byte %d: %q against %q", i, a[max(0, i-120):min(len(a), i+80)], b[max(0, i-120):min(len(b), i+80)])
	}
	for _, r := range jobA.Renditions {
		a, errA := os.ReadFile(filepath.Join(outA, r.Name+".mp4"))
		b, errB := os.ReadFile(filepath.Join(outB, r.Name+".mp4"))
		if errA != nil || errB != nil || len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: crashed and undisturbed rungs differ (%d and %d bytes; %v, %v)", r.Name, len(a), len(b), errA, errB)
		}
	}
}

func mustStore(t *testing.T, dir string) *mezzfs.FileStore {
	t.Helper()
	st, err := mezzfs.NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// A rung target the grid cannot reach fails the job as bad input, naming
// what the grid spans; the same job submitted again under its ID with a
// reachable target reuses every grid encode.
func TestPerShotUnreachableTarget(t *testing.T) {
	dir := t.TempDir()
	_, c := startServer(t, devserver.Config{})
	j, err := os.Create(filepath.Join(dir, "journal-w.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1, Journal: j, Identity: "w"})
	src, _ := testmedia.MultiShot(t, smallShots)
	out := fileURL(filepath.Join(dir, "out"))
	job := perShotTestJob(src, out)
	job.PerShot.Targets[1] = workflows.RungTarget{Rendition: "r90", VMAF: 99.5}

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "pershot-unreachable", TaskQueue: taskQueue}, workflows.EncodeWorkflow, job)
	if err != nil {
		t.Fatal(err)
	}
	err = run.Get(ctx, nil)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrorBadInput ||
		!strings.Contains(err.Error(), "per-shot rung r90") || !strings.Contains(err.Error(), "at 90p the grid spans") {
		t.Fatalf("job with an unreachable target: %v", err)
	}

	job.PerShot.Targets[1] = workflows.RungTarget{Rendition: "r90", VMAF: 50}
	runJob(t, c, "pershot-unreachable", job)
	counts := map[string]int{}
	for _, e := range readJournals(t, dir) {
		counts[e.Event]++
	}
	if counts["encode-done"] != 64 || counts["reused"] != 64 {
		t.Errorf("journal %v: want the 64 grid encodes done once and reused once", counts)
	}
}
