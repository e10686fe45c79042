package vmaf

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPool(t *testing.T) {
	cases := []struct {
		name string
		in   []float64
		want Pooled
	}{
		{"empty", nil, Pooled{}},
		{"one", []float64{42}, Pooled{Min: 42, Max: 42, Mean: 42, HarmonicMean: 42, P1: 42, P5: 42, P10: 42, Low1: 42}},
		// harmonic: 2/(1/1 + 1/101) - 1; p10 at position 0.1 → 0 + 0.1·100
		{"zero and hundred", []float64{100, 0}, Pooled{Min: 0, Max: 100, Mean: 50, HarmonicMean: 2/(1+1.0/101) - 1, P1: 1, P5: 5, P10: 10, Low1: 0}},
		// 11 values 0..100 step 10: p10 sits exactly on rank 1 (10); p5 halfway → 5.
		{"ramp", []float64{50, 0, 10, 20, 30, 40, 60, 70, 80, 90, 100}, Pooled{Min: 0, Max: 100, Mean: 50,
			HarmonicMean: 11/(1+1.0/11+1.0/21+1.0/31+1.0/41+1.0/51+1.0/61+1.0/71+1.0/81+1.0/91+1.0/101) - 1,
			P1:           1, P5: 5, P10: 10, Low1: 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Pool(c.in)
			if !pooledClose(got, c.want, 1e-12) {
				t.Fatalf("Pool(%v) = %+v, want %+v", c.in, got, c.want)
			}
		})
	}
}

func TestPoolLow1(t *testing.T) {
	// 250 frames: the worst ceil(2.5) = 3 frames are 1, 2, 3.
	vals := make([]float64, 250)
	for i := range vals {
		vals[i] = float64(250 - i)
	}
	if got := Pool(vals).Low1; got != 2 {
		t.Fatalf("Low1 = %v, want 2", got)
	}
}

func pooledClose(a, b Pooled, tol float64) bool {
	av := []float64{a.Min, a.Max, a.Mean, a.HarmonicMean, a.P1, a.P5, a.P10, a.Low1}
	bv := []float64{b.Min, b.Max, b.Mean, b.HarmonicMean, b.P1, b.P5, b.P10, b.Low1}
	for i := range av {
		if math.Abs(av[i]-bv[i]) > tol {
			return false
		}
	}
	return true
}

func TestPooledGet(t *testing.T) {
	p := Pooled{Min: 1, Max: 2, Mean: 3, HarmonicMean: 4, P1: 5, P5: 6, P10: 7, Low1: 8}
	for i, m := range PoolMethods {
		v, err := p.Get(m)
		if err != nil || v != float64(i+1) {
			t.Errorf("Get(%q) = %v, %v", m, v, err)
		}
	}
	if _, err := p.Get("median"); !errors.Is(err, ErrUnknownPool) {
		t.Errorf("Get(median) err = %v", err)
	}
}

// TestPoolAllMatchesLibvmaf pools libvmaf's own 17-digit per-frame values
// and compares with the pooled block its CLI printed (6 decimals).
func TestPoolAllMatchesLibvmaf(t *testing.T) {
	for _, c := range extraCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			var r Result
			for i, m := range extraPrecise(t, c) {
				delete(m, "frameNum")
				r.Frames = append(r.Frames, FrameScore{Index: int64(i), Metrics: m})
			}
			r.PoolAll()
			b, err := os.ReadFile(filepath.Join(c.Dir, c.Name+".vmaf.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want struct {
				Pooled map[string]map[string]float64 `json:"pooled_metrics"`
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			checked := 0
			for name, got := range r.Pooled {
				w, ok := want.Pooled[name]
				if !ok {
					continue // integer_motion_sad is named differently in the CLI output
				}
				for method, wv := range w {
					gv, err := got.Get(method)
					if err != nil {
						t.Fatal(err)
					}
					if math.Abs(gv-wv) > 5.1e-7 {
						t.Errorf("%s %s = %.9f, libvmaf printed %.6f", name, method, gv, wv)
					}
					checked++
				}
			}
			if checked < 4*12 {
				t.Fatalf("only %d pooled values compared", checked)
			}
			if _, ok := r.Aggregate["vmaf_p1"]; !ok {
				t.Errorf("aggregate has no vmaf_p1: %v", r.Aggregate)
			}
		})
	}
}

func TestMetricNamesOrder(t *testing.T) {
	r := Result{Frames: []FrameScore{{Metrics: map[string]float64{
		"vmaf": 1, "zeta": 1, "psnr_cb": 1, "float_ssim": 1, "alpha": 1, "psnr_y": 1, "integer_adm2": 1,
	}}}}
	got := strings.Join(r.MetricNames(), ",")
	if want := "psnr_y,psnr_cb,integer_adm2,float_ssim,vmaf,alpha,zeta"; got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
}
