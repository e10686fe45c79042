package archer

import "fmt"

// SegmentSet is what CompareDefects compares: the black and frozen segments
// of one analysis, in the source's frame numbering.
type SegmentSet struct {
	Black  []Segment `json:"black,omitempty"`
	Freeze []Segment `json:"freeze,omitempty"`
}

// Segments returns a's black and freeze segments.
func (a *Analysis) Segments() SegmentSet { return SegmentSet{Black: a.Black, Freeze: a.Freeze} }

// Shift returns s with every segment moved by n frames (and n/fps
// seconds): use it to put a chunk's analysis, numbered from 0, into the
// source's numbering.
func (s SegmentSet) Shift(n int64, fps float64) SegmentSet {
	mv := func(in []Segment) []Segment {
		out := make([]Segment, len(in))
		for i, g := range in {
			g.Start += n
			g.End += n
			if fps > 0 {
				g.StartTime += float64(n) / fps
				g.EndTime += float64(n) / fps
			}
			out[i] = g
		}
		return out
	}
	return SegmentSet{Black: mv(s.Black), Freeze: mv(s.Freeze)}
}

// Defect is a black or frozen segment of an encode that its source does not have.
type Defect struct {
	Kind    string  `json:"kind"` // "black" or "freeze"
	Segment Segment `json:"segment"`
	// Uncovered is how many of the segment's frames the source's segments
	// of the same kind do not cover.
	Uncovered int64  `json:"uncovered"`
	Reason    string `json:"reason"`
}

// DefectTolerance is how many frames at each end of an encode's black or
// frozen segment may lie outside the source's (segment edges move by a frame
// or two when an encoder smooths a fade or a still).
const DefectTolerance = 2

// CompareDefects returns the black and frozen segments of encode that
// source does not explain: a segment is a defect when more than
// 2×DefectTolerance of its frames are outside every source segment of the
// same kind. Both sets must use the same frame numbering (see SegmentSet.Shift).
// The result is in order of kind (black first) then start frame; empty means
// the encode passes.
func CompareDefects(source, encode SegmentSet) []Defect {
	var out []Defect
	check := func(kind string, src, enc []Segment) {
		for _, e := range enc {
			covered := int64(0)
			for _, s := range src {
				lo, hi := max(e.Start, s.Start), min(e.End, s.End)
				if hi > lo {
					covered += hi - lo
				}
			}
			un := (e.End - e.Start) - covered
			if un <= 2*DefectTolerance {
				continue
			}
			what := "black"
			if kind == Freeze {
				what = "frozen"
			}
			out = append(out, Defect{Kind: kind, Segment: e, Uncovered: un, Reason: fmt.Sprintf(
				"encode is %s for %.2f s at %.2f-%.2f s (frames %d-%d), %d frames of it not %s in the source",
				what, e.Duration, e.StartTime, e.EndTime, e.Start, e.End-1, un, what)})
		}
	}
	check(Black, source.Black, encode.Black)
	check(Freeze, source.Freeze, encode.Freeze)
	return out
}
