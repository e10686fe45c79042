package vmaf

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Pool summarises one metric's per-frame values.
//
//   - Min, Max, Mean and HarmonicMean are libvmaf's (vmaf_feature_score_pooled):
//     the mean sums in frame order, and the harmonic mean is
//     n / Σ 1/(x+1) − 1, which stays finite when a frame scores 0.
//   - P1, P5 and P10 are percentiles with linear interpolation between
//     closest ranks (NumPy's default, Hyndman–Fan type 7): on the sorted
//     values v[0..n-1], the p-th percentile is read at position p/100·(n−1),
//     interpolating between its two neighbours.
//   - Low1, the "1% low", is the mean of the worst ceil(n/100) frames (at
//     least one): the lowest values, since every pooled metric is better
//     when higher.
//
// An empty slice gives the zero Pooled. NaN values (libvmaf reports MS-SSIM
// as NaN on some degenerate content) propagate into the mean and
// percentiles as they would in libvmaf's sums.
func Pool(values []float64) Pooled {
	n := len(values)
	if n == 0 {
		return Pooled{}
	}
	var sum, isum float64
	lo, hi := values[0], values[0]
	for i, v := range values {
		sum += v
		isum += 1 / (v + 1)
		if i == 0 || v < lo {
			lo = v
		}
		if i == 0 || v > hi {
			hi = v
		}
	}
	sorted := slices.Clone(values)
	sort.Float64s(sorted)
	k := (n + 99) / 100
	var low float64
	for _, v := range sorted[:k] {
		low += v
	}
	return Pooled{
		Min:          lo,
		Max:          hi,
		Mean:         sum / float64(n),
		HarmonicMean: float64(n)/isum - 1,
		P1:           percentile(sorted, 1),
		P5:           percentile(sorted, 5),
		P10:          percentile(sorted, 10),
		Low1:         low / float64(k),
	}
}

// percentile reads the p-th percentile of ascending values by linear
// interpolation between closest ranks.
func percentile(sorted []float64, p float64) float64 {
	pos := p / 100 * float64(len(sorted)-1)
	i := int(math.Floor(pos))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(i)
	return sorted[i] + frac*(sorted[i+1]-sorted[i])
}

// Pooling methods as the CLI's --pool flag and Pooled.Get name them.
const (
	PoolMin          = "min"
	PoolMax          = "max"
	PoolMean         = "mean"
	PoolHarmonicMean = "harmonic_mean"
	PoolP1           = "p1"
	PoolP5           = "p5"
	PoolP10          = "p10"
	PoolLow1         = "low1"
)

// PoolMethods lists every pooling method name.
var PoolMethods = []string{PoolMin, PoolMax, PoolMean, PoolHarmonicMean, PoolP1, PoolP5, PoolP10, PoolLow1}

// ErrUnknownPool: a pooling method name not in PoolMethods.
var ErrUnknownPool = errors.New("unknown pooling method")

// Get returns the summary named by method (one of PoolMethods).
func (p Pooled) Get(method string) (float64, error) {
	switch method {
	case PoolMin:
		return p.Min, nil
	case PoolMax:
		return p.Max, nil
	case PoolMean:
		return p.Mean, nil
	case PoolHarmonicMean:
		return p.HarmonicMean, nil
	case PoolP1:
		return p.P1, nil
	case PoolP5:
		return p.P5, nil
	case PoolP10:
		return p.P10, nil
	case PoolLow1:
		return p.Low1, nil
	}
	return 0, fmt.Errorf("vmaf: pooling %q (want one of %s): %w", method, strings.Join(PoolMethods, ", "), ErrUnknownPool)
}

// MetricNames returns the names of every metric in r.Frames, in the order
// libvmaf prints them (see metricOrder), names it does not know last in
// alphabetical order.
func (r *Result) MetricNames() []string {
	seen := map[string]bool{}
	for _, f := range r.Frames {
		for k := range f.Metrics {
			seen[k] = true
		}
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	sortMetrics(names)
	return names
}

// PoolAll fills r.Pooled from r.Frames: each metric pooled over the frames
// that carry it, in frame order. For model scores (metrics whose name
// starts with "vmaf") it also records the percentiles and the 1% low in
// r.Aggregate as <name>_p1, <name>_p5, <name>_p10 and <name>_low1, where
// libvmaf-style readers of the JSON find them (pooled_metrics holds only
// libvmaf's four summaries).
func (r *Result) PoolAll() {
	r.Pooled = make(map[string]Pooled)
	if r.Aggregate == nil {
		r.Aggregate = make(map[string]float64)
	}
	for _, name := range r.MetricNames() {
		vals := make([]float64, 0, len(r.Frames))
		for _, f := range r.Frames {
			if v, ok := f.Metrics[name]; ok {
				vals = append(vals, v)
			}
		}
		p := Pool(vals)
		r.Pooled[name] = p
		if strings.HasPrefix(name, "vmaf") {
			r.Aggregate[name+"_p1"] = p.P1
			r.Aggregate[name+"_p5"] = p.P5
			r.Aggregate[name+"_p10"] = p.P10
			r.Aggregate[name+"_low1"] = p.Low1
		}
	}
}

// metricOrder is the order in which libvmaf 3.2's CLI prints the metrics of
// vmaf_v0.6.1 with --feature psnr, float_ssim and float_ms_ssim (see any
// *.vmaf.json of the reference corpus). Other metrics (other models, NEG
// features) follow, alphabetically.
var metricOrder = []string{
	"psnr_y", "psnr_cb", "psnr_cr",
	"integer_adm2", "integer_aim", "integer_adm3",
	"integer_adm_scale0", "integer_adm_scale1", "integer_adm_scale2", "integer_adm_scale3",
	"VMAF_integer_feature_motion_sad_score",
	"integer_vif_scale0", "integer_vif_scale1", "integer_vif_scale2", "integer_vif_scale3",
	"float_ssim", "float_ms_ssim",
	"integer_motion2", "integer_motion3",
	"vmaf",
}

var metricRank = func() map[string]int {
	m := make(map[string]int, len(metricOrder))
	for i, k := range metricOrder {
		m[k] = i
	}
	return m
}()

// sortMetrics orders names as libvmaf prints them; unknown names go last,
// alphabetically. The order never depends on map iteration.
func sortMetrics(names []string) {
	sort.Slice(names, func(i, j int) bool {
		ri, oki := metricRank[names[i]]
		rj, okj := metricRank[names[j]]
		switch {
		case oki && okj:
			return ri < rj
		case oki != okj:
			return oki
		}
		return names[i] < names[j]
	})
}
