package clustertest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reelmedia/reel/workflows"
)

const benchSeconds = 12

// benchJobs numbers the benchmark's jobs: every job needs its own ID.
var benchJobs int

// BenchmarkHostsWorkers: one job of short chunks (25 chunks of 12 frames,
// 0.48 s at 320x180, no scoring, so that orchestration shows) on 1, 2 and 3 worker hosts of the
// namespace cluster. Per sub-benchmark: chunks per second over the jobs'
// spans (workflow start to close), worker and server CPU-seconds per chunk
// (utime+stime from /proc while the jobs ran, so start-up is not counted),
// and the chunk activities' schedule-to-start latency percentiles from the
// histories (ActivityTaskScheduled to ActivityTaskStarted).
func BenchmarkHostsWorkers(b *testing.B) {
	c := newCluster(b)
	parent := c.t
	defer func() { c.t = parent }()
	makeClip(b, c.object("bench.mp4"), 320, 180, benchSeconds, 12)
	job := workflows.Job{
		Source:     "s3://" + bucket + "/bench.mp4",
		Renditions: []workflows.Rendition{{Name: "r180", Width: 320, Height: 180, Codec: "x264", CRF: 30, Preset: "superfast", Threads: 1}},
		Chunking:   workflows.ChunkPolicy{TargetSeconds: 0.4}, // the first keyframe after 10 frames: 12
		Quality:    workflows.QualityPolicy{Metrics: []string{"none"}},
	}
	for _, k := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("workers=%d", k), func(b *testing.B) {
			c.t = b // the workers stop when this sub-benchmark ends
			var pids []int
			for i := range k {
				w := c.addWorker(fmt.Sprintf("b%d-%d-%d", benchJobs, k, i+1))
				pids = append(pids, w.cmd.Process.Pid)
			}
			server := c.serverPID()
			cpu0, srv0 := cpuTime(b, pids...), cpuTime(b, server)
			var wall time.Duration
			var s2s []time.Duration
			chunks := 0
			b.ResetTimer()
			for range b.N {
				benchJobs++
				id := fmt.Sprintf("bench-%d", benchJobs)
				j := job
				j.Output = "s3://" + bucket + "/" + id
				hs := c.run(id, j)
				start, end := span(hs)
				wall += end.Sub(start)
				for _, r := range chunkRuns(b, hs) {
					if r.outcome == "completed" {
						chunks++
						s2s = append(s2s, r.started.Sub(r.scheduled))
					}
				}
			}
			b.StopTimer()
			cpu, srv := cpuTime(b, pids...)-cpu0, cpuTime(b, server)-srv0
			if chunks == 0 {
				b.Fatal("no chunk completed")
			}
			b.ReportMetric(float64(chunks)/wall.Seconds(), "chunks/s")
			b.ReportMetric(cpu.Seconds()/float64(chunks), "worker-cpu-s/chunk")
			b.ReportMetric(srv.Seconds()/float64(chunks), "server-cpu-s/chunk")
			for _, p := range []float64{50, 90, 99} {
				b.ReportMetric(float64(percentile(s2s, p).Microseconds())/1000, fmt.Sprintf("s2s-p%.0f-ms", p))
			}
			b.ReportMetric(float64(chunks)/float64(b.N), "chunks/job")
		})
	}
}

// serverPID is the pid of `reel server`, to read its CPU time.
func (c *cluster) serverPID() int {
	for pid, name := range c.pids {
		if name == "server" {
			return pid
		}
	}
	c.t.Fatal("no server process")
	return 0
}

// cpuTime is the user and system CPU time the processes have used so far,
// from /proc/PID/stat (in clock ticks of 10 ms).
func cpuTime(t testing.TB, pids ...int) time.Duration {
	t.Helper()
	var sum time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatalf("CPU time of %d: %v", pid, err)
		}
		// Fields after the command name (which may hold spaces) start after
		// the last ')': utime and stime are the line's 14th and 15th.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			t.Fatalf("/proc/%d/stat: too few fields", pid)
		}
		ut, err1 := strconv.ParseInt(f[11], 10, 64)
		st, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("/proc/%d/stat: %v %v", pid, err1, err2)
		}
		sum += time.Duration(ut+st) * 10 * time.Millisecond
	}
	return sum
}
