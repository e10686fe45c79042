package bdrate

import (
	"bufio"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The curves of testdata/reference.py, which computed testdata/reference.txt
// independently (see the package doc).
var cases = map[string][2][]Point{
	"x265_psnr": {
		{{9487.76, 40.037}, {4593.60, 38.615}, {2486.44, 36.845}, {1358.24, 34.851}},
		{{9787.80, 40.121}, {4469.00, 38.651}, {2451.52, 36.970}, {1356.24, 34.987}},
	},
	"demo_psnr": {
		{{57118, 40.18}, {41684, 36.18}, {29502, 32.24}, {20640, 31.02}},
		{{56350, 40.09}, {40985, 36.21}, {29265, 32.17}, {20403, 30.24}},
	},
	"vmaf_6_5": {
		{{500, 55.2}, {1000, 70.1}, {2000, 82.4}, {4000, 90.3}, {8000, 95.1}, {12000, 96.8}},
		{{400, 58.0}, {900, 73.5}, {1800, 85.2}, {3500, 92.0}, {7000, 95.9}},
	},
}

func TestAgainstReference(t *testing.T) {
	f, err := os.Open("testdata/reference.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// NAME METHOD rate R quality Q
		fields := strings.Fields(sc.Text())
		if len(fields) != 6 {
			t.Fatalf("bad line %q", sc.Text())
		}
		c, ok := cases[fields[0]]
		if !ok {
			t.Fatalf("unknown case %q", fields[0])
		}
		m, err := ParseMethod(fields[1])
		if err != nil {
			t.Fatal(err)
		}
		wantR, _ := strconv.ParseFloat(fields[3], 64)
		wantQ, _ := strconv.ParseFloat(fields[5], 64)
		gotR, err := Rate(c[0], c[1], m)
		if err != nil {
			t.Fatal(err)
		}
		gotQ, err := Quality(c[0], c[1], m)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(gotR-wantR) > 1e-6 || math.Abs(gotQ-wantQ) > 1e-6 {
			t.Errorf("%s %s: BD-rate %.9f, BD-quality %.9f; reference %.9f, %.9f", fields[0], fields[1], gotR, gotQ, wantR, wantQ)
		}
		n++
	}
	if n != 2*len(cases) {
		t.Fatalf("%d reference lines, want %d", n, 2*len(cases))
	}
}

func TestIdentityAndShift(t *testing.T) {
	a := cases["vmaf_6_5"][0]
	// The same curve: zero. The same curve at 80 % of the rate: −20 %
	// exactly for both methods (a shift in log rate).
	b := make([]Point, len(a))
	for i, p := range a {
		b[i] = Point{Rate: 0.8 * p.Rate, Quality: p.Quality}
	}
	for _, m := range []Method{PCHIP, Cubic} {
		if r, err := Rate(a, a, m); err != nil || math.Abs(r) > 1e-12 {
			t.Errorf("%v: Rate(a, a) = %v, %v", m, r, err)
		}
		if r, err := Rate(a, b, m); err != nil || math.Abs(r+20) > 1e-9 {
			t.Errorf("%v: Rate(a, 0.8a) = %v, %v; want -20", m, r, err)
		}
		if q, err := Quality(a, a, m); err != nil || math.Abs(q) > 1e-12 {
			t.Errorf("%v: Quality(a, a) = %v, %v", m, q, err)
		}
	}
}

func TestErrors(t *testing.T) {
	good := cases["x265_psnr"][0]
	for _, c := range []struct {
		name string
		a, b []Point
		want error
	}{
		{"three points", good, good[:3], ErrTooFewPoints},
		{"not monotone", good, []Point{{100, 30}, {200, 35}, {300, 34}, {400, 38}}, ErrNotMonotone},
		{"same rate", good, []Point{{100, 30}, {200, 35}, {200, 36}, {400, 38}}, ErrNotMonotone},
		{"no overlap", good, []Point{{100, 50}, {200, 55}, {300, 58}, {400, 60}}, ErrNoOverlap},
		{"zero rate", good, []Point{{0, 30}, {200, 35}, {300, 36}, {400, 38}}, ErrInvalidInput},
		{"NaN", good, []Point{{100, math.NaN()}, {200, 35}, {300, 36}, {400, 38}}, ErrInvalidInput},
	} {
		if _, err := Rate(c.a, c.b, PCHIP); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// Rates that do not overlap: BD-quality refuses, BD-rate may not.
	far := []Point{{1e6, 35}, {2e6, 37}, {3e6, 38}, {4e6, 40}}
	if _, err := Quality(good, far, PCHIP); !errors.Is(err, ErrNoOverlap) {
		t.Errorf("Quality over disjoint rates: err = %v", err)
	}
}
