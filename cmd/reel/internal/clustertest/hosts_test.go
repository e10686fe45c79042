package clustertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"github.com/reelmedia/reel/workflows"
)

const (
	clipSeconds = 24 // one chunk a second
)

// hostsJob: one-second chunks at 480x270, PSNR only, and a short
// heartbeat so that a lost worker's chunk moves on within seconds. The
// preset is superfast, which has no mb-tree lookahead: with veryfast,
// Debian's libx264 gave other bits (and other decoded frames) for 18 of 40
// chunks encoded in other `reel worker` processes, with no fault at all,
// and "the same output as the undisturbed run" could not be tested.
func hostsJob(src, out string) workflows.Job {
	return workflows.Job{
		Source:     src,
		Output:     out,
		Renditions: []workflows.Rendition{{Name: "r270", Width: 480, Height: 270, Codec: "x264", CRF: 28, Preset: "superfast", Threads: 1}},
		Chunking:   workflows.ChunkPolicy{TargetSeconds: 1},
		Quality:    workflows.QualityPolicy{Metrics: []string{workflows.MetricPSNR}},
		Timeouts:   workflows.ActivityTiming{HeartbeatSeconds: 3},
	}
}

// makeClip writes a test pattern (25 fps, a keyframe every gop frames) where
// versitygw serves it as s3://reel/<key>: the test's host cannot reach S3
// over the network, by design, so the upload is a file in its backend.
func makeClip(t testing.TB, path string, w, h, seconds, gop int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=25:duration=%d", w, h, seconds),
		"-c:v", "libx264", "-preset", "veryfast", "-g", fmt.Sprint(gop), "-pix_fmt", "yuv420p", "-threads", "1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
}

// Reel on six hosts of one machine (server, S3, client, three workers),
// joined only by a bridge. The same job runs undisturbed, then with a
// worker's link down and up, another worker SIGKILLed and 50 ms added to
// S3: it completes with the same output bytes, and no chunk that had
// finished is encoded again.
func TestSeveralHosts(t *testing.T) {
	c := newCluster(t)
	c.watch = true
	w1, w2, w3 := c.addWorker("worker-1"), c.addWorker("worker-2"), c.addWorker("worker-3")
	c.checkIsolation(w1)
	makeClip(t, c.object("src.mp4"), 480, 270, clipSeconds, 25)
	src := "s3://" + bucket + "/src.mp4"

	calm := c.run("calm", hostsJob(src, "s3://"+bucket+"/calm"))
	calmRuns := chunkRuns(t, calm)
	checkFinishedOnce(t, calmRuns, clipSeconds)
	t.Logf("undisturbed run: chunks encoded by worker %v", byWorker(calmRuns, c.workerName))

	job := hostsJob(src, "s3://"+bucket+"/faults")
	job.KeepIntermediates = true // the chunk objects stay, to check none was written again
	client, out := c.submit("faults", job)
	tl := &timeline{}
	watch := newSidecarWatch(c.object("faults/.work"))
	f := &faults{c: c, tl: tl, down: w1, kill: w2, tries: filepath.Join(out, "tries.jsonl")}
	for running := true; running; {
		select {
		case <-client.exited:
			running = false
		case <-time.After(100 * time.Millisecond):
		}
		f.step(t, watch.scan())
	}
	f.finish(t)
	if client.err != nil {
		t.Fatalf("the job with faults: %v:\n%s", client.err, tail(client.log, 20))
	}
	hs := readHistories(t, filepath.Join(out, "histories.jsonl"))
	runs := chunkRuns(t, hs)
	checkFinishedOnce(t, runs, clipSeconds)
	watch.check(t, runs, tl)
	same(t, c.object("calm/r270.mp4"), c.object("faults/r270.mp4"))

	start, end := span(hs)
	tl.add(start, "job started (workflow faults)")
	tl.add(end, "job completed")
	tl.chunks(runs, c.workerName)
	tl.lostTries(t, filepath.Join(out, "tries.jsonl"), runs, c.workerName)
	text := tl.text(start)
	t.Logf("timeline (seconds from the job's start; %s's link goes down until a chunk of it is declared lost, %s is killed, %s is left alone; "+
		"a lost try runs again on another worker after the heartbeat timeout):\n%s",
		w1.name, w2.name, w3.name, text)
	t.Logf("chunks encoded by worker %v; S3 latency by %s", byWorker(runs, c.workerName), f.latencyBy)
	if path := os.Getenv("REEL_NETNS_TIMELINE"); path != "" {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Error(err)
		}
		// The raw observations of the tries, beside it, for a closer look.
		if b, err := os.ReadFile(filepath.Join(out, "tries.jsonl")); err != nil || os.WriteFile(path+".tries.jsonl", b, 0o644) != nil {
			t.Errorf("copying tries.jsonl beside %s: %v", path, err)
		}
	}
}

// faults injects the faults one after another as the job's chunks finish,
// so that each lands mid-job whatever the machine's speed: S3 latency on;
// worker-1's link down, then worker-2 killed, each while it has a chunk in
// hand; worker-1's link up once the frontend has declared its chunk lost
// (the job cannot complete before that chunk runs again, so the link comes
// back mid-job on any machine); S3 latency off.
type faults struct {
	c          *cluster
	tl         *timeline
	down, kill *worker
	tries      string // the client's tries.jsonl
	stage      int
	downAt     time.Time
	mark       int    // chunks finished when the last stage began
	latency    bool   // 50 ms added to S3 now
	latencyBy  string // "netem" or "proxy"
}

// faultStages, in order; the last may come after the job.
var faultStages = []string{"S3 latency on", "link down", "SIGKILL", "link up", "S3 latency off"}

// maxDown bounds the link's outage when the frontend never declares a
// chunk of the worker lost (it had just finished one).
const maxDown = 20 * time.Second

func (f *faults) step(t *testing.T, finished int) {
	t.Helper()
	now := time.Now()
	switch f.stage {
	case 0:
		if finished < 2 {
			return
		}
		f.setLatency(t, true)
	case 1:
		if finished < f.mark+2 || !f.down.busy() {
			return
		}
		f.c.net.setLink(t, f.down.host, false)
		f.downAt = now
		f.tl.add(now, "fault: %s's link down while it encodes (%d chunks finished)", f.down.name, finished)
	case 2:
		if finished < f.mark+1 || !f.kill.busy() {
			return
		}
		if err := f.kill.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-f.kill.exited
		f.tl.add(now, "fault: %s SIGKILLed while it encodes (%d chunks finished)", f.kill.name, finished)
	case 3:
		lost := f.lost(t)
		if !lost && now.Sub(f.downAt) < maxDown {
			return
		}
		f.c.net.setLink(t, f.down.host, true)
		why := "its chunk was declared lost"
		if !lost {
			why = fmt.Sprintf("no chunk of it declared lost in %s", maxDown)
		}
		f.tl.add(time.Now(), "fault: %s's link up again after %.1fs (%s)", f.down.name, time.Since(f.downAt).Seconds(), why)
	case 4:
		if finished < f.mark+2 {
			return
		}
		f.setLatency(t, false)
	default:
		return
	}
	f.stage++
	f.mark = finished
}

// lost says whether a chunk that the down worker had started has been
// given another try since (tries.jsonl, written by the client as it goes).
func (f *faults) lost(t *testing.T) bool {
	t.Helper()
	b, _ := os.ReadFile(f.tries)
	started := map[string]int32{} // activity to the down worker's try
	prefix := fmt.Sprintf("%d@", f.down.cmd.Process.Pid)
	for _, line := range strings.Split(string(b), "\n") {
		var l tryLine
		if json.Unmarshal([]byte(line), &l) != nil {
			continue // empty, or a line being written
		}
		k := l.Workflow + "/" + l.Activity
		if strings.HasPrefix(l.Identity, prefix) && l.State == enums.PENDING_ACTIVITY_STATE_STARTED.String() {
			started[k] = l.Try
		} else if n, ok := started[k]; ok && l.Try > n {
			return true
		}
	}
	return false
}

// finish undoes what is still in effect and fails the test if the job
// ended before a fault had hit.
func (f *faults) finish(t *testing.T) {
	t.Helper()
	if f.stage == 2 || f.stage == 3 {
		f.c.net.setLink(t, f.down.host, true)
		f.tl.add(time.Now(), "fault: %s's link up again, after the job", f.down.name)
	}
	if f.latency {
		f.setLatency(t, false)
	}
	if f.stage < 3 {
		t.Errorf("the job ended before the fault %q: it is too short for this machine", faultStages[f.stage])
	}
}

// setLatency adds 50 ms to everything the S3 host sends, with netem where
// the kernel has it, else with the proxy in front of versitygw.
func (f *faults) setLatency(t *testing.T, on bool) {
	t.Helper()
	s3 := f.c.s3
	now := time.Now()
	if on {
		out, err := s3.command("tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "50ms").CombinedOutput()
		if err == nil {
			f.latencyBy = "netem"
		} else {
			f.latencyBy = "proxy"
			t.Logf("netem unavailable (tc: %s): the proxy in front of versitygw adds the 50 ms", strings.TrimSpace(string(out)))
			if err := f.c.proxy.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
				t.Fatal(err)
			}
		}
		f.latency = true
		f.tl.add(now, "fault: S3 +50 ms latency on (%s)", f.latencyBy)
		return
	}
	if f.latencyBy == "netem" {
		if out, err := s3.command("tc", "qdisc", "del", "dev", "eth0", "root").CombinedOutput(); err != nil {
			t.Fatalf("tc qdisc del: %v: %s", err, out)
		}
	} else if err := f.c.proxy.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	f.latency = false
	f.tl.add(now, "fault: S3 latency off")
}

// sidecarWatch notes when each chunk's sidecar (its "finished" mark)
// first appears in versitygw's backend, and the chunk object's file then.
type sidecarWatch struct {
	dir  string
	seen map[string]seenChunk // by the chunk object's path under dir
}

type seenChunk struct {
	at   time.Time
	info fs.FileInfo
}

func newSidecarWatch(dir string) *sidecarWatch {
	return &sidecarWatch{dir: dir, seen: map[string]seenChunk{}}
}

// scan returns how many chunks have finished so far.
func (w *sidecarWatch) scan() int {
	now := time.Now()
	filepath.WalkDir(w.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".mp4.json") {
			return nil
		}
		obj := strings.TrimSuffix(path, ".json")
		if _, ok := w.seen[obj]; ok {
			return nil
		}
		if info, err := os.Stat(obj); err == nil {
			w.seen[obj] = seenChunk{at: now, info: info}
		}
		return nil
	})
	return len(w.seen)
}

// check: every encode that completed started before its chunk was first
// seen finished (a later one would be a finished chunk encoded again),
// and a chunk object written again after its sidecar appeared (a try that
// was already running when another finished the chunk: the same bytes) is
// put on the timeline.
func (w *sidecarWatch) check(t *testing.T, runs []*chunkRun, tl *timeline) {
	t.Helper()
	for _, r := range runs {
		if r.outcome != "completed" || r.result.Reused {
			continue
		}
		for obj, s := range w.seen {
			if !strings.HasSuffix(filepath.ToSlash(obj), "/"+r.result.Key) {
				continue
			}
			if r.started.After(s.at) {
				t.Errorf("chunk %s: encoded by a try that started at %s, after the chunk had finished (sidecar seen at %s)",
					r.key(), r.started.Format(time.RFC3339Nano), s.at.Format(time.RFC3339Nano))
			}
		}
	}
	for obj, s := range w.seen {
		info, err := os.Stat(obj)
		if err != nil {
			t.Errorf("chunk object %s: %v", obj, err)
			continue
		}
		if !os.SameFile(info, s.info) || !info.ModTime().Equal(s.info.ModTime()) {
			rel, _ := filepath.Rel(w.dir, obj)
			tl.add(info.ModTime(), "note: %s stored again after it had finished (a try already running)", rel)
		}
	}
}

func same(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s (%d bytes) and %s (%d bytes) differ", a, len(x), b, len(y))
	} else {
		t.Logf("outputs identical: %d bytes", len(x))
	}
}
