package hull

import (
	"fmt"
	"math"
	"sort"
)

// Point is one encode of a shot.
type Point struct {
	// Bits is the encoded size of the shot at this point. Only ratios and
	// differences matter, so bytes or bits per second of the shot work too,
	// as long as every shot uses the same unit.
	Bits float64
	// VMAF is the shot's pooled quality at this point (any metric where
	// higher is better works).
	VMAF float64
	// Label is the caller's name for the point ("1280x720 crf 27"); unused here.
	Label string
}

// Shot is one shot (or chunk) of the title and every point it was encoded at.
type Shot struct {
	// Frames weighs the shot in the title's pooled quality.
	Frames int
	Points []Point
}

func (s Shot) validate(i int) error {
	if s.Frames <= 0 {
		return fmt.Errorf("%w: shot %d has %d frames", ErrInvalidInput, i, s.Frames)
	}
	if len(s.Points) == 0 {
		return fmt.Errorf("%w: shot %d has no points", ErrInvalidInput, i)
	}
	for j, p := range s.Points {
		if !(p.Bits > 0) || math.IsInf(p.Bits, 0) || math.IsNaN(p.VMAF) || math.IsInf(p.VMAF, 0) {
			return fmt.Errorf("%w: shot %d point %d has bits %v and quality %v", ErrInvalidInput, i, j, p.Bits, p.VMAF)
		}
	}
	return nil
}

// Hull returns the indices into s.Points of the shot's upper-left convex hull
// in (log bits, VMAF), cheapest first, so with VMAF strictly rising. A point
// is left out when another costs no more and scores at least as well, or when
// it lies on or under the segment between two hull points; of equal points the
// lowest index stays. Invalid points (bits ≤ 0, NaN) are never on the hull.
func (s Shot) Hull() []int {
	return upperHull(s.Points, s.order(), func(p Point) float64 { return math.Log(p.Bits) })
}

// order returns the indices of the valid points by bits ascending, VMAF
// descending, index ascending, which makes every tie deterministic.
func (s Shot) order() []int {
	idx := make([]int, 0, len(s.Points))
	for i, p := range s.Points {
		if p.Bits > 0 && !math.IsInf(p.Bits, 0) && !math.IsNaN(p.VMAF) && !math.IsInf(p.VMAF, 0) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		pa, pb := s.Points[idx[a]], s.Points[idx[b]]
		if pa.Bits != pb.Bits {
			return pa.Bits < pb.Bits
		}
		return pa.VMAF > pb.VMAF
	})
	return idx
}

// upperHull keeps, of the points in idx (sorted by x ascending), the Pareto
// front (quality strictly rising) and then its upper convex hull in (x(p), VMAF).
func upperHull(pts []Point, idx []int, x func(Point) float64) []int {
	var h []int
	for _, i := range idx {
		if len(h) > 0 && pts[i].VMAF <= pts[h[len(h)-1]].VMAF {
			continue // costs at least as much, scores no better
		}
		for len(h) >= 2 {
			a, b, c := pts[h[len(h)-2]], pts[h[len(h)-1]], pts[i]
			cross := (x(b)-x(a))*(c.VMAF-a.VMAF) - (b.VMAF-a.VMAF)*(x(c)-x(a))
			if cross < 0 {
				break // b is above the segment a→c
			}
			h = h[:len(h)-1]
		}
		h = append(h, i)
	}
	return h
}

// TitlePoint is one point of the title hull: a choice of point per shot,
// kept as the moves from the point before (Title.Choice rebuilds it), so a
// hull of thousands of shots and points stays small.
type TitlePoint struct {
	// Lambda is the slope at which this point is reached; it is the choice
	// for every λ in [next point's Lambda, Lambda). +Inf for the first point.
	// Units: frames·VMAF per bit.
	Lambda float64
	// Moves are the shots that step up their hull here, in shot order.
	Moves []Move
	// Bits is the sum of the chosen points' bits.
	Bits float64
}

// Move is one shot taking another of its points.
type Move struct {
	Shot int
	To   int // index into Shots[Shot].Points
}

// Title is the title hull: every λ-optimal combination of shot points,
// cheapest first, with bits rising and pooled quality rising.
type Title struct {
	Shots  []Shot
	Points []TitlePoint
	// Frames is the sum of the shots' frames.
	Frames int
	// first is the choice of Points[0]: every shot at its cheapest hull point.
	first []int
	// hulls are the shots' hulls (Shot.Hull), for Capped.
	hulls [][]int
}

// Choice returns the choice of title point k: Choice(k)[i] indexes
// Shots[i].Points.
func (t Title) Choice(k int) []int {
	c := append([]int(nil), t.first...)
	for _, p := range t.Points[1 : k+1] {
		for _, m := range p.Moves {
			c[m.Shot] = m.To
		}
	}
	return c
}

// step is one move of one shot up its λ-hull.
type step struct {
	slope float64
	shot  int
	to    int // index into Points
}

// Sweep builds the title hull of shots. It fails only on invalid input.
func Sweep(shots []Shot) (Title, error) {
	if len(shots) == 0 {
		return Title{}, fmt.Errorf("%w: no shots", ErrInvalidInput)
	}
	t := Title{Shots: shots, first: make([]int, len(shots)), hulls: make([][]int, len(shots))}
	var steps []step
	first := TitlePoint{Lambda: math.Inf(1)}
	for i, s := range shots {
		if err := s.validate(i); err != nil {
			return Title{}, err
		}
		t.Frames += s.Frames
		t.hulls[i] = s.Hull()
		l := lambdaHull(s, t.hulls[i])
		t.first[i] = l[0]
		first.Bits += s.Points[l[0]].Bits
		for k := 1; k < len(l); k++ {
			a, b := s.Points[l[k-1]], s.Points[l[k]]
			steps = append(steps, step{slope: float64(s.Frames) * (b.VMAF - a.VMAF) / (b.Bits - a.Bits), shot: i, to: l[k]})
		}
	}
	// Steepest slope first; a shot's own steps are in that order already, so
	// a stable sort by slope alone keeps them in order and ties between shots
	// in shot order (they are applied together anyway).
	sort.SliceStable(steps, func(a, b int) bool { return steps[a].slope > steps[b].slope })
	t.Points = append(t.Points, first)
	cur := append([]int(nil), t.first...)
	bits := first.Bits
	for k := 0; k < len(steps); {
		next := TitlePoint{Lambda: steps[k].slope}
		for ; k < len(steps) && steps[k].slope == next.Lambda; k++ {
			st := steps[k]
			next.Moves = append(next.Moves, Move{Shot: st.shot, To: st.to})
			bits += shots[st.shot].Points[st.to].Bits - shots[st.shot].Points[cur[st.shot]].Bits
			cur[st.shot] = st.to
		}
		next.Bits = bits
		t.Points = append(t.Points, next)
	}
	return t, nil
}

// lambdaHull returns the points of the shot's hull h that some λ ≥ 0
// selects: their upper hull in linear bits, cheapest first.
func lambdaHull(s Shot, h []int) []int {
	return upperHull(s.Points, h, func(p Point) float64 { return p.Bits })
}

// Select returns each shot's choice at slope lambda: the hull point that
// maximises Frames·VMAF − lambda·Bits, the cheaper one on a tie. It agrees
// with the title point of Sweep whose λ range holds lambda.
func Select(shots []Shot, lambda float64) ([]int, error) {
	out := make([]int, len(shots))
	for i, s := range shots {
		if err := s.validate(i); err != nil {
			return nil, err
		}
		best, bestV := -1, 0.0
		for _, j := range s.Hull() { // cheapest first: a tie keeps the cheaper
			p := s.Points[j]
			v := float64(s.Frames)*p.VMAF - lambda*p.Bits
			if best < 0 || v > bestV {
				best, bestV = j, v
			}
		}
		out[i] = best
	}
	return out, nil
}
