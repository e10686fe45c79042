package metrics

import (
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/temporal"

	"github.com/reelmedia/reel/workflows"
)

// Seconds buckets for chunk encodes and scores and for assemblies: a
// chunk takes from a fraction of a second (a small rendition) to minutes
// (a 4K chunk in a slow preset).
var secondsBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000}

// VMAF buckets: dense where quality bars sit (80-98), coarse below.
var vmafBuckets = []float64{20, 40, 60, 70, 75, 80, 85, 88, 90, 92, 94, 95, 96, 97, 98, 99, 100}

// Metrics holds a registry with reel's collectors and the readiness that
// /readyz reports. Its methods are safe for concurrent use. It implements
// workflows.Observer.
type Metrics struct {
	reg   *prometheus.Registry
	ready atomic.Bool

	chunksEncoded   *prometheus.CounterVec
	chunksReencoded *prometheus.CounterVec
	chunksFailed    *prometheus.CounterVec
	frames          *prometheus.CounterVec
	encodeSeconds   *prometheus.HistogramVec
	scoreSeconds    *prometheus.HistogramVec
	assembleSeconds *prometheus.HistogramVec
	chunkVMAF       *prometheus.HistogramVec
	sdk             *sdkStore
}

var _ workflows.Observer = (*Metrics)(nil)

// New returns a registry with reel's worker metrics, the Go runtime's and
// the process's, and the Temporal SDK's (fed by TemporalHandler). It is not
// ready until SetReady(true).
func New() *Metrics {
	byRendition := []string{"rendition"}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		chunksEncoded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reel_chunks_encoded_total", Help: "Chunk attempts encoded (and scored) by this process, re-encodes included.",
		}, byRendition),
		chunksReencoded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reel_chunks_reencoded_total", Help: "Chunk attempts after the first (the quality gate asked for a lower CRF).",
		}, byRendition),
		chunksFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reel_chunks_failed_total", Help: "Chunk attempts that ended in an error; kind is bad_input (not retried) or error (retried).",
		}, []string{"rendition", "kind"}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reel_frames_encoded_total", Help: "Frames encoded; rate() of it is frames per second.",
		}, byRendition),
		encodeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "reel_chunk_encode_seconds", Help: "Wall time to encode one chunk attempt, its scoring included (a chunk is scored as it is encoded).", Buckets: secondsBuckets,
		}, byRendition),
		scoreSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "reel_chunk_score_seconds", Help: "Wall time of a chunk attempt's scoring after its encode: the scorer's last frames, or a second pass over the stored chunk for a rendition with a rate conversion.", Buckets: secondsBuckets,
		}, byRendition),
		assembleSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "reel_assemble_seconds", Help: "Wall time to assemble one rendition (download, concat, audio, upload).", Buckets: secondsBuckets,
		}, byRendition),
		chunkVMAF: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "reel_chunk_vmaf", Help: "Mean VMAF of each chunk attempt scored.", Buckets: vmafBuckets,
		}, byRendition),
		sdk: newSDKStore(),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.chunksEncoded, m.chunksReencoded, m.chunksFailed, m.frames,
		m.encodeSeconds, m.scoreSeconds, m.assembleSeconds, m.chunkVMAF,
		m.sdk,
	)
	return m
}

// Registry is where the metrics are; register more collectors on it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SetReady sets what /readyz answers: true once the worker polls its task
// queue, false before and while it drains.
func (m *Metrics) SetReady(ready bool) { m.ready.Store(ready) }

// Ready is what /readyz answers.
func (m *Metrics) Ready() bool { return m.ready.Load() }

// ChunkEncoded implements workflows.Observer.
func (m *Metrics) ChunkEncoded(rendition string, res workflows.ChunkResult, vmafScored bool) {
	m.chunksEncoded.WithLabelValues(rendition).Inc()
	// The rendition's re-encode and failure series exist from its first
	// chunk, at 0, so that rate() and dashboards see them before the first
	// event rather than no data.
	reencoded := m.chunksReencoded.WithLabelValues(rendition)
	if res.Attempt > 1 {
		reencoded.Inc()
	}
	m.chunksFailed.WithLabelValues(rendition, "error")
	m.chunksFailed.WithLabelValues(rendition, "bad_input")
	m.frames.WithLabelValues(rendition).Add(float64(res.Frames))
	m.encodeSeconds.WithLabelValues(rendition).Observe(res.EncodeSeconds)
	if res.ScoreSeconds > 0 {
		m.scoreSeconds.WithLabelValues(rendition).Observe(res.ScoreSeconds)
	}
	if vmafScored {
		m.chunkVMAF.WithLabelValues(rendition).Observe(res.VMAF)
	}
}

// ChunkFailed implements workflows.Observer.
func (m *Metrics) ChunkFailed(rendition string, err error) {
	kind := "error"
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.Type() == workflows.ErrorBadInput {
		kind = "bad_input"
	}
	m.chunksFailed.WithLabelValues(rendition, kind).Inc()
}

// Assembled implements workflows.Observer.
func (m *Metrics) Assembled(rendition string, seconds float64) {
	m.assembleSeconds.WithLabelValues(rendition).Observe(seconds)
}

// Handler serves /metrics (Prometheus text or protobuf, as the scraper
// asks), /healthz (200 while the process serves) and /readyz (200 when
// ready, else 503).
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !m.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}
