package bdrate

import (
	"encoding/binary"
	"math"
	"testing"
)

func pointsFromBytes(b []byte) []Point {
	var p []Point
	for len(b) >= 8 && len(p) < 12 {
		p = append(p, Point{Rate: float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), Quality: float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4:])))})
		b = b[8:]
	}
	return p
}

func pointsToBytes(p []Point) []byte {
	var b []byte
	for _, q := range p {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(q.Rate)))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(q.Quality)))
	}
	return b
}

// FuzzRate: never a panic, and a result is a finite number; the reference
// cases are the seeds.
func FuzzRate(f *testing.F) {
	for _, c := range cases {
		f.Add(pointsToBytes(c[0]), pointsToBytes(c[1]))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		pa, pb := pointsFromBytes(a), pointsFromBytes(b)
		for _, m := range []Method{PCHIP, Cubic} {
			if r, err := Rate(pa, pb, m); err == nil && (math.IsNaN(r) || math.IsInf(r, 0) || r <= -100) {
				t.Fatalf("%v: BD-rate %v", m, r)
			}
			if q, err := Quality(pa, pb, m); err == nil && (math.IsNaN(q) || math.IsInf(q, 0)) {
				t.Fatalf("%v: BD-quality %v", m, q)
			}
		}
	})
}
