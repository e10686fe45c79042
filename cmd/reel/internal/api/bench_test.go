package api

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/reelmedia/reel/vmaf"
	"github.com/reelmedia/reel/workflows"
)

// benchFrames is a 2 h 19 min film at 24 fps.
const benchFrames = 200_000

// benchServer serves a completed job whose one rendition has a generated
// 200,000-frame scores file (vmaf and the three PSNRs, libvmaf JSON as
// assembly writes it). The job's report is put in the server's cache, as
// the first request for a finished job leaves it, so no cluster is needed;
// the scores file is read and parsed by the first request, as in service.
func benchServer(b *testing.B) (url string, scoresBytes int64) {
	b.Helper()
	dir := b.TempDir()
	path := filepath.Join(dir, "r1080"+workflows.FrameScoresSuffix)
	rng := rand.New(rand.NewPCG(16, 200_000))
	res := &vmaf.Result{Version: "reel-bench", Frames: make([]vmaf.FrameScore, benchFrames)}
	for i := range res.Frames {
		v := 92 + 6*math.Sin(float64(i)/500) - 20*float64(rng.IntN(1000)/999) // a dip now and then
		p := 42 + 3*math.Cos(float64(i)/700) + rng.Float64()
		res.Frames[i] = vmaf.FrameScore{Index: int64(i), Metrics: map[string]float64{
			"vmaf": v, "psnr_y": p, "psnr_cb": p + 3, "psnr_cr": p + 4,
		}}
	}
	res.PoolAll()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := vmaf.WriteJSON(w, res); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	s, err := New(Config{Client: fakeClient{}})
	if err != nil {
		b.Fatal(err)
	}
	s.reports.put("bench", &jobReport{url: "file://" + dir + "/report.json", report: workflows.Report{
		Job: "bench", Renditions: []workflows.RenditionReport{{Name: "r1080", Frames: benchFrames, FrameScores: "file://" + path}},
	}})
	ts := httptest.NewServer(s.Handler())
	b.Cleanup(ts.Close)
	return ts.URL + "/api/v1/jobs/bench/renditions/r1080/scores", st.Size()
}

// BenchmarkScores200k: the per-frame endpoint for a 200,000-frame
// rendition over loopback HTTP, once its scores are parsed (the first
// request's parse is reported as first-ms): p50 and p99 latency, bytes per
// response.
func BenchmarkScores200k(b *testing.B) {
	url, fileBytes := benchServer(b)
	t0 := time.Now()
	if _, err := get(url + "?max_points=1"); err != nil {
		b.Fatal(err)
	}
	first := time.Since(t0)
	for _, c := range []struct{ name, query string }{
		{"all", ""},
		{"vmaf", "?metric=vmaf"},
		{"points2000", "?max_points=2000"},
		{"points2000-vmaf", "?max_points=2000&metric=vmaf"},
		{"worst50", "?max_points=2000&metric=vmaf&worst=50"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			var n int
			for b.Loop() {
				t := time.Now()
				body, err := get(url + c.query)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
				n = len(body)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(n), "bytes/resp")
			b.ReportMetric(float64(first.Milliseconds()), "first-ms")
			b.ReportMetric(float64(fileBytes), "file-bytes")
		})
	}
}

func get(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: %d %s", url, resp.StatusCode, body)
	}
	return body, nil
}
