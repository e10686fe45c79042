package vmaf

import (
	"math/rand/v2"
	"testing"

	"github.com/reelmedia/reel/media"
)

// vifKernelInputs are the 8-bit sample patterns the AVX2 kernels are held
// to: random, the extremes (all 255 gives the largest sums), and a 0/255
// checkerboard (the largest variances).
var vifKernelInputs = []struct {
	name string
	pix  func(r *rand.Rand, i, j int) uint16
}{
	{"random", func(r *rand.Rand, i, j int) uint16 { return uint16(r.IntN(256)) }},
	{"white", func(r *rand.Rand, i, j int) uint16 { return 255 }},
	{"black", func(r *rand.Rand, i, j int) uint16 { return 0 }},
	{"checker", func(r *rand.Rand, i, j int) uint16 { return uint16(255 * ((i + j) & 1)) }},
	{"stripes", func(r *rand.Rand, i, j int) uint16 { return uint16(255 * (j / 3 & 1)) }},
}

// TestVIFAVX2KernelsMatchGo runs the AVX2 vertical and horizontal kernels
// and the Go passes on the same rows and compares every output integer.
func TestVIFAVX2KernelsMatchGo(t *testing.T) {
	if !vifAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, in := range vifKernelInputs {
		for _, w := range []int{8, 16, 24, 136, 1920} {
			var src [34][]uint16
			for k := range src {
				src[k] = make([]uint16, w)
				for j := range src[k] {
					src[k][j] = in.pix(rng, k%17, j)
				}
			}
			var v, g vifWorker
			v.grow(w)
			g.grow(w)
			rows := src
			vifVert17AVX2(&rows, w, &v.mu1[8], &v.mu2[8], &v.xx[8], &v.yy[8], &v.xy[8])
			rows = src
			vifVert17(&rows, w, 128, 8, 0, 0, g.mu1[8:], g.mu2[8:], g.xx[8:], g.yy[8:], g.xy[8:])
			for j := 8; j < 8+w; j++ {
				if v.mu1[j] != g.mu1[j] || v.mu2[j] != g.mu2[j] || v.xx[j] != g.xx[j] || v.yy[j] != g.yy[j] || v.xy[j] != g.xy[j] {
					t.Fatalf("%s w=%d column %d: vertical AVX2 %d %d %d %d %d, Go %d %d %d %d %d", in.name, w, j-8,
						v.mu1[j], v.mu2[j], v.xx[j], v.yy[j], v.xy[j], g.mu1[j], g.mu2[j], g.xx[j], g.yy[j], g.xy[j])
				}
			}
			// Horizontal, on padded rows of arbitrary values within the
			// ranges a vertical pass can produce (the paddings too).
			for j := range g.mu1 {
				g.mu1[j] = vifRandIn(rng, in.name, j, 65280)
				g.mu2[j] = vifRandIn(rng, in.name, j+1, 65280)
				g.xx[j] = vifRandIn(rng, in.name, j, 4261478400)
				g.yy[j] = vifRandIn(rng, in.name, j+1, 4261478400)
				g.xy[j] = vifRandIn(rng, in.name, j, 4261478400)
			}
			vifHoriz17AVX2(&g.mu1[0], &g.mu2[0], &g.xx[0], &g.yy[0], &g.xy[0], w, &g.s1[0], &g.s2[0], &g.s12[0])
			for j := 0; j < w; j++ {
				m1, m2, sxx, syy, sxy := vifHoriz(vifFilters[0], g.mu1, g.mu2, g.xx, g.yy, g.xy, j)
				mu1sq := uint32((uint64(m1)*uint64(m1) + 1<<31) >> 32)
				mu2sq := uint32((uint64(m2)*uint64(m2) + 1<<31) >> 32)
				mu12 := uint32((uint64(m1)*uint64(m2) + 1<<31) >> 32)
				s1 := int32(uint32((sxx+32768)>>16) - mu1sq)
				s2 := int32(uint32((syy+32768)>>16) - mu2sq)
				s12 := int32(uint32((sxy+32768)>>16) - mu12)
				if g.s1[j] != s1 || g.s2[j] != s2 || g.s12[j] != s12 {
					t.Fatalf("%s w=%d column %d: horizontal AVX2 %d %d %d, Go %d %d %d", in.name, w, j,
						g.s1[j], g.s2[j], g.s12[j], s1, s2, s12)
				}
			}
		}
	}
}

// vifRandIn returns a value in [0, max] shaped like the named input: the
// maximum for "white", 0 for "black", alternating for "checker" and
// "stripes", random otherwise.
func vifRandIn(rng *rand.Rand, name string, j int, max uint32) uint32 {
	switch name {
	case "white":
		return max
	case "black":
		return 0
	case "checker", "stripes":
		return max * uint32(j&1)
	}
	return uint32(rng.Int64N(int64(max) + 1))
}

// TestVIFAVX2MatchesGo computes whole frames with and without the AVX2
// kernels, at widths that are and are not multiples of 8.
func TestVIFAVX2MatchesGo(t *testing.T) {
	if !vifAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	f := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	for _, size := range [][2]int{{131, 77}, {64, 36}, {200, 40}, {36, 36}, {45, 37}} {
		for _, dist := range []int{0, 3, 7} {
			var r, d luma
			if err := lumaOf(synthFrame(size[0], size[1], f, 1, 0), &r); err != nil {
				t.Fatal(err)
			}
			if err := lumaOf(synthFrame(size[0], size[1], f, 1, dist), &d); err != nil {
				t.Fatal(err)
			}
			fast := (&vifWorker{}).compute(&r, &d, defaultEnhnGainLimit)
			vifAVX2 = false
			slow := (&vifWorker{}).compute(&r, &d, defaultEnhnGainLimit)
			vifAVX2 = true
			if fast != slow {
				t.Errorf("%dx%d distortion %d: AVX2 %v, Go %v", size[0], size[1], dist, fast, slow)
			}
		}
	}
}
