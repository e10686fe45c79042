package vmaf

import (
	"math/rand/v2"
	"testing"

	"github.com/reelmedia/reel/media"
)

// vifKernelInputs are the sample patterns the AVX2 kernels are held to,
// scaled to a maximum: random, the extremes (the maximum everywhere gives
// the largest sums), and alternating extremes (the largest variances).
var vifKernelInputs = []struct {
	name string
	pix  func(r *rand.Rand, i, j int, max uint32) uint32
}{
	{"random", func(r *rand.Rand, i, j int, max uint32) uint32 { return uint32(r.Int64N(int64(max) + 1)) }},
	{"max", func(r *rand.Rand, i, j int, max uint32) uint32 { return max }},
	{"zero", func(r *rand.Rand, i, j int, max uint32) uint32 { return 0 }},
	{"checker", func(r *rand.Rand, i, j int, max uint32) uint32 { return max * uint32((i+j)&1) }},
	{"stripes", func(r *rand.Rand, i, j int, max uint32) uint32 { return max * uint32(j/3&1) }},
}

// vifVertCase is one vertical kernel against its Go pass.
type vifVertCase struct {
	name   string
	fw     int
	max    uint32 // largest sample
	rnd    vifRounding
	moment bool // the kernel writes xx, yy, xy too
	avx2   func(rows *[34][]uint16, n int, rnd *vifRounding, v *vifWorker, fh int)
	goPass func(rows *[34][]uint16, n int, rnd *vifRounding, v *vifWorker, fh int)
}

var vifVertCases = []vifVertCase{
	{"vert17 8-bit", 17, 255, vifRounding{128, 8, 0, 0}, true,
		func(rows *[34][]uint16, n int, r *vifRounding, v *vifWorker, fh int) {
			vifVert17AVX2(rows, n, &v.mu1[8], &v.mu2[8], &v.xx[8], &v.yy[8], &v.xy[8])
		},
		func(rows *[34][]uint16, n int, r *vifRounding, v *vifWorker, fh int) {
			vifVert17(rows, n, uint32(r.rndMu), r.shMu, r.rndSq, r.shSq, v.mu1[8:], v.mu2[8:], v.xx[8:], v.yy[8:], v.xy[8:])
		}},
	{"wide17 10-bit", 17, 1023, vifRounding{512, 10, 8, 4}, true, vifWide17, vifGo17},
	{"wide17 12-bit", 17, 4095, vifRounding{2048, 12, 128, 8}, true, vifWide17, vifGo17},
	{"wide17 8-bit", 17, 255, vifRounding{128, 8, 0, 0}, true, vifWide17, vifGo17},
	{"wide9 scale 1", 9, 65535, vifRounding{32768, 16, 32768, 16}, true,
		func(rows *[34][]uint16, n int, r *vifRounding, v *vifWorker, fh int) {
			vifVertWide9AVX2(rows, n, r, &v.mu1[8], &v.mu2[8], &v.xx[8], &v.yy[8], &v.xy[8])
		},
		func(rows *[34][]uint16, n int, r *vifRounding, v *vifWorker, fh int) {
			vifVert9(rows, n, uint32(r.rndMu), r.shMu, r.rndSq, r.shSq, v.mu1[8:], v.mu2[8:], v.xx[8:], v.yy[8:], v.xy[8:])
		}},
	{"decimate9 8-bit", 9, 255, vifRounding{rndMu: 128, shMu: 8}, false, vifDec9, vifGoDec9},
	{"decimate9 12-bit", 9, 4095, vifRounding{rndMu: 2048, shMu: 12}, false, vifDec9, vifGoDec9},
	{"decimate9 wrap", 9, 65535, vifRounding{rndMu: 1 << 15, shMu: 16}, false, vifDec9, vifGoDec9},
}

func vifWide17(rows *[34][]uint16, n int, r *vifRounding, v *vifWorker, fh int) {
	vifVertWide17AVX2(rows, n, r, &v.mu1[8], &v.mu2[8], &v.xx[8], &v.yy[8], &v.xy[8])
}

func vifGo17(rows *[34][]uint16, n int, r *vifRounding, v *vifWorker, fh int) {
	vifVert17(rows, n, uint32(r.rndMu), r.shMu, r.rndSq, r.shSq, v.mu1[8:], v.mu2[8:], v.xx[8:], v.yy[8:], v.xy[8:])
}

func vifDec9(rows *[34][]uint16, n int, r *vifRounding, v *vifWorker, fh int) {
	vifDecimateVert9AVX2(rows, n, uint32(r.rndMu), r.shMu, &v.mu1[8], &v.mu2[8])
}

func vifGoDec9(rows *[34][]uint16, n int, r *vifRounding, v *vifWorker, fh int) {
	vifDecimateVert9(rows, n, uint32(r.rndMu), r.shMu, v.mu1[8:], v.mu2[8:])
}

// TestVIFAVX2KernelsMatchGo runs each AVX2 kernel and the Go pass it
// stands in for on the same rows and compares every output integer.
func TestVIFAVX2KernelsMatchGo(t *testing.T) {
	if !vifAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kc := range vifVertCases {
		for _, in := range vifKernelInputs {
			for _, w := range []int{8, 16, 24, 136, 1920} {
				var src [34][]uint16
				for k := range src {
					src[k] = make([]uint16, w)
					for j := range src[k] {
						src[k][j] = uint16(in.pix(rng, k%kc.fw, j, kc.max))
					}
				}
				var v, g vifWorker
				v.grow(w)
				g.grow(w)
				rows := src
				kc.avx2(&rows, w, &kc.rnd, &v, kc.fw/2)
				rows = src
				kc.goPass(&rows, w, &kc.rnd, &g, kc.fw/2)
				for j := 8; j < 8+w; j++ {
					same := v.mu1[j] == g.mu1[j] && v.mu2[j] == g.mu2[j]
					if kc.moment {
						same = same && v.xx[j] == g.xx[j] && v.yy[j] == g.yy[j] && v.xy[j] == g.xy[j]
					}
					if !same {
						t.Fatalf("%s, %s, w=%d, column %d: AVX2 %d %d %d %d %d, Go %d %d %d %d %d", kc.name, in.name, w, j-8,
							v.mu1[j], v.mu2[j], v.xx[j], v.yy[j], v.xy[j], g.mu1[j], g.mu2[j], g.xx[j], g.yy[j], g.xy[j])
					}
				}
			}
		}
	}
	// Horizontal, on padded rows of any values a vertical pass can write
	// (the paddings too), up to the largest uint32: the kernels must wrap
	// the means as Go does.
	for _, fw := range []int{17, 9} {
		for _, in := range vifKernelInputs {
			for _, max := range []uint32{65280, 4261478400, 1<<32 - 1} {
				for _, w := range []int{8, 16, 24, 136, 1920} {
					var g vifWorker
					g.grow(w)
					off := 8 - fw/2
					mu1, mu2 := g.mu1[off:], g.mu2[off:]
					xx, yy, xy := g.xx[off:], g.yy[off:], g.xy[off:]
					for j := range mu1 {
						mu1[j] = in.pix(rng, 0, j, min(max, 65535))
						mu2[j] = in.pix(rng, 1, j, min(max, 65535))
						xx[j] = in.pix(rng, 0, j, max)
						yy[j] = in.pix(rng, 1, j, max)
						xy[j] = in.pix(rng, 0, j+1, max)
					}
					if fw == 17 {
						vifHoriz17AVX2(&mu1[0], &mu2[0], &xx[0], &yy[0], &xy[0], w, &g.s1[0], &g.s2[0], &g.s12[0])
					} else {
						vifHoriz9AVX2(&mu1[0], &mu2[0], &xx[0], &yy[0], &xy[0], w, &g.s1[0], &g.s2[0], &g.s12[0])
					}
					for j := 0; j < w; j++ {
						m1, m2, sxx, syy, sxy := vifHoriz(vifFilters[map[int]int{17: 0, 9: 1}[fw]], mu1, mu2, xx, yy, xy, j)
						mu1sq := uint32((uint64(m1)*uint64(m1) + 1<<31) >> 32)
						mu2sq := uint32((uint64(m2)*uint64(m2) + 1<<31) >> 32)
						mu12 := uint32((uint64(m1)*uint64(m2) + 1<<31) >> 32)
						s1 := int32(uint32((sxx+32768)>>16) - mu1sq)
						s2 := int32(uint32((syy+32768)>>16) - mu2sq)
						s12 := int32(uint32((sxy+32768)>>16) - mu12)
						if g.s1[j] != s1 || g.s2[j] != s2 || g.s12[j] != s12 {
							t.Fatalf("horiz%d, %s, max %d, w=%d, column %d: AVX2 %d %d %d, Go %d %d %d", fw, in.name, max, w, j,
								g.s1[j], g.s2[j], g.s12[j], s1, s2, s12)
						}
					}
				}
			}
		}
	}
}

// TestVIFAVX2MatchesGo computes whole frames with and without the AVX2
// kernels, at widths that are and are not multiples of 8.
func TestVIFAVX2MatchesGo(t *testing.T) {
	if !vifAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	for _, bpc := range []int{8, 10, 12} {
		f := media.Format{Chroma: media.Chroma420, BitDepth: bpc}
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
					t.Errorf("%d-bit %dx%d distortion %d: AVX2 %v, Go %v", bpc, size[0], size[1], dist, fast, slow)
				}
			}
		}
	}
}
