package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/reelmedia/reel/internal/freeport"
	"github.com/reelmedia/reel/workflows"
)

// syncBuffer is a bytes.Buffer written by a command in another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// background runs reel with args until the test ends (or stop is called),
// as SIGTERM would end it, and returns its output and exit code.
type background struct {
	stdout, stderr syncBuffer
	cancel         context.CancelFunc
	done           chan int
	code           int
}

func runBackground(t *testing.T, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := &background{cancel: cancel, done: make(chan int, 1)}
	go func() { b.done <- run(ctx, args, strings.NewReader(""), &b.stdout, &b.stderr) }()
	t.Cleanup(func() { b.stop() })
	return b
}

// stop ends the command and waits for its exit code.
func (b *background) stop() int {
	b.cancel()
	if b.done != nil {
		b.code = <-b.done
		b.done = nil
	}
	return b.code
}

func pickPort(t *testing.T) string {
	t.Helper()
	p, err := freeport.Pick()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(p)
}

func httpGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// waitFor polls cond until it holds; a command that never gets there
// fails the test after a generous while (this is no timing assertion: a
// slow machine only waits longer).
func waitFor(t *testing.T, what string, b *background, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
		select {
		case code := <-b.done:
			b.done = nil
			t.Fatalf("%s: the command exited %d first: %s%s", what, code, b.stdout.String(), b.stderr.String())
		default:
		}
	}
	t.Fatalf("%s: never happened", what)
}

type families map[string]*dto.MetricFamily

// scrapeMetrics parses base/metrics with the Prometheus text parser.
func scrapeMetrics(base string) (families, error) {
	code, body, err := httpGet(base + "/metrics")
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, &httpError{code, body}
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	return p.TextToMetricFamilies(strings.NewReader(body))
}

type httpError struct {
	code int
	body string
}

func (e *httpError) Error() string { return strconv.Itoa(e.code) + ": " + e.body }

// sum adds the values (histograms: sample counts) of fam's series whose
// labels include want.
func (f families) sum(fam string, want map[string]string) float64 {
	var total float64
next:
	for _, m := range f[fam].GetMetric() {
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				found = found || l.GetName() == k && l.GetValue() == v
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total
}

// TestMetricsServerAndWorker runs 'reel server --no-worker' and 'reel
// worker' with metrics ports, submits a job while no worker polls (so the
// server's jobs-by-state sees it running), then starts the worker and
// checks every scrape during the job parses and only grows, and the values
// after it against report.json; and that the Grafana dashboard queries
// only metrics these scrapes have.
func TestMetricsServerAndWorker(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mp4")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2", "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", src)

	port, smPort, wmPort, httpPort := pickPort(t), pickPort(t), pickPort(t), pickPort(t)
	addr := "127.0.0.1:" + port
	server := runBackground(t, "server", "--headless", "--no-worker", "--http-port", httpPort, "--port", port, "--metrics-port", smPort, "--data-dir", filepath.Join(dir, "server"))
	sBase := "http://127.0.0.1:" + smPort
	waitFor(t, "server ready", server, func() bool { code, _, _ := httpGet(sBase + "/readyz"); return code == http.StatusOK })
	if !strings.Contains(server.stdout.String(), "metrics   "+sBase+"/metrics") {
		t.Errorf("reel server does not print its metrics URL:\n%s", server.stdout.String())
	}

	out := filepath.Join(dir, "out")
	// b's bar cannot be met at this size: each of its chunks is encoded twice.
	code, _, stderr := runCLI(t, "submit", src, "-o", out, "--id", "metrics-job", "--temporal", addr, "--data-dir", filepath.Join(dir, "client"),
		"--chunk-seconds", "1", "--max-attempts", "2",
		"--rendition", "name=a,size=160x120,crf=30,preset=veryfast", "--rendition", "name=b,size=80x60,crf=45,preset=veryfast,min_vmaf=99.5")
	if code != 0 {
		t.Fatalf("submit: exit %d: %s", code, stderr)
	}
	var fams families
	waitFor(t, "the job counted as running", server, func() bool {
		var err error
		fams, err = scrapeMetrics(sBase)
		return err == nil && fams.sum("reel_jobs", map[string]string{"state": "running"}) == 1
	})
	if n := fams.sum("reel_jobs", map[string]string{"state": "completed"}); n != 0 {
		t.Errorf("reel_jobs{state=completed} %v before any worker ran", n)
	}

	worker := runBackground(t, "worker", "--temporal", addr, "--concurrency", "2", "--metrics-port", wmPort,
		"--data-dir", filepath.Join(dir, "worker"), "--log-format", "json")
	wBase := "http://127.0.0.1:" + wmPort
	waitFor(t, "worker ready", worker, func() bool { code, _, _ := httpGet(wBase + "/readyz"); return code == http.StatusOK })
	if code, _, err := httpGet(wBase + "/healthz"); code != http.StatusOK {
		t.Errorf("worker /healthz: %d %v", code, err)
	}

	// Scrape the worker all through the job: every scrape parses, and no
	// counter goes down.
	jobDone, scrapeDone := make(chan struct{}), make(chan struct{})
	var scrapes int
	var scrapeErrs []string
	go func() {
		defer close(scrapeDone)
		last := map[string]float64{}
		for ctx := t.Context(); ctx.Err() == nil; time.Sleep(50 * time.Millisecond) {
			f, err := scrapeMetrics(wBase)
			if err != nil {
				scrapeErrs = append(scrapeErrs, err.Error())
				return
			}
			scrapes++
			for _, name := range []string{"reel_chunks_encoded_total", "reel_frames_encoded_total", "reel_mezzfs_requested_bytes_total", "reel_chunk_vmaf"} {
				v := f.sum(name, nil)
				if v < last[name] {
					scrapeErrs = append(scrapeErrs, name+" went down")
				}
				last[name] = v
			}
			select {
			case <-jobDone:
				return
			default:
			}
		}
	}()
	code, _, stderr = runCLI(t, "status", "metrics-job", "--watch", "--temporal", addr, "--data-dir", filepath.Join(dir, "client"))
	close(jobDone)
	<-scrapeDone
	if code != 0 {
		t.Fatalf("status --watch: exit %d: %s", code, stderr)
	}
	if len(scrapeErrs) > 0 || scrapes == 0 {
		t.Errorf("%d scrapes during the job: %v", scrapes, scrapeErrs)
	}

	var rep workflows.Report
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	wf, err := scrapeMetrics(wBase)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Renditions {
		var attempts, reencodes, frames float64
		for _, c := range r.Chunks {
			attempts += float64(len(c.Attempts))
			reencodes += float64(len(c.Attempts) - 1)
			for _, a := range c.Attempts {
				frames += float64(a.Frames)
			}
		}
		l := map[string]string{"rendition": r.Name}
		for _, c := range []struct {
			name string
			want float64
		}{
			{"reel_chunks_encoded_total", attempts},
			{"reel_chunks_reencoded_total", reencodes},
			{"reel_frames_encoded_total", frames},
			{"reel_chunk_vmaf", attempts},
			{"reel_chunk_encode_seconds", attempts},
			{"reel_chunk_score_seconds", attempts},
			{"reel_assemble_seconds", 1},
			{"reel_chunks_failed_total", 0},
		} {
			if got := wf.sum(c.name, l); got != c.want {
				t.Errorf("%s{rendition=%s} = %v, report.json says %v", c.name, r.Name, got, c.want)
			}
		}
		if len(r.Chunks) != rep.Chunks {
			t.Errorf("rendition %s: %d chunks, job %d", r.Name, len(r.Chunks), rep.Chunks)
		}
	}
	if got := wf.sum("reel_chunks_reencoded_total", map[string]string{"rendition": "b"}); got == 0 {
		t.Error("no chunk of b was re-encoded: the test no longer covers re-encodes")
	}
	for _, name := range []string{"reel_mezzfs_requested_bytes_total", "reel_mezzfs_fetched_bytes_total", "reel_mezzfs_requests_total"} {
		if wf.sum(name, nil) <= 0 {
			t.Errorf("%s = %v after a job read its source", name, wf.sum(name, nil))
		}
	}
	if wf.sum("temporal_activity_execution_latency_seconds", map[string]string{"activity_type": "EncodeChunk"}) == 0 {
		t.Error("the Temporal SDK's worker metrics are missing: no temporal_activity_execution_latency_seconds for EncodeChunk")
	}
	sf, err := scrapeMetrics(sBase)
	if err != nil {
		t.Fatal(err)
	}
	if sf.sum("reel_jobs", map[string]string{"state": "completed"}) != 1 || sf.sum("reel_jobs", map[string]string{"state": "running"}) != 0 {
		t.Errorf("after the job: reel_jobs %v", sf["reel_jobs"])
	}
	// The server's HTTP API port serves /metrics too.
	if af, err := scrapeMetrics("http://127.0.0.1:" + httpPort); err != nil || af.sum("reel_jobs", map[string]string{"state": "completed"}) != 1 {
		t.Errorf("/metrics on the API port: %v, reel_jobs %v", err, af["reel_jobs"])
	}

	// Every metric the Grafana dashboard queries is served by a server or a worker.
	for _, name := range dashboardMetrics(t) {
		if _, ok := wf[name]; !ok {
			if _, ok := sf[name]; !ok {
				t.Errorf("deploy/grafana/reel.json queries %s, which neither reel server nor reel worker serves", name)
			}
		}
	}

	// The worker stops on SIGTERM (here: its context) with exit 0 and its
	// metrics port closed; its log lines are JSON.
	if code := worker.stop(); code != 0 {
		t.Errorf("worker exit %d: %s", code, worker.stderr.String())
	}
	if _, _, err := httpGet(wBase + "/healthz"); err == nil {
		t.Error("the worker's metrics port still answers after it exited")
	}
	msgs := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(worker.stderr.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("worker log line is not JSON: %v: %q", err, sc.Text())
			continue
		}
		if msg, ok := rec["msg"].(string); ok {
			msgs[msg] = rec
		}
	}
	if rec := msgs["polling"]; rec == nil || rec["task_queue"] != "reel" || rec["metrics"] != wBase+"/metrics" {
		t.Errorf("no JSON 'polling' record with task_queue and metrics: %v", msgs)
	}
	if msgs["stopping"] == nil {
		t.Errorf("no JSON 'stopping' record: %v", msgs)
	}
	if code := server.stop(); code != 0 {
		t.Errorf("server exit %d: %s", code, server.stderr.String())
	}
}

// dashboardMetrics returns the metric families deploy/grafana/reel.json
// queries (histogram series named by their family).
func dashboardMetrics(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "deploy", "grafana", "reel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("reel.json: %v", err)
	}
	word := regexp.MustCompile(`\b(reel|temporal)_[a-z0-9_]+`)
	seen := map[string]bool{}
	var names []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			ws := word.FindAllString(tg.Expr, -1)
			if len(ws) == 0 {
				t.Errorf("panel %q queries no reel or temporal metric: %s", p.Title, tg.Expr)
			}
			for _, w := range ws {
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					if trimmed, ok := strings.CutSuffix(w, suf); ok && (strings.HasSuffix(trimmed, "_seconds") || strings.HasSuffix(trimmed, "_vmaf")) {
						w = trimmed
					}
				}
				if !seen[w] {
					seen[w] = true
					names = append(names, w)
				}
			}
		}
	}
	if len(names) < 10 {
		t.Fatalf("reel.json queries only %v", names)
	}
	return names
}

func TestLogFormatFlag(t *testing.T) {
	if code, _, stderr := runCLI(t, "--log-format", "xml", "version"); code != 2 || !strings.Contains(stderr, `log format "xml": want text or json`) {
		t.Errorf("--log-format xml: exit %d: %s", code, stderr)
	}
	t.Setenv("REEL_LOG_FORMAT", "json")
	if code, _, stderr := runCLI(t, "version"); code != 0 {
		t.Errorf("REEL_LOG_FORMAT=json: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "worker", "--metrics-port", "70000"); code != 2 || !strings.Contains(stderr, "metrics port 70000") {
		t.Errorf("--metrics-port 70000: exit %d: %s", code, stderr)
	}
}
