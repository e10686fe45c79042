package metrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// BenchmarkScrape is one /metrics scrape of a busy worker: five
// renditions with every reel series, mezzfs counters, and 200 Temporal
// SDK series (about what a worker running encode jobs reports).
func BenchmarkScrape(b *testing.B) {
	m := New()
	m.RegisterMezzfs(func() mezzfs.Stats { return mezzfs.Stats{BytesRead: 1 << 30, Fetches: 1000} })
	for r := range 5 {
		name := fmt.Sprintf("r%d", r)
		for i := range 100 {
			m.ChunkEncoded(name, workflows.ChunkResult{Attempt: 1 + i%2, Frames: 96, EncodeSeconds: 3, ScoreSeconds: 1, VMAF: 90 + float64(i%10)}, true)
		}
		m.Assembled(name, 20)
	}
	h := m.TemporalHandler()
	for i := range 200 {
		t := h.WithTags(map[string]string{"namespace": "default", "task_queue": "reel", "operation": fmt.Sprintf("op%d", i%40)})
		switch i % 3 {
		case 0:
			t.Counter(fmt.Sprintf("temporal_c%d", i%20)).Inc(1)
		case 1:
			t.Gauge(fmt.Sprintf("temporal_g%d", i%20)).Update(1)
		default:
			t.Timer(fmt.Sprintf("temporal_t%d", i%20)).Record(time.Second)
		}
	}
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	var bytes int64
	b.ResetTimer()
	for b.Loop() {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		bytes = n
	}
	b.ReportMetric(float64(bytes), "bytes/scrape")
}
