package bdrate

import (
	"fmt"
	"math"
	"sort"
)

// Point is one encode: its bitrate (any unit, the same for both curves) and
// its quality (VMAF, PSNR in dB, ...; higher is better).
type Point struct {
	Rate    float64
	Quality float64
}

// Method is the interpolation.
type Method int

const (
	// PCHIP is piecewise cubic Hermite interpolation, as the common test
	// conditions use.
	PCHIP Method = iota
	// Cubic is the least-squares cubic polynomial of VCEG-M33.
	Cubic
)

// ParseMethod reads "pchip" or "cubic".
func ParseMethod(s string) (Method, error) {
	switch s {
	case "pchip":
		return PCHIP, nil
	case "cubic":
		return Cubic, nil
	}
	return 0, fmt.Errorf("%w: interpolation %q (want pchip or cubic)", ErrInvalidInput, s)
}

func (m Method) String() string {
	if m == Cubic {
		return "cubic"
	}
	return "pchip"
}

// Rate returns the BD-rate of test against anchor in percent: the average
// bitrate difference at equal quality. Negative means test needs fewer bits.
func Rate(anchor, test []Point, m Method) (float64, error) {
	qa, ra, err := curve("anchor", anchor)
	if err != nil {
		return 0, err
	}
	qt, rt, err := curve("test", test)
	if err != nil {
		return 0, err
	}
	lo, hi := math.Max(qa[0], qt[0]), math.Min(qa[len(qa)-1], qt[len(qt)-1])
	if !(hi > lo) {
		return 0, fmt.Errorf("%w: quality ranges [%g, %g] and [%g, %g]", ErrNoOverlap, qa[0], qa[len(qa)-1], qt[0], qt[len(qt)-1])
	}
	ia, err := integral(qa, ra, lo, hi, m)
	if err != nil {
		return 0, err
	}
	it, err := integral(qt, rt, lo, hi, m)
	if err != nil {
		return 0, err
	}
	r := (math.Exp((it-ia)/(hi-lo)) - 1) * 100
	if math.IsInf(r, 0) || math.IsNaN(r) || r <= -100 {
		return 0, fmt.Errorf("%w: the curves are too far apart for a BD-rate (log rates differ by %g on average)", ErrInvalidInput, (it-ia)/(hi-lo))
	}
	return r, nil
}

// Quality returns the BD-quality of test against anchor: the average quality
// difference at equal bitrate, in the metric's unit. Positive means test is
// better.
func Quality(anchor, test []Point, m Method) (float64, error) {
	qa, ra, err := curve("anchor", anchor)
	if err != nil {
		return 0, err
	}
	qt, rt, err := curve("test", test)
	if err != nil {
		return 0, err
	}
	lo, hi := math.Max(ra[0], rt[0]), math.Min(ra[len(ra)-1], rt[len(rt)-1])
	if !(hi > lo) {
		return 0, fmt.Errorf("%w: rate ranges [%g, %g] and [%g, %g]", ErrNoOverlap, math.Exp(ra[0]), math.Exp(ra[len(ra)-1]), math.Exp(rt[0]), math.Exp(rt[len(rt)-1]))
	}
	ia, err := integral(ra, qa, lo, hi, m)
	if err != nil {
		return 0, err
	}
	it, err := integral(rt, qt, lo, hi, m)
	if err != nil {
		return 0, err
	}
	q := (it - ia) / (hi - lo)
	if math.IsInf(q, 0) || math.IsNaN(q) {
		return 0, fmt.Errorf("%w: BD-quality is not finite", ErrInvalidInput)
	}
	return q, nil
}

// curve checks points and returns quality and ln(rate), by rate ascending.
func curve(name string, pts []Point) (q, lr []float64, err error) {
	if len(pts) < 4 {
		return nil, nil, fmt.Errorf("%w: the %s curve has %d points, at least 4 are needed", ErrTooFewPoints, name, len(pts))
	}
	s := append([]Point(nil), pts...)
	for _, p := range s {
		if !(p.Rate > 0) || math.IsInf(p.Rate, 0) || math.IsNaN(p.Quality) || math.IsInf(p.Quality, 0) {
			return nil, nil, fmt.Errorf("%w: the %s curve has rate %v, quality %v", ErrInvalidInput, name, p.Rate, p.Quality)
		}
	}
	sort.SliceStable(s, func(i, j int) bool { return s[i].Rate < s[j].Rate })
	for i := 1; i < len(s); i++ {
		if s[i].Rate == s[i-1].Rate || s[i].Quality <= s[i-1].Quality {
			return nil, nil, fmt.Errorf("%w: the %s curve goes from rate %g quality %g to rate %g quality %g", ErrNotMonotone, name, s[i-1].Rate, s[i-1].Quality, s[i].Rate, s[i].Quality)
		}
	}
	for _, p := range s {
		q = append(q, p.Quality)
		lr = append(lr, math.Log(p.Rate))
	}
	return q, lr, nil
}

// integral integrates y(x) interpolated through the points (x ascending)
// from lo to hi, lo and hi inside [x[0], x[n-1]].
func integral(x, y []float64, lo, hi float64, m Method) (float64, error) {
	if m == Cubic {
		c, err := cubicFit(x, y)
		if err != nil {
			return 0, err
		}
		return c.integral(lo, hi), nil
	}
	return pchipIntegral(x, y, lo, hi), nil
}

// pchipSlopes returns the Fritsch–Carlson derivatives at each point: the
// weighted harmonic mean of the neighbouring secants inside (zero at a local
// extremum), the shape-preserving three-point formula at the ends.
func pchipSlopes(x, y []float64) []float64 {
	n := len(x)
	h := make([]float64, n-1)
	del := make([]float64, n-1)
	for k := range h {
		h[k] = x[k+1] - x[k]
		del[k] = (y[k+1] - y[k]) / h[k]
	}
	d := make([]float64, n)
	for k := 1; k < n-1; k++ {
		if del[k-1]*del[k] <= 0 {
			continue
		}
		w1, w2 := 2*h[k]+h[k-1], h[k]+2*h[k-1]
		d[k] = (w1 + w2) / (w1/del[k-1] + w2/del[k])
	}
	d[0] = pchipEnd(h[0], h[1], del[0], del[1])
	d[n-1] = pchipEnd(h[n-2], h[n-3], del[n-2], del[n-3])
	return d
}

func pchipEnd(h0, h1, m0, m1 float64) float64 {
	d := ((2*h0+h1)*m0 - h0*m1) / (h0 + h1)
	switch {
	case sign(d) != sign(m0):
		return 0
	case sign(m0) != sign(m1) && math.Abs(d) > 3*math.Abs(m0):
		return 3 * m0
	}
	return d
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// pchipIntegral integrates the Hermite cubic of each interval over its part
// of [lo, hi], in closed form.
func pchipIntegral(x, y []float64, lo, hi float64) float64 {
	d := pchipSlopes(x, y)
	var sum float64
	for k := 0; k+1 < len(x); k++ {
		a, b := math.Max(lo, x[k]), math.Min(hi, x[k+1])
		if !(b > a) {
			continue
		}
		h := x[k+1] - x[k]
		ta, tb := (a-x[k])/h, (b-x[k])/h
		sum += h * (hermite(tb, y[k], y[k+1], h*d[k], h*d[k+1]) - hermite(ta, y[k], y[k+1], h*d[k], h*d[k+1]))
	}
	return sum
}

// hermite is the antiderivative at t ∈ [0, 1] of the cubic Hermite basis
// combination y0·h00 + m0·h10 + y1·h01 + m1·h11 (m scaled by the interval).
func hermite(t, y0, y1, m0, m1 float64) float64 {
	t2, t3, t4 := t*t, t*t*t, t*t*t*t
	return y0*(t4/2-t3+t) + m0*(t4/4-2*t3/3+t2/2) + y1*(-t4/2+t3) + m1*(t4/4-t3/3)
}

// poly3 is c0 + c1·u + c2·u² + c3·u³ with u = (x − shift)/scale; the shift
// and scale keep the normal equations well conditioned for VMAF-sized x.
type poly3 struct {
	c            [4]float64
	shift, scale float64
}

func (p poly3) integral(lo, hi float64) float64 {
	anti := func(x float64) float64 {
		u := (x - p.shift) / p.scale
		return p.scale * (p.c[0]*u + p.c[1]*u*u/2 + p.c[2]*u*u*u/3 + p.c[3]*u*u*u*u/4)
	}
	return anti(hi) - anti(lo)
}

// cubicFit is the least-squares cubic through the points, from the normal
// equations solved by Gaussian elimination with partial pivoting.
func cubicFit(x, y []float64) (poly3, error) {
	p := poly3{shift: (x[0] + x[len(x)-1]) / 2, scale: (x[len(x)-1] - x[0]) / 2}
	var a [4][5]float64
	for i := range x {
		u := (x[i] - p.shift) / p.scale
		pow := [7]float64{1}
		for k := 1; k < 7; k++ {
			pow[k] = pow[k-1] * u
		}
		for r := range 4 {
			for c := range 4 {
				a[r][c] += pow[r+c]
			}
			a[r][4] += pow[r] * y[i]
		}
	}
	for col := range 4 {
		piv := col
		for r := col + 1; r < 4; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		a[col], a[piv] = a[piv], a[col]
		if a[col][col] == 0 {
			return poly3{}, fmt.Errorf("%w: cubic fit is singular", ErrInvalidInput)
		}
		for r := col + 1; r < 4; r++ {
			f := a[r][col] / a[col][col]
			for c := col; c < 5; c++ {
				a[r][c] -= f * a[col][c]
			}
		}
	}
	for r := 3; r >= 0; r-- {
		s := a[r][4]
		for c := r + 1; c < 4; c++ {
			s -= a[r][c] * p.c[c]
		}
		p.c[r] = s / a[r][r]
	}
	return p, nil
}
