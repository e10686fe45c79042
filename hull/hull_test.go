package hull

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestShotHull(t *testing.T) {
	cases := []struct {
		name   string
		points []Point
		want   []int
	}{
		// In log bits 100, 200, 400, 800 are equally spaced (ln 2 apart).
		// Chord 1→3 passes ln 400 at (70+90)/2 = 80 > 75, so 2 is under it;
		// chord 0→3 passes ln 200 at 50 + 40/3 = 63.3 < 70, so 1 stays.
		// 4 costs more than 3 for less, 5 more than 0 for less, 6 the same
		// bits as 0 for less.
		{"textbook", []Point{{Bits: 100, VMAF: 50}, {Bits: 200, VMAF: 70}, {Bits: 400, VMAF: 75}, {Bits: 800, VMAF: 90}, {Bits: 1600, VMAF: 89}, {Bits: 150, VMAF: 40}, {Bits: 100, VMAF: 45}}, []int{0, 1, 3}},
		// Given out of order: the hull is still cheapest first.
		{"unsorted", []Point{{Bits: 800, VMAF: 90}, {Bits: 100, VMAF: 50}, {Bits: 200, VMAF: 70}}, []int{1, 2, 0}},
		// Equal points: the lowest index stays.
		{"duplicates", []Point{{Bits: 100, VMAF: 50}, {Bits: 300, VMAF: 60}, {Bits: 100, VMAF: 50}, {Bits: 300, VMAF: 60}}, []int{0, 1}},
		// Quality falling with bits: only the cheapest, best point.
		{"all dominated", []Point{{Bits: 100, VMAF: 90}, {Bits: 200, VMAF: 80}, {Bits: 400, VMAF: 70}}, []int{0}},
		{"one", []Point{{Bits: 5, VMAF: 1}}, []int{0}},
		// Bits ≤ 0 and NaN are never on the hull.
		{"invalid points", []Point{{Bits: 0, VMAF: 99}, {Bits: 100, VMAF: math.NaN()}, {Bits: 200, VMAF: 10}}, []int{2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := (Shot{Frames: 1, Points: c.points}).Hull(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Hull = %v, want %v", got, c.want)
			}
		})
	}
}

// twoShots is the worked example of the sweep tests.
//
// Shot A (10 frames): 100→40, 200→60, 400→70. Log hull: the middle point
// is above the chord (55), linear slopes 0.2 then 0.05, so all three stay;
// weighted by frames the slopes are 2.0 and 0.5.
// Shot B (20 frames): 100→50, 300→80, slope 30/200·20 = 3.0.
//
// Sweep: [0 0] 200 bits; λ=3: B steps, [0 1] 400; λ=2: A, [1 1] 500;
// λ=0.5: A, [2 1] 700. Frame-weighted means (of 30 frames):
// 1400/30 = 46.667, 2000/30 = 66.667, 2200/30 = 73.333, 2300/30 = 76.667.
// At 10 fps the bitrates are bits·10/30: 66.67, 133.33, 166.67, 233.33.
var twoShots = []Shot{
	{Frames: 10, Points: []Point{{Bits: 100, VMAF: 40}, {Bits: 200, VMAF: 60}, {Bits: 400, VMAF: 70}}},
	{Frames: 20, Points: []Point{{Bits: 100, VMAF: 50}, {Bits: 300, VMAF: 80}}},
}

func TestSweepWorkedExample(t *testing.T) {
	title, err := Sweep(twoShots)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		lambda, bits float64
		choice       []int
	}{
		{math.Inf(1), 200, []int{0, 0}},
		{3, 400, []int{0, 1}},
		{2, 500, []int{1, 1}},
		{0.5, 700, []int{2, 1}},
	}
	if len(title.Points) != len(want) {
		t.Fatalf("title hull has %d points, want %d: %+v", len(title.Points), len(want), title.Points)
	}
	for k, w := range want {
		p := title.Points[k]
		if p.Lambda != w.lambda || p.Bits != w.bits || !reflect.DeepEqual(title.Choice(k), w.choice) {
			t.Errorf("title point %d: λ %v, %v bits, choice %v; want λ %v, %v bits, choice %v", k, p.Lambda, p.Bits, title.Choice(k), w.lambda, w.bits, w.choice)
		}
	}
	means := []float64{46.666666666666664, 66.66666666666667, 73.33333333333333, 76.66666666666667}
	for k := range title.Points {
		if got := title.Pooled(title.Choice(k), Mean); math.Abs(got-means[k]) > 1e-9 {
			t.Errorf("point %d mean = %v, want %v", k, got, means[k])
		}
	}
	// Harmonic: 30 / (10/71 + 20/81) − 1 = 76.36771; 5th percentile: 5 % of
	// 30 frames is 1.5, reached by A's 10 frames at 70.
	last := title.Choice(3)
	if got := title.Pooled(last, HarmonicMean); math.Abs(got-76.3677130044843) > 1e-9 {
		t.Errorf("harmonic mean = %v", got)
	}
	if got := title.Pooled(last, Percentile5); got != 70 {
		t.Errorf("p5 = %v, want 70", got)
	}
	// Select agrees: at λ=2.5, A: 10·40−250 = 150 beats 600−500 = 100;
	// B: 1600−750 = 850 beats 1000−250 = 750. At λ=3 exactly B ties
	// (1000−300 = 1600−900 = 700) and takes the cheaper point.
	for _, c := range []struct {
		lambda float64
		want   []int
	}{{2.5, []int{0, 1}}, {3, []int{0, 0}}, {1, []int{1, 1}}, {0, []int{2, 1}}, {100, []int{0, 0}}} {
		got, err := Select(twoShots, c.lambda)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Select(%v) = %v, %v; want %v", c.lambda, got, err, c.want)
		}
	}
}

func TestSweepEqualSlopesMoveTogether(t *testing.T) {
	b := twoShots[1]
	title, err := Sweep([]Shot{b, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(title.Points) != 2 || !reflect.DeepEqual(title.Choice(1), []int{1, 1}) || len(title.Points[1].Moves) != 2 {
		t.Errorf("title hull %+v, want [0 0] then [1 1]", title.Points)
	}
}

func TestRungs(t *testing.T) {
	title, err := Sweep(twoShots)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		byRate    float64 // 0: by quality
		quality   float64
		pool      Pool
		cap       float64
		wantIndex int
		wantQ     float64
		wantErr   error
	}{
		// 166.67 is the last bitrate ≤ 200.
		{name: "rate 200", byRate: 200, pool: Mean, wantIndex: 2, wantQ: 73.33333333333333},
		{name: "rate exactly 133.34", byRate: 133.34, pool: Mean, wantIndex: 1, wantQ: 66.66666666666667},
		{name: "rate too low", byRate: 50, pool: Mean, wantErr: ErrUnreachable},
		// Cheapest mean ≥ 70 is point 2 (73.33).
		{name: "mean 70", quality: 70, pool: Mean, wantIndex: 2, wantQ: 73.33333333333333},
		// p5 is the lower shot's quality: 40, 40, 60, 70; ≥ 65 first at 3.
		{name: "p5 65", quality: 65, pool: Percentile5, wantIndex: 3, wantQ: 70},
		// A target met exactly counts as met.
		{name: "p5 60", quality: 60, pool: Percentile5, wantIndex: 2, wantQ: 60},
		// p5 is 40 at points 0 and 1: ≤ 150 b/s the cheaper of the two.
		{name: "p5 rate 150", byRate: 150, pool: Percentile5, wantIndex: 0, wantQ: 40},
		{name: "mean 80", quality: 80, pool: Mean, wantErr: ErrUnreachable},
		// Cap 12 at ≤ 140 b/s: point 1 has A 40, B 80; B drops to its
		// highest point ≤ 52, which is 50: [0 0] again (mean 46.67). Point
		// 2 has A 60, B 80; B drops to 50 (≤ 72), then A at 60 is within 12
		// of 50: [1 0], 300 bits = 100 b/s, mean (600+1000)/30 = 53.33, the
		// best under 140. Point 3 (A 70, B 80) is within the cap at 233 b/s.
		{name: "rate 140 cap 12", byRate: 140, pool: Mean, cap: 12, wantIndex: 2, wantQ: 53.333333333333336},
		// Without the cap the same target takes point 1.
		{name: "rate 140", byRate: 140, pool: Mean, wantIndex: 1, wantQ: 66.66666666666667},
		// Cap 5: A 40 and B 50 already differ by 10 at the cheapest point,
		// and neither can go lower.
		{name: "cap 5 unmeetable", byRate: 1000, pool: Mean, cap: 5, wantErr: ErrUnreachable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r Rung
			var err error
			if c.byRate > 0 {
				r, err = ByBitrate(title, c.byRate, 10, c.pool, c.cap)
			} else {
				r, err = ByQuality(title, c.quality, c.pool, 10, c.cap)
			}
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Index != c.wantIndex || math.Abs(r.Quality-c.wantQ) > 1e-9 {
				t.Errorf("rung %+v, want index %d quality %v", r, c.wantIndex, c.wantQ)
			}
			if c.cap > 0 && r.Spread > c.cap {
				t.Errorf("spread %v over cap %v", r.Spread, c.cap)
			}
		})
	}
}

func TestInvalidInput(t *testing.T) {
	for _, shots := range [][]Shot{
		nil,
		{{Frames: 0, Points: []Point{{Bits: 1, VMAF: 1}}}},
		{{Frames: 1}},
		{{Frames: 1, Points: []Point{{Bits: -1, VMAF: 1}}}},
		{{Frames: 1, Points: []Point{{Bits: 1, VMAF: math.Inf(1)}}}},
	} {
		if _, err := Sweep(shots); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Sweep(%+v) err = %v", shots, err)
		}
	}
	if _, err := ParsePool("median"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("ParsePool(median) err = %v", err)
	}
}

// randomShots makes n shots of 1–12 points, bits log-uniform over three
// decades, quality uniform over 0–100.
func randomShots(r *rand.Rand) []Shot {
	shots := make([]Shot, 1+r.IntN(6))
	for i := range shots {
		shots[i].Frames = 1 + r.IntN(100)
		for range 1 + r.IntN(12) {
			shots[i].Points = append(shots[i].Points, Point{Bits: 1e3 * math.Pow(10, 3*r.Float64()), VMAF: 100 * r.Float64()})
		}
	}
	return shots
}

func TestSweepProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 2026))
	for trial := range 500 {
		shots := randomShots(r)
		title, err := Sweep(shots)
		if err != nil {
			t.Fatal(err)
		}
		hulls := make([][]int, len(shots))
		for i, s := range shots {
			hulls[i] = s.Hull()
			checkHull(t, trial, i, s, hulls[i])
		}
		for k, p := range title.Points {
			choice := title.Choice(k)
			for i, c := range choice {
				if !slices.Contains(hulls[i], c) {
					t.Fatalf("trial %d title point %d: shot %d point %d is not on its hull %v", trial, k, i, c, hulls[i])
				}
			}
			if k > 0 {
				prev := title.Points[k-1]
				if !(p.Bits > prev.Bits) || !(p.Lambda < prev.Lambda) || title.Pooled(choice, Mean) < title.Pooled(title.Choice(k-1), Mean) {
					t.Fatalf("trial %d: point %d (%v bits, λ %v) does not follow %d (%v bits, λ %v)", trial, k, p.Bits, p.Lambda, k-1, prev.Bits, prev.Lambda)
				}
				// A λ strictly inside this point's range selects it.
				lambda := p.Lambda / 2
				if k+1 < len(title.Points) {
					lambda = (p.Lambda + title.Points[k+1].Lambda) / 2
				}
				if got, _ := Select(shots, lambda); !reflect.DeepEqual(got, choice) {
					t.Fatalf("trial %d: Select(%v) = %v, title point %d is %v", trial, lambda, got, k, choice)
				}
			}
		}
		// The binary searches of ByBitrate and ByQuality agree with a walk
		// over every point, for each pool, and a capped rung keeps its cap.
		for _, pool := range []Pool{Mean, HarmonicMean, Percentile5} {
			rate := title.Bitrate(title.Choice(0), 24) * (1 + 3*r.Float64())
			quality := 100 * r.Float64()
			wantR, wantQ := -1, -1
			for k := range title.Points {
				c := title.Choice(k)
				if title.Bitrate(c, 24) <= rate && (wantR < 0 || title.Pooled(c, pool) > title.Pooled(title.Choice(wantR), pool)) {
					wantR = k
				}
				if wantQ < 0 && title.Pooled(c, pool) >= quality {
					wantQ = k
				}
			}
			if got, err := ByBitrate(title, rate, 24, pool, 0); (err == nil) != (wantR >= 0) || (err == nil && got.Index != wantR) {
				t.Fatalf("trial %d %v: ByBitrate(%v) = %+v, %v; a walk says point %d", trial, pool, rate, got, err, wantR)
			}
			if got, err := ByQuality(title, quality, pool, 24, 0); (err == nil) != (wantQ >= 0) || (err == nil && got.Index != wantQ) {
				t.Fatalf("trial %d %v: ByQuality(%v) = %+v, %v; a walk says point %d", trial, pool, quality, got, err, wantQ)
			}
			if got, err := ByBitrate(title, rate*2, 24, pool, 10); err == nil && got.Spread > 10 {
				t.Fatalf("trial %d: capped rung spreads %v", trial, got.Spread)
			}
		}
		// Total bits never rise with λ.
		prevBits := math.Inf(1)
		for _, lambda := range []float64{0, 1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1, 3, 10, 1e3} {
			c, err := Select(shots, lambda)
			if err != nil {
				t.Fatal(err)
			}
			var bits float64
			for i, j := range c {
				bits += shots[i].Points[j].Bits
			}
			if bits > prevBits {
				t.Fatalf("trial %d: bits rose to %v at λ %v", trial, bits, lambda)
			}
			prevBits = bits
		}
	}
}

// checkHull checks a hull by brute force: no point dominates a hull point,
// hull quality rises with bits, and every point lies on or under the hull's
// polyline in (log bits, VMAF) within its bits range.
func checkHull(t *testing.T, trial, shot int, s Shot, h []int) {
	t.Helper()
	for _, i := range h {
		for j, q := range s.Points {
			p := s.Points[i]
			if j != i && q.Bits <= p.Bits && q.VMAF >= p.VMAF && (q.Bits < p.Bits || q.VMAF > p.VMAF || j < i) {
				t.Fatalf("trial %d shot %d: hull point %d is dominated by %d", trial, shot, i, j)
			}
		}
	}
	for k := 1; k < len(h); k++ {
		a, b := s.Points[h[k-1]], s.Points[h[k]]
		if !(b.Bits > a.Bits && b.VMAF > a.VMAF) {
			t.Fatalf("trial %d shot %d: hull %v not rising", trial, shot, h)
		}
		if k >= 2 {
			o := s.Points[h[k-2]]
			cross := (math.Log(a.Bits)-math.Log(o.Bits))*(b.VMAF-o.VMAF) - (a.VMAF-o.VMAF)*(math.Log(b.Bits)-math.Log(o.Bits))
			if cross >= 0 {
				t.Fatalf("trial %d shot %d: hull %v not convex at %d", trial, shot, h, h[k-1])
			}
		}
		for j, q := range s.Points {
			if q.Bits < a.Bits || q.Bits > b.Bits || slices.Contains(h, j) {
				continue
			}
			f := (math.Log(q.Bits) - math.Log(a.Bits)) / (math.Log(b.Bits) - math.Log(a.Bits))
			if q.VMAF > a.VMAF+f*(b.VMAF-a.VMAF)+1e-9 {
				t.Fatalf("trial %d shot %d: point %d is above hull %v", trial, shot, j, h)
			}
		}
	}
}

// BenchmarkSweep is the scale: 5 000 shots × 30 points (6 sizes ×
// 5 CRFs), swept into the title hull and a rung picked by quality.
func BenchmarkSweep(b *testing.B) {
	r := rand.New(rand.NewPCG(5000, 30))
	shots := make([]Shot, 5000)
	for i := range shots {
		shots[i].Frames = 24 + r.IntN(200)
		for range 30 {
			shots[i].Points = append(shots[i].Points, Point{Bits: 1e4 * math.Pow(10, 3*r.Float64()), VMAF: 100 * r.Float64()})
		}
	}
	b.ResetTimer()
	for b.Loop() {
		title, err := Sweep(shots)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ByQuality(title, 60, Mean, 24, 0); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(title.Points)), "title-points")
	}
}
