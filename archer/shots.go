package archer

import (
	"math"
	"slices"
	"sort"
)

// Shot boundary detection over the merged frame sequence.
//
// Each frame carries a signature: luma and chroma histograms and a 32×18
// area-averaged luma grid. The distance between two frames mixes the
// histogram distance (robust to motion) with the grid distance (sees
// changes that keep the histogram).
//
//   - Hard cut at i: the distance from i-1 to i passes CutThreshold and
//     stands out from its neighbourhood (three times the local median, unless
//     the histogram alone changed by twice the threshold), and the picture
//     does not come back within three frames (that is a flash).
//   - Fade: a run of black frames with a monotonic luma ramp into it or out
//     of it (at least three frames), with pictures on both sides.
//   - Dissolve: a window whose ends differ by GradualThreshold (histograms
//     included) and whose inner frames lie on the straight line between the
//     ends' grids (each is a blend of the two), with no single step carrying
//     most of the change, and changing faster than the frames around it.
//     Fast motion changes the grid in ways no blend explains; continuous
//     change (a moving gradient) goes on at the same pace outside.

const (
	cutWindow    = 8   // frames each side for the local median
	cutRatio     = 3.0 // a cut's distance over the local median
	flashFrames  = 3   // how long a flash may last
	fadeMinRamp  = 3   // frames of luma ramp that make a fade
	blendMaxErr  = 0.30
	blendMaxStep = 0.5 // no step may carry more than this share of a dissolve
	// dissolveMinHist is the share of GradualThreshold the histograms of a
	// dissolve's ends must differ by.
	dissolveMinHist = 0.6
	// dissolveRate is how much faster a dissolve's frames change than
	// dissolveMinContext or more frames on each side of it.
	dissolveRate       = 1.5
	dissolveMinContext = 5
)

var dissolveLengths = []int{6, 10, 14, 20, 28, 40, 56}

func histDist(a, b []uint16) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	group := func(lo, hi int) float64 {
		var s int
		for i := lo; i < hi; i++ {
			d := int(a[i]) - int(b[i])
			if d < 0 {
				d = -d
			}
			s += d
		}
		return float64(s) / (2 * 65535)
	}
	y := group(0, histY)
	if len(a) < histY+2*histC {
		return min(1, y)
	}
	return min(1, 0.5*y+0.25*group(histY, histY+histC)+0.25*group(histY+histC, histY+2*histC))
}

func gridDist(a, b []byte) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var s int
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		s += d
	}
	return float64(s) / float64(len(a)) / 255
}

// sigDist is the distance (0..1) between two frames' signatures.
func sigDist(a, b *FrameRecord) float64 {
	return min(1, 0.5*histDist(a.Hist, b.Hist)+0.5*min(1, 4*gridDist(a.Grid, b.Grid)))
}

func detectBoundaries(c Config, frames []FrameRecord, fps float64) []Boundary {
	n := len(frames)
	if n < 2 {
		return nil
	}
	d := make([]float64, n) // d[i]: distance from frame i-1 to i
	for i := 1; i < n; i++ {
		d[i] = sigDist(&frames[i-1], &frames[i])
	}
	black := func(i int) bool { return frames[i].BlackRatio >= c.BlackRatio }
	idx := func(i int) int64 { return frames[i].Index }

	var out []Boundary
	// Hard cuts.
	isCut := make([]bool, n)
	var nb []float64
	for i := 1; i < n; i++ {
		if d[i] < c.CutThreshold {
			continue
		}
		nb = nb[:0]
		for j := max(1, i-cutWindow); j <= min(n-1, i+cutWindow); j++ {
			if j != i {
				nb = append(nb, d[j])
			}
		}
		// Motion keeps the histogram: a step that changes it this much is
		// a cut however busy the neighbourhood.
		strong := histDist(frames[i-1].Hist, frames[i].Hist) >= 2*c.CutThreshold
		if len(nb) > 0 && !strong {
			slices.Sort(nb)
			if d[i] < cutRatio*nb[len(nb)/2] {
				continue
			}
		}
		// A flash: the picture after a short burst matches the one before
		// it. Seen from the burst's first frame (i-1 matches i+k) or from
		// the frame after it (i matches i-1-k).
		flash := false
		for k := 1; k <= flashFrames && !flash; k++ {
			flash = i+k < n && sigDist(&frames[i-1], &frames[i+k]) < c.CutThreshold/2 ||
				i-1-k >= 0 && sigDist(&frames[i-1-k], &frames[i]) < c.CutThreshold/2
		}
		if flash {
			continue
		}
		isCut[i] = true
		out = append(out, Boundary{Frame: idx(i), Start: idx(i), End: idx(i) + 1, Kind: KindCut, Confidence: min(1, d[i]/(2*c.CutThreshold))})
	}

	// Fades through black.
	var gradual []Boundary
	for i := 0; i < n; {
		if !black(i) {
			i++
			continue
		}
		bs := i
		for i < n && black(i) {
			i++
		}
		be := i
		if bs == 0 || be == n {
			continue // no picture on one side: not a boundary between shots
		}
		out0 := bs
		for out0 > 0 && frames[out0-1].Luma > frames[out0].Luma+0.05 && !black(out0-1) {
			out0--
		}
		in1 := be
		for in1 < n && frames[in1].Luma > frames[in1-1].Luma+0.05 {
			in1++
		}
		rampOut, rampIn := bs-out0, in1-be
		if rampOut < fadeMinRamp && rampIn < fadeMinRamp {
			continue // hard cuts into and out of black: the cut detector has them
		}
		conf := min(1, float64(max(rampOut, rampIn))/float64(2*fadeMinRamp+2))
		gradual = append(gradual, Boundary{Frame: idx((bs + be) / 2), Start: idx(out0), End: idx(in1-1) + 1, Kind: KindFade, Confidence: conf})
	}

	// Dissolves: windows whose inner frames are blends of the ends.
	type win struct {
		s, e int // trimmed transition frames [s, e)
		conf float64
	}
	var wins []win
	grid := func(i int) []byte { return frames[i].Grid }
	for _, L := range dissolveLengths {
		for s := 0; s+L < n; s++ {
			e := s + L
			// Both the picture and its histogram must change: motion moves
			// the picture but keeps the histogram.
			total := sigDist(&frames[s], &frames[e])
			if total < c.GradualThreshold || histDist(frames[s].Hist, frames[e].Hist) < dissolveMinHist*c.GradualThreshold {
				continue
			}
			ok := true
			var sum, maxStep float64
			for m := s; m <= e; m++ {
				if black(m) || (m > s && isCut[m]) {
					ok = false
					break
				}
				if m > s {
					sum += d[m]
					maxStep = max(maxStep, d[m])
				}
			}
			if !ok || maxStep > blendMaxStep*total || sum < total {
				continue
			}
			alpha, fitErr, good := blendFit(grid(s), grid(e), grid, s, e, blendMaxErr)
			if !good || fitErr > blendMaxErr {
				continue
			}
			ts, te := s, e+1
			for m := s + 1; m < e; m++ {
				if alpha[m-s] <= 0.05 {
					ts = m
				}
			}
			for m := e - 1; m > s; m-- {
				if alpha[m-s] >= 0.95 {
					te = m + 1
				}
			}
			if te-ts < 3 || !standsOut(d, isCut, black, ts, te, L) {
				continue
			}
			conf := (1 - fitErr/blendMaxErr) * min(1, total/(2*c.GradualThreshold))
			wins = append(wins, win{s: ts, e: te, conf: max(0.05, min(1, 0.5+conf))})
		}
	}
	sort.Slice(wins, func(i, j int) bool { return wins[i].s < wins[j].s || wins[i].s == wins[j].s && wins[i].e < wins[j].e })
	for k := 0; k < len(wins); {
		cur := wins[k]
		k++
		for k < len(wins) && wins[k].s < cur.e {
			cur.e = max(cur.e, wins[k].e)
			cur.conf = max(cur.conf, wins[k].conf)
			k++
		}
		gradual = append(gradual, Boundary{Frame: idx((cur.s + cur.e) / 2), Start: idx(cur.s), End: idx(cur.e-1) + 1, Kind: KindDissolve, Confidence: cur.conf})
	}

	// Gradual transitions own the cuts inside them (a fade's first black
	// frame, a dissolve's steepest step).
	var merged []Boundary
	for _, b := range out {
		inside := false
		for _, g := range gradual {
			if b.Frame >= g.Start-1 && b.Frame <= g.End {
				inside = true
				break
			}
		}
		if !inside {
			merged = append(merged, b)
		}
	}
	// Dissolves overlapping a fade are the fade's ramps.
	for _, g := range gradual {
		if g.Kind == KindDissolve {
			overlap := false
			for _, f := range gradual {
				if f.Kind == KindFade && g.Start < f.End && f.Start < g.End {
					overlap = true
				}
			}
			if overlap {
				continue
			}
		}
		merged = append(merged, g)
	}
	sort.Slice(merged, func(i, j int) bool { return merged[i].Frame < merged[j].Frame })

	// Shots shorter than MinShotFrames: keep the stronger boundary.
	var final []Boundary
	for _, b := range merged {
		if b.Frame <= frames[0].Index {
			continue
		}
		if len(final) > 0 && b.Frame-final[len(final)-1].Frame < int64(c.MinShotFrames) {
			if b.Confidence > final[len(final)-1].Confidence {
				final[len(final)-1] = b
			}
			continue
		}
		final = append(final, b)
	}
	for i := range final {
		final[i].Time = float64(final[i].Frame) / fps
		final[i].Confidence = math.Round(final[i].Confidence*1000) / 1000
	}
	return final
}

// blendFit projects each inner frame m of (s, e) onto the line from grid a
// to grid b: alpha[m-s] is its position (0 at a, 1 at b) and the returned
// error the largest distance from the line relative to |b-a|. good is false
// when the positions do not progress from a to b, or (to save work on the
// many windows that are no blend) as soon as the error passes limit; the
// middle frame, the least blend-like in motion, is tried first.
func blendFit(a, b []byte, grid func(int) []byte, s, e int, limit float64) (alpha []float64, maxErr float64, good bool) {
	var vv float64
	v := make([]float64, len(a))
	for i := range a {
		v[i] = float64(b[i]) - float64(a[i])
		vv += v[i] * v[i]
	}
	if vv == 0 {
		return nil, 0, false
	}
	fit := func(m int) (al, err float64) {
		g := grid(m)
		var dot float64
		for i := range g {
			dot += (float64(g[i]) - float64(a[i])) * v[i]
		}
		al = dot / vv
		var r2 float64
		for i := range g {
			r := float64(g[i]) - float64(a[i]) - al*v[i]
			r2 += r * r
		}
		return al, math.Sqrt(r2 / vv)
	}
	if e-s > 2 {
		if _, err := fit((s + e) / 2); err > limit {
			return nil, err, false
		}
	}
	alpha = make([]float64, e-s+1)
	alpha[e-s] = 1
	prev := 0.0
	for m := s + 1; m < e; m++ {
		al, err := fit(m)
		maxErr = max(maxErr, err)
		if maxErr > limit || al < prev-0.15 || al < -0.15 || al > 1.15 {
			return alpha, maxErr, false
		}
		alpha[m-s] = al
		prev = max(prev, al)
	}
	return alpha, maxErr, true
}

// standsOut reports whether the frames [ts, te) change faster than the
// stable stretches around them: a dissolve sits between two shots that
// change more slowly than the blend does, while continuous change (a moving
// gradient, a slow zoom) goes on at the same pace on both sides. Each side
// needs at least dissolveMinContext frames before the next cut or black.
func standsOut(d []float64, isCut []bool, black func(int) bool, ts, te, L int) bool {
	n := len(d)
	var in float64
	for m := ts + 1; m < te; m++ {
		in += d[m]
	}
	in /= float64(te - ts - 1)
	k := max(dissolveMinContext, L/2)
	var before, after float64
	nb, na := 0, 0
	for j := ts; j > 0 && nb < k && !isCut[j] && !black(j-1); j-- {
		before += d[j]
		nb++
	}
	for j := te; j < n && na < k && !isCut[j] && !black(j); j++ {
		after += d[j]
		na++
	}
	if nb < dissolveMinContext || na < dissolveMinContext {
		return false
	}
	return in >= dissolveRate*max(before/float64(nb), after/float64(na))
}
