package vmaf

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVIFStatsAVX512MatchesGo holds the statistics kernel to the Go loop of
// vifStatsRow on rows of random sigmas drawn around every branch: sigma1
// either side of sigmaNsq and up to the int32 limit (where sigmaNsq+sigma1
// wraps), negative and zero sigma2 and sigma12, and gains above and below
// both enhancement gain limits; lengths that are and are not multiples of 8.
func TestVIFStatsAVX512MatchesGo(t *testing.T) {
	if !vifStatsSIMD {
		t.Skip("no AVX-512 F/CD/DQ/VL on this CPU")
	}
	defer func() { vifStatsSIMD = true }()
	rng := rand.New(rand.NewPCG(9, 10))
	const nsq = 65536 << 1
	pick := func(vals ...int32) int32 { return vals[rng.IntN(len(vals))] }
	for round := 0; round < 300; round++ {
		n := []int{8, 16, 13, 1920, 1927}[round%5]
		s1, s2, s12 := make([]int32, n), make([]int32, n), make([]int32, n)
		for j := range s1 {
			s1[j] = pick(nsq-1, nsq, nsq+1, rng.Int32N(nsq), nsq+rng.Int32N(1<<20), rng.Int32(), -rng.Int32N(1<<20), math.MaxInt32, math.MaxInt32-nsq+1)
			s2[j] = pick(0, -1, rng.Int32N(1<<20), rng.Int32(), -rng.Int32())
			s12[j] = pick(0, -1, 1, rng.Int32N(1<<20), int32(int64(s1[j])*int64(rng.IntN(300))/100%math.MaxInt32), -rng.Int32())
		}
		for _, egl := range []float64{defaultEnhnGainLimit, 1} {
			var fast, slow vifAccum
			vifStatsSIMD = true
			vifStatsRow(s1, s2, s12, egl, &fast)
			vifStatsSIMD = false
			vifStatsRow(s1, s2, s12, egl, &slow)
			if fast != slow {
				t.Fatalf("round %d n=%d egl=%g: kernel %+v, Go %+v", round, n, egl, fast, slow)
			}
		}
	}
}
