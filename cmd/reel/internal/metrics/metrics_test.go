package metrics

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.temporal.io/sdk/temporal"

	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// serve starts m's handler on a loopback port for the test.
func serve(t *testing.T, m *Metrics) string {
	t.Helper()
	srv, err := Listen("127.0.0.1:0", m.Handler())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + srv.Addr
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// scrape parses base/metrics with the Prometheus text parser.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d: %s", code, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return fams
}

// value is the counter, gauge or histogram count of the series of fam
// whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, fam string, want map[string]string) float64 {
	t.Helper()
	f, ok := fams[fam]
	if !ok {
		t.Fatalf("no metric %s", fam)
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no series of %s with %v", fam, want)
	return 0
}

func TestHealthAndReadiness(t *testing.T) {
	m := New()
	base := serve(t, m)
	for i, step := range []struct {
		ready *bool
		want  int
	}{
		{nil, http.StatusServiceUnavailable}, // not ready until told
		{ptr(true), http.StatusOK},
		{ptr(false), http.StatusServiceUnavailable}, // draining
		{ptr(true), http.StatusOK},
	} {
		if step.ready != nil {
			m.SetReady(*step.ready)
		}
		if code, body := get(t, base+"/readyz"); code != step.want {
			t.Errorf("step %d (ready %v): /readyz %d %q, want %d", i, m.Ready(), code, body, step.want)
		}
		if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
			t.Errorf("/healthz %d while ready is %v", code, m.Ready())
		}
	}
	if code, _ := get(t, base+"/nothing"); code != http.StatusNotFound {
		t.Errorf("/nothing: %d", code)
	}
}

func ptr[T any](v T) *T { return &v }

func TestObserverMetrics(t *testing.T) {
	m := New()
	base := serve(t, m)
	m.ChunkEncoded("720p", workflows.ChunkResult{Attempt: 1, Frames: 48, EncodeSeconds: 1.5, ScoreSeconds: 0.5, VMAF: 93}, true)
	m.ChunkEncoded("720p", workflows.ChunkResult{Attempt: 2, Frames: 48, EncodeSeconds: 2, ScoreSeconds: 0.5, VMAF: 97}, true)
	m.ChunkEncoded("1080p", workflows.ChunkResult{Attempt: 1, Frames: 24, EncodeSeconds: 3}, false)
	m.ChunkFailed("1080p", errors.New("reset by peer"))
	m.ChunkFailed("1080p", temporal.NewNonRetryableApplicationError("corrupt", workflows.ErrorBadInput, nil))
	m.Assembled("720p", 4)
	fams := scrape(t, base)
	for _, c := range []struct {
		fam    string
		labels map[string]string
		want   float64
	}{
		{"reel_chunks_encoded_total", map[string]string{"rendition": "720p"}, 2},
		{"reel_chunks_encoded_total", map[string]string{"rendition": "1080p"}, 1},
		{"reel_chunks_reencoded_total", map[string]string{"rendition": "720p"}, 1},
		{"reel_frames_encoded_total", map[string]string{"rendition": "720p"}, 96},
		{"reel_frames_encoded_total", map[string]string{"rendition": "1080p"}, 24},
		{"reel_chunk_encode_seconds", map[string]string{"rendition": "720p"}, 2},
		{"reel_chunk_score_seconds", map[string]string{"rendition": "720p"}, 2},
		{"reel_chunk_vmaf", map[string]string{"rendition": "720p"}, 2},
		{"reel_chunks_failed_total", map[string]string{"rendition": "1080p", "kind": "error"}, 1},
		{"reel_chunks_failed_total", map[string]string{"rendition": "1080p", "kind": "bad_input"}, 1},
		{"reel_assemble_seconds", map[string]string{"rendition": "720p"}, 1},
		{"reel_chunks_failed_total", map[string]string{"rendition": "720p", "kind": "error"}, 0}, // there from the first chunk
		{"reel_chunks_reencoded_total", map[string]string{"rendition": "1080p"}, 0},
	} {
		if got := value(t, fams, c.fam, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.fam, c.labels, got, c.want)
		}
	}
	// A chunk scored without VMAF is not a VMAF of 0.
	for _, s := range fams["reel_chunk_vmaf"].GetMetric() {
		for _, l := range s.GetLabel() {
			if l.GetValue() == "1080p" {
				t.Errorf("reel_chunk_vmaf has a 1080p series, but 1080p was never scored with VMAF")
			}
		}
	}
	h := fams["reel_chunk_vmaf"].GetMetric()[0].GetHistogram()
	if h.GetSampleSum() != 93+97 {
		t.Errorf("reel_chunk_vmaf sum %v, want %v", h.GetSampleSum(), 93+97)
	}
}

func TestMezzfsAndJobsCollectors(t *testing.T) {
	m := New()
	base := serve(t, m)
	m.RegisterMezzfs(func() mezzfs.Stats {
		return mezzfs.Stats{BytesRead: 100, BytesFetched: 4096, Fetches: 3, Hits: 7, DiskHits: 2, Misses: 3, Retries: 1}
	})
	fail := false
	m.RegisterJobs(func(ctx context.Context) (map[string]int64, error) {
		if fail {
			return nil, errors.New("visibility down")
		}
		return map[string]int64{"running": 2, "completed": 5}, nil
	})
	fams := scrape(t, base)
	for _, c := range []struct {
		fam    string
		labels map[string]string
		want   float64
	}{
		{"reel_mezzfs_requested_bytes_total", nil, 100},
		{"reel_mezzfs_fetched_bytes_total", nil, 4096},
		{"reel_mezzfs_requests_total", nil, 3},
		{"reel_mezzfs_block_lookups_total", map[string]string{"result": "memory"}, 7},
		{"reel_mezzfs_block_lookups_total", map[string]string{"result": "disk"}, 2},
		{"reel_mezzfs_block_lookups_total", map[string]string{"result": "miss"}, 3},
		{"reel_mezzfs_retries_total", nil, 1},
		{"reel_jobs", map[string]string{"state": "running"}, 2},
		{"reel_jobs", map[string]string{"state": "completed"}, 5},
		{"reel_jobs", map[string]string{"state": "failed"}, 0},
		{"reel_jobs_query_errors_total", nil, 0},
	} {
		if got := value(t, fams, c.fam, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.fam, c.labels, got, c.want)
		}
	}
	// A failing count leaves the other metrics served and says so.
	fail = true
	fams = scrape(t, base)
	if _, ok := fams["reel_jobs"]; ok {
		t.Error("reel_jobs served from a failed count")
	}
	if got := value(t, fams, "reel_jobs_query_errors_total", nil); got != 1 {
		t.Errorf("reel_jobs_query_errors_total %v, want 1", got)
	}
	if _, ok := fams["reel_mezzfs_requests_total"]; !ok {
		t.Error("a failed job count hid the other metrics")
	}
}

func TestStateName(t *testing.T) {
	for in, want := range map[string]string{
		"Running": "running", "Completed": "completed", "TimedOut": "timed_out", "ContinuedAsNew": "continued_as_new",
	} {
		if got := stateName(in); got != want {
			t.Errorf("stateName(%q) = %q, want %q", in, got, want)
		}
	}
}

// The SDK tags one metric name with different tag sets; every scrape must
// still be one consistent family per name.
func TestTemporalHandlerMixedTags(t *testing.T) {
	m := New()
	base := serve(t, m)
	h := m.TemporalHandler().WithTags(map[string]string{"namespace": "default"})
	h.WithTags(map[string]string{"poller_type": "activity_task"}).Counter("temporal_request").Inc(2)
	h.WithTags(map[string]string{"operation": "PollActivityTaskQueue"}).Counter("temporal_request").Inc(3)
	h.WithTags(map[string]string{"operation": "PollActivityTaskQueue"}).Counter("temporal_request").Inc(1)
	h.Gauge("temporal_num_pollers").Update(4)
	tm := h.WithTags(map[string]string{"activity_type": "EncodeChunk"}).Timer("temporal_activity_execution_latency")
	tm.Record(300 * time.Millisecond)
	tm.Record(2 * time.Second)
	h.WithTags(map[string]string{"namespace": "other"}).Counter("temporal_request").Inc(1) // overrides a tag
	fams := scrape(t, base)
	for _, c := range []struct {
		fam    string
		labels map[string]string
		want   float64
	}{
		{"temporal_request_total", map[string]string{"namespace": "default", "poller_type": "activity_task", "operation": ""}, 2},
		{"temporal_request_total", map[string]string{"namespace": "default", "operation": "PollActivityTaskQueue"}, 4},
		{"temporal_request_total", map[string]string{"namespace": "other", "operation": ""}, 1},
		{"temporal_num_pollers", map[string]string{"namespace": "default"}, 4},
		{"temporal_activity_execution_latency_seconds", map[string]string{"activity_type": "EncodeChunk"}, 2},
	} {
		if got := value(t, fams, c.fam, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.fam, c.labels, got, c.want)
		}
	}
	hist := fams["temporal_activity_execution_latency_seconds"].GetMetric()[0].GetHistogram()
	if math.Abs(hist.GetSampleSum()-2.3) > 1e-9 {
		t.Errorf("latency sum %v, want 2.3", hist.GetSampleSum())
	}
	for _, b := range hist.GetBucket() {
		want := uint64(0)
		if b.GetUpperBound() >= 0.3 {
			want = 1
		}
		if b.GetUpperBound() >= 2 {
			want = 2
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
}

func TestListenRefusesBusyPort(t *testing.T) {
	srv, err := Listen("127.0.0.1:0", New().Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := Listen(srv.Addr, New().Handler()); err == nil || !strings.Contains(err.Error(), "metrics") {
		t.Errorf("second Listen on %s: %v", srv.Addr, err)
	}
}
