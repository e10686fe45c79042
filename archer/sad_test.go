package archer

import (
	"math/rand/v2"
	"testing"
)

func TestSAD(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 31, 32, 33, 100, 480 * 270} {
		for _, simd := range []bool{false, true} {
			cur, prev := make([]byte, n), make([]byte, n)
			for i := range cur {
				cur[i], prev[i] = byte(rng.IntN(256)), byte(rng.IntN(256))
			}
			if n == 100 { // the extremes
				for i := range cur {
					cur[i], prev[i] = 255*byte(i%2), 255*byte(1-i%2)
				}
			}
			var want uint64
			for i := range cur {
				want += uint64(max(cur[i], prev[i]) - min(cur[i], prev[i]))
			}
			if got := sad(cur, prev, simd); got != want {
				t.Errorf("n=%d simd=%v: sad %d, want %d", n, simd, got, want)
			}
		}
	}
}
