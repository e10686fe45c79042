package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/vmaf"
	"github.com/reelmedia/reel/workflows"
)

// Sizes the API reads at most from storage for one report or scores file.
const (
	maxReportBytes = 64 << 20
	maxScoresBytes = 1 << 30
)

// jobReport is a completed job's report, kept once read (it does not
// change), with the raw bytes served as they are.
type jobReport struct {
	url    string // report.json
	raw    []byte
	report workflows.Report
}

// report returns a completed job's report; a job that is not completed
// is 409.
func (s *Server) report(ctx context.Context, id string) (*jobReport, error) {
	if jr, ok := s.reports.get(id); ok {
		return jr, nil
	}
	js, err := s.describe(ctx, id)
	if err != nil {
		return nil, err
	}
	if js.Status != "completed" {
		return nil, statusErr(http.StatusConflict, "job %s is %s: it has no report", id, js.Status)
	}
	res, err := s.result(ctx, id)
	if err != nil {
		return nil, err
	}
	raw, err := s.readAll(ctx, res.Report, maxReportBytes)
	if err != nil {
		return nil, err
	}
	jr := &jobReport{url: res.Report, raw: raw}
	if err := json.Unmarshal(raw, &jr.report); err != nil {
		return nil, fmt.Errorf("%s: %w", res.Report, err)
	}
	s.reports.put(id, jr)
	return jr, nil
}

// readAll reads a whole object named by a job (never by a request).
func (s *Server) readAll(ctx context.Context, url string, limit int64) ([]byte, error) {
	obj, err := s.cfg.Storage.Open(ctx, url)
	if errors.Is(err, mezzfs.ErrNotFound) {
		return nil, statusErr(http.StatusNotFound, "%s is gone", url)
	}
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	if obj.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d this server reads", url, obj.Size(), limit)
	}
	// One buffer of the object's size and one read: a film's scores file
	// is tens of megabytes, which io.ReadAll would copy as it grows.
	buf := make([]byte, obj.Size())
	n, err := obj.ReadAtContext(ctx, buf, 0)
	if n == len(buf) {
		return buf, nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("%s: %w", url, err)
}

func (s *Server) jobReport(w http.ResponseWriter, r *http.Request) {
	jr, err := s.report(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(jr.raw)
}

// rendition finds a rendition of a completed job by name.
func (s *Server) rendition(ctx context.Context, id, name string) (*jobReport, *workflows.RenditionReport, error) {
	jr, err := s.report(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for i := range jr.report.Renditions {
		if rr := &jr.report.Renditions[i]; rr.Name == name {
			return jr, rr, nil
		}
	}
	if len(name) > 64 {
		name = name[:64] + "..."
	}
	return nil, nil, statusErr(http.StatusNotFound, "job %s has no rendition %q", id, name)
}

// frameSeries is a rendition's per-frame scores, one slice per metric,
// indexed by frame (NaN where a frame has no score).
type frameSeries struct {
	frames  int64
	metrics []string
	values  map[string][]float64

	mu     sync.Mutex
	sorted map[string][]int64 // frames by ascending score, made on first ?worst
}

func (s *Server) series(ctx context.Context, id string, jr *jobReport, rr *workflows.RenditionReport) (*frameSeries, error) {
	key := id + "\x00" + rr.Name
	if fs, ok := s.scores.get(key); ok {
		return fs, nil
	}
	if rr.FrameScores == "" {
		return nil, statusErr(http.StatusNotFound, "job %s rendition %s has no per-frame scores (not scored, or encoded before they were kept)", id, rr.Name)
	}
	raw, err := s.readAll(ctx, rr.FrameScores, maxScoresBytes)
	if err != nil {
		return nil, err
	}
	sr, err := vmaf.ReadJSONSeries(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rr.FrameScores, err)
	}
	fs, err := newFrameSeries(rr.Frames, sr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rr.FrameScores, err)
	}
	s.scores.put(key, fs)
	return fs, nil
}

// newFrameSeries indexes a scores file's columns by frame. A file that
// scores every frame of the rendition in order (what assembly writes) is
// used as it is; one with gaps is spread out, NaN in the gaps.
func newFrameSeries(frames int64, sr *vmaf.Series) (*frameSeries, error) {
	fs := &frameSeries{frames: frames, metrics: sr.Metrics, values: sr.Values}
	if i, _ := slices.BinarySearch(sr.Frames, frames); i < len(sr.Frames) {
		// sr.Frames ascends: i is the first frame past the end.
		return nil, fmt.Errorf("frame %d of a %d-frame rendition", sr.Frames[i], frames)
	}
	if int64(len(sr.Frames)) == frames {
		return fs, nil // ascending, distinct and below frames: 0 to frames-1
	}
	fs.values = make(map[string][]float64, len(sr.Metrics))
	for _, m := range sr.Metrics {
		v := make([]float64, frames)
		for i := range v {
			v[i] = math.NaN()
		}
		for i, f := range sr.Frames {
			v[f] = sr.Values[m][i]
		}
		fs.values[m] = v
	}
	return fs, nil
}

// Scores is the body of GET /jobs/{id}/renditions/{name}/scores, written
// by hand (it is the large one). Without downsampling (bucket 1) each
// metric has "values"; with it, each point stands for bucket frames from
// frame start[i] and each metric has their "min", "max" and "mean", so a
// plot keeps every dip.
type Scores struct {
	Rendition string                  `json:"rendition"`
	Frames    int64                   `json:"frames"`
	Bucket    int64                   `json:"bucket"`
	Points    int                     `json:"points"`
	Start     []int64                 `json:"start"`
	Metrics   map[string]MetricPoints `json:"metrics"`
	// Worst, with ?worst=N, lists the N frames with the lowest score of
	// the first metric asked (vmaf by default), worst first.
	Worst *Worst `json:"worst,omitempty"`
}

// Worst is the worst frames of one metric.
type Worst struct {
	Metric string    `json:"metric"`
	Frames []int64   `json:"frames"`
	Values []float64 `json:"values"`
}

// worst returns the n frames with the lowest score of metric, worst
// first (ties: the earlier frame first).
func (fs *frameSeries) worst(metric string, n int) *Worst {
	v := fs.values[metric]
	idx := fs.byScore(metric)
	idx = slices.Clone(idx[:min(n, len(idx))])
	w := &Worst{Metric: metric, Frames: idx, Values: make([]float64, len(idx))}
	for i, f := range idx {
		w.Values[i] = v[f]
	}
	return w
}

// byScore returns the frames that have a score of metric, lowest score
// first, sorted once and kept.
func (fs *frameSeries) byScore(metric string) []int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if idx, ok := fs.sorted[metric]; ok {
		return idx
	}
	v := fs.values[metric]
	idx := make([]int64, 0, len(v))
	for i, x := range v {
		if !math.IsNaN(x) {
			idx = append(idx, int64(i))
		}
	}
	slices.SortStableFunc(idx, func(a, b int64) int {
		switch {
		case v[a] < v[b]:
			return -1
		case v[a] > v[b]:
			return 1
		}
		return 0
	})
	if fs.sorted == nil {
		fs.sorted = map[string][]int64{}
	}
	fs.sorted[metric] = idx
	return idx
}

// MetricPoints is one metric's points (null: no score in the bucket).
type MetricPoints struct {
	Values []float64 `json:"values,omitempty"`
	Min    []float64 `json:"min,omitempty"`
	Max    []float64 `json:"max,omitempty"`
	Mean   []float64 `json:"mean,omitempty"`
}

// downsample makes at most maxPoints points (0: one per frame) of the
// chosen metrics.
func (fs *frameSeries) downsample(metrics []string, maxPoints int64) (bucket int64, start []int64, out map[string]MetricPoints) {
	bucket = 1
	if maxPoints > 0 && fs.frames > maxPoints {
		bucket = (fs.frames + maxPoints - 1) / maxPoints
	}
	n := (fs.frames + bucket - 1) / bucket
	start = make([]int64, n)
	for i := range start {
		start[i] = int64(i) * bucket
	}
	out = map[string]MetricPoints{}
	for _, m := range metrics {
		v := fs.values[m]
		if bucket == 1 {
			out[m] = MetricPoints{Values: v}
			continue
		}
		mp := MetricPoints{Min: make([]float64, n), Max: make([]float64, n), Mean: make([]float64, n)}
		for i := range n {
			lo, hi := i*bucket, min((i+1)*bucket, fs.frames)
			mn, mx, sum, k := math.Inf(1), math.Inf(-1), 0.0, 0
			for _, x := range v[lo:hi] {
				if math.IsNaN(x) {
					continue
				}
				mn, mx, sum, k = min(mn, x), max(mx, x), sum+x, k+1
			}
			if k == 0 {
				mn, mx, sum = math.NaN(), math.NaN(), math.NaN()
			}
			mp.Min[i], mp.Max[i], mp.Mean[i] = mn, mx, sum/float64(max(k, 1))
		}
		out[m] = mp
	}
	return bucket, start, out
}

func (s *Server) renditionScores(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	q := r.URL.Query()
	var maxPoints int64
	if v := q.Get("max_points"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > 10_000_000 {
			writeError(w, http.StatusBadRequest, "max_points %q: want 1 to 10000000", v)
			return
		}
		maxPoints = n
	}
	jr, rr, err := s.rendition(ctx, id, r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fs, err := s.series(ctx, id, jr, rr)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	metrics := fs.metrics
	if v := q.Get("metric"); v != "" {
		metrics = nil
		for _, m := range strings.Split(v, ",") {
			if _, ok := fs.values[m]; !ok {
				writeError(w, http.StatusBadRequest, "metric %q: this rendition has %s", m, strings.Join(fs.metrics, ", "))
				return
			}
			if !slices.Contains(metrics, m) {
				metrics = append(metrics, m)
			}
		}
	}
	var worst *Worst
	if v := q.Get("worst"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, http.StatusBadRequest, "worst %q: want 1 to 10000", v)
			return
		}
		if len(metrics) == 0 {
			writeError(w, http.StatusNotFound, "job %s rendition %s has no scores", id, rr.Name)
			return
		}
		m := metrics[0]
		if q.Get("metric") == "" && slices.Contains(metrics, vmaf.KeyVMAF) {
			m = vmaf.KeyVMAF
		}
		worst = fs.worst(m, n)
	}
	bucket, start, points := fs.downsample(metrics, maxPoints)
	w.Header().Set("Content-Type", "application/json")
	w.Write(appendScores(nil, rr.Name, fs.frames, bucket, start, metrics, points, worst))
}

// appendScores writes Scores as JSON, numbers with 6 decimals (the scores
// file's precision) and NaN as null; encoding/json would refuse NaN and
// takes several times longer on a 200,000-frame film.
func appendScores(b []byte, name string, frames, bucket int64, start []int64, metrics []string, points map[string]MetricPoints, worst *Worst) []byte {
	nb, _ := json.Marshal(name)
	b = append(b, `{"rendition":`...)
	b = append(b, nb...)
	b = append(b, `,"frames":`...)
	b = strconv.AppendInt(b, frames, 10)
	b = append(b, `,"bucket":`...)
	b = strconv.AppendInt(b, bucket, 10)
	b = append(b, `,"points":`...)
	b = strconv.AppendInt(b, int64(len(start)), 10)
	b = append(b, `,"start":[`...)
	for i, v := range start {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, v, 10)
	}
	b = append(b, `],"metrics":{`...)
	for i, m := range metrics {
		if i > 0 {
			b = append(b, ',')
		}
		mb, _ := json.Marshal(m)
		b = append(b, mb...)
		b = append(b, ":{"...)
		mp := points[m]
		first := true
		for _, arr := range []struct {
			name string
			v    []float64
		}{{"values", mp.Values}, {"min", mp.Min}, {"max", mp.Max}, {"mean", mp.Mean}} {
			if arr.v == nil {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, '"')
			b = append(b, arr.name...)
			b = append(b, `":[`...)
			for j, x := range arr.v {
				if j > 0 {
					b = append(b, ',')
				}
				if math.IsNaN(x) || math.IsInf(x, 0) {
					b = append(b, "null"...)
				} else {
					b = strconv.AppendFloat(b, x, 'f', 6, 64)
				}
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, '}')
	if worst != nil {
		wb, _ := json.Marshal(worst) // a few numbers, all finite
		b = append(b, `,"worst":`...)
		b = append(b, wb...)
	}
	b = append(b, "}\n"...)
	return b
}

// jobAnalysis serves the job's archer analysis (shots, ...) when it has
// one: analysis.json beside the outputs, or the shot analysis a job cut at
// shots made, when its intermediates were kept.
func (s *Server) jobAnalysis(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	jr, err := s.report(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := strings.TrimSuffix(jr.url, "report.json")
	candidates := []string{base + "analysis.json"}
	if job, err := s.jobInput(ctx, id); err == nil && job.Work != "" {
		// planShots writes <work>/<job>/shots/<job>/shots/analysis.json.
		candidates = append(candidates, mezzfs.JoinURL(job.Work, id+"/shots/"+id+"/shots/analysis.json"))
	}
	for _, u := range candidates {
		raw, err := s.readAll(ctx, u, maxReportBytes)
		var he *httpError
		if errors.As(err, &he) && he.status == http.StatusNotFound {
			continue
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(raw)
		return
	}
	writeError(w, http.StatusNotFound, "job %s has no analysis", id)
}

// jobInput is the Job a workflow was started with (its first event).
func (s *Server) jobInput(ctx context.Context, id string) (workflows.Job, error) {
	var job workflows.Job
	it := s.cfg.Client.GetWorkflowHistory(ctx, id, "", false, 0)
	if !it.HasNext() {
		return job, fmt.Errorf("job %s: empty history", id)
	}
	ev, err := it.Next()
	if err != nil {
		return job, err
	}
	p := ev.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	if len(p) == 0 {
		return job, fmt.Errorf("job %s: no input", id)
	}
	if err := json.Unmarshal(p[0].GetData(), &job); err != nil {
		return job, fmt.Errorf("job %s: input: %w", id, err)
	}
	return job, nil
}

// lru is a small least-recently-used map, safe for concurrent use.
type lru[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	order []K
	m     map[K]V
}

func newLRU[K comparable, V any](n int) *lru[K, V] {
	return &lru[K, V]{max: n, m: map[K]V{}}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	if ok {
		c.touch(k)
	}
	return v, ok
}

func (c *lru[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[k] = v
	c.touch(k)
}

func (c *lru[K, V]) touch(k K) {
	if i := slices.Index(c.order, k); i >= 0 {
		c.order = slices.Delete(c.order, i, i+1)
	}
	c.order = append(c.order, k)
}
