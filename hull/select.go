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
	hulls := make([][]int, len(t.Shots))
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
			if hulls[i] == nil {
				hulls[i] = t.Shots[i].Hull()
			}
			to := -1
			for _, j := range hulls[i] { // VMAF rising
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

// candidates returns a rung for every title-hull point, capped when
// maxSpread > 0, leaving out points the cap cannot be met for.
func (t Title) candidates(fps float64, pool Pool, maxSpread float64) []Rung {
	var out []Rung
	for k, p := range t.Points {
		c := p.Choice
		if maxSpread > 0 {
			var ok bool
			if c, ok = t.Capped(c, maxSpread); !ok {
				continue
			}
		}
		out = append(out, Rung{Index: k, Choice: c, Bitrate: t.Bitrate(c, fps), Quality: t.Pooled(c, pool), Spread: t.Spread(c)})
	}
	return out
}

// ByBitrate picks the rung of highest pooled quality whose bitrate is at most
// maxBitrate (bits per second), the cheaper on a tie. fps converts bits to a
// bitrate; maxSpread > 0 caps the shots' quality spread (see Capped).
func ByBitrate(t Title, maxBitrate, fps float64, pool Pool, maxSpread float64) (Rung, error) {
	if !(fps > 0) || !(maxBitrate > 0) || len(t.Points) == 0 {
		return Rung{}, fmt.Errorf("%w: bitrate target %v at %v fps over %d title points", ErrInvalidInput, maxBitrate, fps, len(t.Points))
	}
	best := -1
	cands := t.candidates(fps, pool, maxSpread)
	for i, r := range cands {
		if r.Bitrate > maxBitrate {
			continue
		}
		if best < 0 || r.Quality > cands[best].Quality || (r.Quality == cands[best].Quality && r.Bitrate < cands[best].Bitrate) {
			best = i
		}
	}
	if best < 0 {
		return Rung{}, fmt.Errorf("%w: no title point at or below %.0f b/s (cap %v)", ErrUnreachable, maxBitrate, maxSpread)
	}
	return cands[best], nil
}

// ByQuality picks the cheapest rung whose pooled quality is at least target,
// the better on a tie; fps and maxSpread as for ByBitrate.
func ByQuality(t Title, target float64, pool Pool, fps, maxSpread float64) (Rung, error) {
	if !(fps > 0) || math.IsNaN(target) || len(t.Points) == 0 {
		return Rung{}, fmt.Errorf("%w: quality target %v at %v fps over %d title points", ErrInvalidInput, target, fps, len(t.Points))
	}
	best := -1
	cands := t.candidates(fps, pool, maxSpread)
	for i, r := range cands {
		if r.Quality < target {
			continue
		}
		if best < 0 || r.Bitrate < cands[best].Bitrate || (r.Bitrate == cands[best].Bitrate && r.Quality > cands[best].Quality) {
			best = i
		}
	}
	if best < 0 {
		return Rung{}, fmt.Errorf("%w: no title point reaches %s %.3f (cap %v)", ErrUnreachable, pool, target, maxSpread)
	}
	return cands[best], nil
}
