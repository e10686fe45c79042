package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// Roles the test binary plays when re-executed by the crash tests.
const (
	roleEnv   = "REEL_ITEST_ROLE"
	addrEnv   = "REEL_ITEST_TEMPORAL"
	nameEnv   = "REEL_ITEST_NAME"
	dirEnv    = "REEL_ITEST_DIR"
	dbEnv     = "REEL_ITEST_DB"
	portEnv   = "REEL_ITEST_PORT"
	roleWkr   = "worker"
	roleSrv   = "server"
	readyLine = "READY "
)

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case roleWkr:
		os.Exit(runWorkerRole())
	case roleSrv:
		os.Exit(runServerRole())
	}
	encode.SetLogLevel("error")
	os.Exit(m.Run())
}

// runWorkerRole is a worker process: one chunk at a time, a journal of its
// encodes in $REEL_ITEST_DIR/journal-<name>.jsonl, until killed.
func runWorkerRole() int {
	encode.SetLogLevel("quiet")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	dir, name := os.Getenv(dirEnv), os.Getenv(nameEnv)
	j, err := os.OpenFile(filepath.Join(dir, "journal-"+name+".jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer j.Close()
	c, err := client.Dial(client.Options{HostPort: os.Getenv(addrEnv), Logger: quietLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	scratch, err := os.MkdirTemp(dir, "scratch-"+name+"-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	acts := &workflows.Activities{TempDir: scratch, Threads: 1, Identity: name, Journal: j}
	w := workflows.NewWorker(c, taskQueue, workflows.WorkerOptions{Concurrency: 1}, acts)
	if err := w.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(readyLine + name)
	<-ctx.Done()
	w.Stop()
	return 0
}

// runServerRole is an embedded server on a SQLite file, until killed.
func runServerRole() int {
	ctx := context.Background()
	var port int
	fmt.Sscan(os.Getenv(portEnv), &port)
	srv, err := devserver.Start(ctx, devserver.Config{DBPath: os.Getenv(dbEnv), Port: port, LogFile: os.Getenv(dbEnv) + ".log"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(readyLine + srv.Address)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	srv.Stop()
	return 0
}

// startRole re-executes the test binary in a role and waits for it to say
// it is ready. The process is killed when the test ends.
func startRole(t *testing.T, role string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{roleEnv + "=" + role}, env...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), readyLine) {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("%s process exited before it was ready", role)
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("%s process not ready after 3 minutes", role)
	}
	return cmd
}

// crashJob is long enough (10 one-second chunks at 640x360) that a worker
// can be killed with chunks done and chunks to go. The short heartbeat
// timeout makes the killed worker's chunks move on within seconds.
func crashJob(src, out string) workflows.Job {
	return workflows.Job{
		Source:     src,
		Output:     out,
		Renditions: []workflows.Rendition{{Name: "r360", Width: 640, Height: 360, Codec: "x264", CRF: 28, Preset: "veryfast", Threads: 1}},
		Chunking:   workflows.ChunkPolicy{TargetSeconds: 1},
		Quality:    workflows.QualityPolicy{Metrics: []string{workflows.MetricPSNR}},
		Timeouts:   workflows.ActivityTiming{HeartbeatSeconds: 3},
	}
}

// waitChunks waits until at least n chunk attempts are finished (their
// sidecars exist) in the work store.
func waitChunks(t *testing.T, work mezzfs.Store, n int, run client.WorkflowRun) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		keys, _ := work.List(context.Background(), "")
		done := 0
		for _, k := range keys {
			if strings.HasSuffix(k.Key, ".mp4.json") {
				done++
			}
		}
		if done >= n {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("fewer than %d chunks finished in 5 minutes (job %s)", n, run.GetID())
}

// readJournals reads the workers' journals in dir.
func readJournals(t *testing.T, dir string) []workflows.JournalEntry {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "journal-*.jsonl"))
	var out []workflows.JournalEntry
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if line == "" {
				continue
			}
			var e workflows.JournalEntry
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = append(out, e)
		}
	}
	// Interleave the workers' journals in time order (one clock: same host).
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// Two worker processes on one embedded server; one is SIGKILLed mid-job.
// The job completes on the other, its output is bit-identical to an
// undisturbed run of the same job, and no chunk that was finished was
// encoded again.
func TestWorkerKilledMidJob(t *testing.T) {
	dir := t.TempDir()
	srv, c := startServer(t, devserver.Config{})
	env := []string{addrEnv + "=" + srv.Address, dirEnv + "=" + dir}
	victim := startRole(t, roleWkr, append(env, nameEnv+"=victim")...)
	startRole(t, roleWkr, append(env, nameEnv+"=survivor")...)

	src := filepath.Join(dir, "src.mp4")
	makeClip(t, src, 640, 360, 25, 10, true)
	outA, outB := filepath.Join(dir, "crashed"), filepath.Join(dir, "undisturbed")
	jobA := crashJob(src, fileURL(outA))
	jobA.KeepIntermediates = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "crash-a", TaskQueue: taskQueue}, workflows.EncodeWorkflow, jobA)
	if err != nil {
		t.Fatal(err)
	}
	work, err := mezzfs.NewFileStore(filepath.Join(outA, ".work"))
	if err != nil {
		t.Fatal(err)
	}
	waitChunks(t, work, 3, run)
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed the victim worker with 3+ chunks done")
	var resA workflows.Result
	if err := run.Get(ctx, &resA); err != nil {
		t.Fatal(err)
	}

	// No finished attempt was encoded again; the victim did some of the work.
	entries := readJournals(t, dir)
	finished := map[string]string{}
	byWorker := map[string]int{}
	for _, e := range entries {
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
	if len(finished) != 10 || byWorker["victim"] == 0 || byWorker["survivor"] == 0 {
		t.Errorf("finished attempts by worker %v (want 10 chunks, both workers)", byWorker)
	}
	t.Logf("chunks finished: %v; journal has %d entries", byWorker, len(entries))

	// The same job, undisturbed, gives the same bytes.
	resB := runJob(t, c, "crash-b", crashJob(src, fileURL(outB)))
	if resA.Renditions[0].Frames != 250 || resB.Renditions[0].Frames != 250 {
		t.Errorf("frames %d and %d, want 250", resA.Renditions[0].Frames, resB.Renditions[0].Frames)
	}
	sameFiles(t, filepath.Join(outA, "r360.mp4"), filepath.Join(outB, "r360.mp4"))
}

// The server process is SIGKILLed mid-job and started again on the same
// SQLite file: the job resumes and completes, reusing the chunks already
// finished.
func TestServerRestartResumes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "temporal.db")
	port := freePort(t)
	senv := []string{dbEnv + "=" + db, fmt.Sprintf("%s=%d", portEnv, port)}
	server := startRole(t, roleSrv, senv...)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := dial(t, addr)
	startRole(t, roleWkr, addrEnv+"="+addr, dirEnv+"="+dir, nameEnv+"=worker")

	src := filepath.Join(dir, "src.mp4")
	makeClip(t, src, 640, 360, 25, 10, false)
	out := filepath.Join(dir, "out")
	job := crashJob(src, fileURL(out))
	job.KeepIntermediates = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "restart", TaskQueue: taskQueue}, workflows.EncodeWorkflow, job)
	if err != nil {
		t.Fatal(err)
	}
	work, err := mezzfs.NewFileStore(filepath.Join(out, ".work"))
	if err != nil {
		t.Fatal(err)
	}
	waitChunks(t, work, 3, run)
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed the server with 3+ chunks done")
	time.Sleep(2 * time.Second)
	startRole(t, roleSrv, senv...)

	// The client reconnects by itself; Get fails while the server is down.
	var res workflows.Result
	for {
		err := c.GetWorkflow(ctx, "restart", "").Get(ctx, &res)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("job did not finish after the restart: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if res.Renditions[0].Frames != 250 {
		t.Errorf("output has %d frames, want 250", res.Renditions[0].Frames)
	}
	info, err := encode.Probe(ctx, encode.FileInput(filepath.Join(out, "r360.mp4")), encode.ProbeOptions{})
	if err != nil || info.FrameCount != 250 {
		t.Errorf("probe output: %v, %d frames", err, info.FrameCount)
	}
	done := map[string]int{}
	for _, e := range readJournals(t, dir) {
		if e.Event == "encode-done" {
			done[e.Key]++
		}
	}
	for k, n := range done {
		if n > 1 {
			t.Errorf("%s encoded %d times", k, n)
		}
	}
	if len(done) != 10 {
		t.Errorf("%d chunk attempts finished, want 10", len(done))
	}
}
