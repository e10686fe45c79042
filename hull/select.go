package hull

import (
	"fmt"
	"math"
	"sort"
)

// Pool says how shot qualities pool into the title's; every pool weighs a
// shot by its frames.
type Pool int

const (
	// Mean is the frame-weighted arithmetic mean.
	Mean Pool = iota
	// HarmonicMean is libvmaf's harmonic mean, frame-weighted:
	// Σw / Σ(w/(q+1)) − 1 (the +1 keeps a zero score finite).
	HarmonicMean
	// Percentile5 is the lowest shot quality q such that the frames of
	// shots scoring at most q are at least 5 % of all frames (no
	// interpolation: it is always some shot's quality).
	Percentile5
)

// ParsePool reads "mean", "harmonic_mean" (or "hmean") and "p5".
func ParsePool(s string) (Pool, error) {
	switch s {
	case "mean":
		return Mean, nil
	case "harmonic_mean", "hmean":
		return HarmonicMean, nil
	case "p5", "percentile5":
		return Percentile5, nil
	}
	return 0, fmt.Errorf("%w: pool %q (want mean, harmonic_mean or p5)", ErrInvalidInput, s)
}

func (p Pool) String() string {
	switch p {
	case Mean:
		return "mean"
	case HarmonicMean:
		return "harmonic_mean"
	case Percentile5:
		return "p5"
	}
	return fmt.Sprintf("Pool(%d)", int(p))
}

// Qualities returns each shot's quality at choice.
func (t Title) Qualities(choice []int) []float64 {
	q := make([]float64, len(choice))
	for i, c := range choice {
		q[i] = t.Shots[i].Points[c].VMAF
	}
	return q
}

// Pooled pools the shot qualities of choice.
func (t Title) Pooled(choice []int, pool Pool) float64 {
	q := t.Qualities(choice)
	switch pool {
	case HarmonicMean:
		var s float64
		for i, v := range q {
			s += float64(t.Shots[i].Frames) / (v + 1)
		}
		return float64(t.Frames)/s - 1
	case Percentile5:
		idx := make([]int, len(q))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return q[idx[a]] < q[idx[b]] })
		need := 0.05 * float64(t.Frames)
		var n float64
		for _, i := range idx {
			n += float64(t.Shots[i].Frames)
			if n >= need {
				return q[i]
			}
		}
		return q[idx[len(idx)-1]]
	default:
		var s float64
		for i, v := range q {
			s += float64(t.Shots[i].Frames) * v
		}
		return s / float64(t.Frames)
	}
}

// Bitrate is the bitrate of choice in bits per second when Bits are bits
// and the title runs at fps frames per second.
func (t Title) Bitrate(choice []int, fps float64) float64 {
	var bits float64
	for i, c := range choice {
		bits += t.Shots[i].Points[c].Bits
	}
	return bits * fps / float64(t.Frames)
}

// Spread is the highest shot quality of choice less the lowest.
func (t Title) Spread(choice []int) float64 {
	q := t.Qualities(choice)
	lo, hi := q[0], q[0]
	for _, v := range q {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return hi - lo
}

// Rung is a choice of one point per shot for one ladder rung.
type Rung struct {
	// Index of the title-hull point it came from.
	Index   int
	Choice  []int
	Bitrate float64 // bits per second
	Quality float64 // pooled as asked
	Spread  float64 // highest shot quality less the lowest
}

// Capped returns choice with no two shots further apart in quality than
// maxSpread: while some shot is above the lowest quality + maxSpread, it
// drops to its highest hull point at or below that line. This only ever
// takes bits away, so a bitrate target met before is met after. It reports
// false when a shot's cheapest hull point is still too high.
func (t Title) Capped(choice []int, maxSpread float64) ([]int, bool) {
	c := append([]int(nil), choice...)
	for {
		q := t.Qualities(c)
		lo := q[0]
		for _, v := range q {
			lo = math.Min(lo, v)
		}
		moved := false
		for i, v := range q {
			if v <= lo+maxSpread {
				continue
			}
			to := -1
			for _, j := range t.hull(i) { // VMAF rising
				if t.Shots[i].Points[j].VMAF <= lo+maxSpread {
					to = j
				}
			}
			if to < 0 {
				return nil, false
			}
			c[i], moved = to, true
		}
		if !moved {
			return c, true
		}
	}
}

// hull is shot i's hull, kept from Sweep.
func (t Title) hull(i int) []int {
	if t.hulls != nil {
		return t.hulls[i]
	}
	return t.Shots[i].Hull()
}

// rung describes choice as title point k.
func (t Title) rung(k int, c []int, fps float64, pool Pool) Rung {
	return Rung{Index: k, Choice: c, Bitrate: t.Bitrate(c, fps), Quality: t.Pooled(c, pool), Spread: t.Spread(c)}
}

// capped returns a rung for every title-hull point brought within
// maxSpread, leaving out the points the cap cannot be met for. It walks the
// hull once, O(points × shots).
func (t Title) capped(fps float64, pool Pool, maxSpread float64) []Rung {
	var out []Rung
	cur := append([]int(nil), t.first...)
	for k, p := range t.Points {
		for _, m := range p.Moves {
			cur[m.Shot] = m.To
		}
		if c, ok := t.Capped(cur, maxSpread); ok {
			out = append(out, t.rung(k, c, fps, pool))
		}
	}
	return out
}

// ByBitrate picks the rung of highest pooled quality whose bitrate is at most
// maxBitrate (bits per second), the cheaper on a tie. fps converts bits to a
// bitrate; maxSpread > 0 caps the shots' quality spread (see Capped).
//
// Uncapped, bits and pooled quality both rise along the title hull, so it is
// a binary search; a cap breaks that order and costs a walk of the hull.
func ByBitrate(t Title, maxBitrate, fps float64, pool Pool, maxSpread float64) (Rung, error) {
	if !(fps > 0) || !(maxBitrate > 0) || len(t.Points) == 0 {
		return Rung{}, fmt.Errorf("%w: bitrate target %v at %v fps over %d title points", ErrInvalidInput, maxBitrate, fps, len(t.Points))
	}
	unreachable := fmt.Errorf("%w: no title point at or below %.0f b/s (cap %v)", ErrUnreachable, maxBitrate, maxSpread)
	if maxSpread <= 0 {
		rate := func(k int) float64 { return t.Points[k].Bits * fps / float64(t.Frames) }
		k := sort.Search(len(t.Points), func(k int) bool { return rate(k) > maxBitrate }) - 1
		if k < 0 {
			return Rung{}, unreachable
		}
		// The cheapest point as good as k (the 5th percentile can stay flat).
		q := t.Pooled(t.Choice(k), pool)
		k = sort.Search(k, func(j int) bool { return t.Pooled(t.Choice(j), pool) >= q })
		return t.rung(k, t.Choice(k), fps, pool), nil
	}
	best := -1
	cands := t.capped(fps, pool, maxSpread)
	for i, r := range cands {
		if r.Bitrate > maxBitrate {
			continue
		}
		if best < 0 || r.Quality > cands[best].Quality || (r.Quality == cands[best].Quality && r.Bitrate < cands[best].Bitrate) {
			best = i
		}
	}
	if best < 0 {
		return Rung{}, unreachable
	}
	return cands[best], nil
}

// ByQuality picks the cheapest rung whose pooled quality is at least target,
// the better on a tie; fps and maxSpread as for ByBitrate.
func ByQuality(t Title, target float64, pool Pool, fps, maxSpread float64) (Rung, error) {
	if !(fps > 0) || math.IsNaN(target) || len(t.Points) == 0 {
		return Rung{}, fmt.Errorf("%w: quality target %v at %v fps over %d title points", ErrInvalidInput, target, fps, len(t.Points))
	}
	unreachable := fmt.Errorf("%w: no title point reaches %s %.3f (cap %v)", ErrUnreachable, pool, target, maxSpread)
	if maxSpread <= 0 {
		k := sort.Search(len(t.Points), func(k int) bool { return t.Pooled(t.Choice(k), pool) >= target })
		if k == len(t.Points) {
			return Rung{}, unreachable
		}
		return t.rung(k, t.Choice(k), fps, pool), nil
	}
	best := -1
	cands := t.capped(fps, pool, maxSpread)
	for i, r := range cands {
		if r.Quality < target {
			continue
		}
		if best < 0 || r.Bitrate < cands[best].Bitrate || (r.Bitrate == cands[best].Bitrate && r.Quality > cands[best].Quality) {
			best = i
		}
	}
	if best < 0 {
		return Rung{}, unreachable
	}
	return cands[best], nil
}
