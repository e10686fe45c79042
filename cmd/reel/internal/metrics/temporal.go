package metrics

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// TemporalHandler is a client.MetricsHandler that feeds the Temporal SDK's
// own metrics (pollers, task latencies, activity and workflow counts)
// into this registry: set it in client.Options.MetricsHandler of the
// client a worker runs on. Counters get _total and timers become
// histograms in seconds (temporal_activity_execution_latency_seconds).
//
// It is written onto client_golang directly rather than through the SDK's
// tally contrib module: that needs tally and its own Prometheus reporter,
// and the SDK tags one metric name with different tag sets (a poller's
// counter has poller_type, a task's has activity_type), which a fixed
// label set per name cannot take. At each scrape, the series of one name
// get the union of the tag names seen, empty where a series lacks one.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	return sdkHandler{store: m.sdk}
}

// timerBuckets, in seconds, span a poll's long wait and a chunk's encode.
var timerBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300}

type sdkKind int

const (
	sdkCounter sdkKind = iota
	sdkGauge
	sdkTimer
)

// sdkSeries is one metric name with one tag set.
type sdkSeries struct {
	kind sdkKind
	name string // the Prometheus name, suffix included
	tags map[string]string

	mu      sync.Mutex
	value   float64  // counter total or last gauge value
	buckets []uint64 // timer: observations per timerBuckets bound (not cumulative)
	count   uint64
	sum     float64
}

// sdkStore holds every series the SDK asked for, by kind, name and tags.
type sdkStore struct {
	mu     sync.Mutex
	series map[string]*sdkSeries
}

func newSDKStore() *sdkStore { return &sdkStore{series: map[string]*sdkSeries{}} }

func (s *sdkStore) get(kind sdkKind, name string, tags map[string]string) *sdkSeries {
	switch kind {
	case sdkCounter:
		name = strings.TrimSuffix(name, "_total") + "_total"
	case sdkTimer:
		name = strings.TrimSuffix(name, "_seconds") + "_seconds"
	}
	name = sanitize(name)
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var id strings.Builder
	id.WriteString(name)
	for _, k := range keys {
		id.WriteString("\x00" + k + "\x00" + tags[k])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if se, ok := s.series[id.String()]; ok {
		return se
	}
	se := &sdkSeries{kind: kind, name: name, tags: tags}
	if kind == sdkTimer {
		se.buckets = make([]uint64, len(timerBuckets))
	}
	s.series[id.String()] = se
	return se
}

// Describe sends nothing: the SDK's names are known only once it has used
// them, so this is an unchecked collector.
func (s *sdkStore) Describe(chan<- *prometheus.Desc) {}

func (s *sdkStore) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	byName := map[string][]*sdkSeries{}
	for _, se := range s.series {
		byName[se.name] = append(byName[se.name], se)
	}
	s.mu.Unlock()
	for name, list := range byName {
		var labels []string
		for _, se := range list {
			for k := range se.tags {
				if !slices.Contains(labels, k) {
					labels = append(labels, k)
				}
			}
		}
		sort.Strings(labels)
		help := "Temporal SDK metric " + name + "."
		desc := prometheus.NewDesc(name, help, sanitizeAll(labels), nil)
		for _, se := range list {
			values := make([]string, len(labels))
			for i, k := range labels {
				values[i] = se.tags[k]
			}
			if m, err := se.metric(desc, values); err == nil {
				ch <- m
			} else {
				ch <- prometheus.NewInvalidMetric(desc, err)
			}
		}
	}
}

func (se *sdkSeries) metric(desc *prometheus.Desc, values []string) (prometheus.Metric, error) {
	se.mu.Lock()
	defer se.mu.Unlock()
	switch se.kind {
	case sdkCounter:
		return prometheus.NewConstMetric(desc, prometheus.CounterValue, se.value, values...)
	case sdkGauge:
		return prometheus.NewConstMetric(desc, prometheus.GaugeValue, se.value, values...)
	}
	cum := map[float64]uint64{}
	var n uint64
	for i, b := range timerBuckets {
		n += se.buckets[i]
		cum[b] = n
	}
	return prometheus.NewConstHistogram(desc, se.count, se.sum, cum, values...)
}

func (se *sdkSeries) Inc(d int64) {
	se.mu.Lock()
	se.value += float64(d)
	se.mu.Unlock()
}

func (se *sdkSeries) Update(v float64) {
	se.mu.Lock()
	se.value = v
	se.mu.Unlock()
}

func (se *sdkSeries) Record(d time.Duration) {
	v := d.Seconds()
	se.mu.Lock()
	defer se.mu.Unlock()
	se.count++
	se.sum += v
	if i := sort.SearchFloat64s(timerBuckets, v); i < len(timerBuckets) {
		se.buckets[i]++
	}
}

// sdkHandler is the SDK's view: a tag set over the shared store.
type sdkHandler struct {
	store *sdkStore
	tags  map[string]string
}

func (h sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return sdkHandler{store: h.store, tags: merged}
}

func (h sdkHandler) Counter(name string) client.MetricsCounter {
	return h.store.get(sdkCounter, name, h.tags)
}

func (h sdkHandler) Gauge(name string) client.MetricsGauge {
	return h.store.get(sdkGauge, name, h.tags)
}

func (h sdkHandler) Timer(name string) client.MetricsTimer {
	return h.store.get(sdkTimer, name, h.tags)
}

// sanitize makes s a valid Prometheus name: letters, digits and '_', not
// starting with a digit.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

func sanitizeAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = sanitize(s)
	}
	return out
}
