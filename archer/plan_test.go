package archer

import (
	"reflect"
	"testing"
)

var planCases = []struct {
	name           string
	cuts           []int64
	total          int64
	fps            float64
	minSec, maxSec float64
	want           []ChunkSpan
}{
	{"no cuts: fixed length", nil, 250, 25, 2, 4, []ChunkSpan{{0, 0, 100, false, false}, {1, 100, 200, false, false}, {2, 200, 250, false, false}}},
	{"cuts inside the window", []int64{60, 130, 170, 240}, 250, 25, 2, 4, []ChunkSpan{{0, 0, 60, false, false}, {1, 60, 130, true, false}, {2, 130, 200, true, false}, {3, 200, 250, false, false}}},
	{"latest cut wins", []int64{55, 70, 95}, 150, 25, 2, 4, []ChunkSpan{{0, 0, 95, false, false}, {1, 95, 150, true, false}}},
	{"cut too early is skipped", []int64{10, 30}, 150, 25, 2, 4, []ChunkSpan{{0, 0, 100, false, false}, {1, 100, 150, false, false}}},
	{"short remainder avoided", nil, 210, 25, 2, 4, []ChunkSpan{{0, 0, 100, false, false}, {1, 100, 160, false, false}, {2, 160, 210, false, false}}},
	{"everything fits", []int64{20}, 80, 25, 2, 4, []ChunkSpan{{0, 0, 80, false, false}}},
	{"unsorted, out-of-range cuts", []int64{400, 60, -3, 0, 60}, 150, 25, 2, 4, []ChunkSpan{{0, 0, 60, false, false}, {1, 60, 150, true, false}}},
	{"empty", nil, 0, 25, 2, 4, nil},
	{"bad fps and max", nil, 30, 0, 0, 0, []ChunkSpan{{0, 0, 30, false, false}}},
}

func TestPlanChunks(t *testing.T) {
	for _, tc := range planCases {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanChunks(tc.cuts, tc.total, tc.fps, tc.minSec, tc.maxSec)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
			checkPlan(t, got, tc.cuts, tc.total, tc.fps, tc.minSec, tc.maxSec)
		})
	}
}

// checkPlan asserts the invariants every plan must keep.
func checkPlan(t *testing.T, got []ChunkSpan, cuts []int64, total int64, fps, minSec, maxSec float64) {
	t.Helper()
	if total <= 0 {
		if len(got) != 0 {
			t.Fatalf("total %d: %d chunks", total, len(got))
		}
		return
	}
	next := int64(0)
	for i, c := range got {
		if c.Index != i || c.Start != next || c.End <= c.Start {
			t.Fatalf("chunk %d %+v does not follow %d", i, c, next)
		}
		next = c.End
	}
	if next != total {
		t.Fatalf("chunks end at %d, want %d", next, total)
	}
}

// FuzzPlanChunks checks the invariants (contiguous cover of [0,total), no
// empty chunk, chunks no longer than maxSec) on arbitrary input; the seeds
// are the table above.
func FuzzPlanChunks(f *testing.F) {
	for _, tc := range planCases {
		var c0, c1 int64
		if len(tc.cuts) > 0 {
			c0 = tc.cuts[0]
		}
		if len(tc.cuts) > 1 {
			c1 = tc.cuts[1]
		}
		f.Add(c0, c1, tc.total, tc.fps, tc.minSec, tc.maxSec)
	}
	f.Fuzz(func(t *testing.T, c0, c1, total int64, fps, minSec, maxSec float64) {
		if total > 1e6 || fps > 1000 || minSec > 1e4 || maxSec > 1e4 || total < 0 {
			return
		}
		cuts := []int64{c0, c1, c0 + c1}
		got := PlanChunks(cuts, total, fps, minSec, maxSec)
		checkPlan(t, got, cuts, total, fps, minSec, maxSec)
	})
}

func TestCompareDefects(t *testing.T) {
	seg := func(s, e int64) Segment {
		return Segment{Start: s, End: e, StartTime: float64(s) / 25, EndTime: float64(e) / 25, Duration: float64(e-s) / 25}
	}
	source := SegmentSet{Black: []Segment{seg(100, 150)}, Freeze: []Segment{seg(300, 340)}}
	cases := []struct {
		name   string
		encode SegmentSet
		kinds  []string
	}{
		{"identical", source, nil},
		{"edges moved by two frames", SegmentSet{Black: []Segment{seg(98, 152)}, Freeze: []Segment{seg(301, 339)}}, nil},
		{"new black", SegmentSet{Black: []Segment{seg(100, 150), seg(200, 230)}}, []string{Black}},
		{"black grown", SegmentSet{Black: []Segment{seg(90, 160)}}, []string{Black}},
		{"new freeze", SegmentSet{Freeze: []Segment{seg(10, 40), seg(300, 340)}}, []string{Freeze}},
		{"both", SegmentSet{Black: []Segment{seg(0, 30)}, Freeze: []Segment{seg(500, 530)}}, []string{Black, Freeze}},
		{"freeze where the source is black", SegmentSet{Freeze: []Segment{seg(100, 150)}}, []string{Freeze}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := CompareDefects(source, tc.encode)
			var kinds []string
			for _, d := range got {
				kinds = append(kinds, d.Kind)
				if d.Reason == "" || d.Uncovered <= 2*DefectTolerance {
					t.Errorf("defect %+v lacks a reason or is within tolerance", d)
				}
			}
			if !reflect.DeepEqual(kinds, tc.kinds) {
				t.Errorf("defects %v, want kinds %v", got, tc.kinds)
			}
		})
	}
	shifted := SegmentSet{Black: []Segment{seg(0, 50)}}.Shift(100, 25)
	if d := CompareDefects(source, shifted); len(d) != 0 || shifted.Black[0].StartTime != 4 {
		t.Errorf("a chunk numbered from 0, shifted to 100: %v %+v", d, shifted)
	}
}
