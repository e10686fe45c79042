package vmaf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/reelmedia/reel/media"
)

// ssimKernels are the SIMD variants of ssimRows this CPU can run.
func ssimKernels(t *testing.T) []string {
	var ks []string
	if ssimAVX512 {
		ks = append(ks, "avx512")
	}
	if ssimAVX2 {
		ks = append(ks, "avx2")
	}
	if len(ks) == 0 {
		t.Skip("no AVX2 or AVX-512 on this CPU")
	}
	return ks
}

// useSSIMKernel selects the widest kernel ("avx512" also runs the AVX2
// terms kernel, as on such a CPU) or none ("") and returns the restore.
func useSSIMKernel(name string) func() {
	a5, a2 := ssimAVX512, ssimAVX2
	ssimAVX512, ssimAVX2 = name == "avx512", name == "avx512" || name == "avx2"
	return func() { ssimAVX512, ssimAVX2 = a5, a2 }
}

// TestSSIMRowsMatchesGo holds each kernel to the Go loop, bit for bit, on
// the Gaussian (11 taps) and low-pass (81 taps, negative weights) filters,
// for lengths around the 64-, 16-, 8- and 4-lane blocks, on random,
// extreme and tiny inputs.
func TestSSIMRowsMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	inputs := []struct {
		name string
		v    func(i int) float32
	}{
		{"random", func(int) float32 { return rng.Float32() * 255 }},
		{"squares", func(int) float32 { return rng.Float32() * 65025 }},
		{"signed", func(int) float32 { return (rng.Float32() - 0.5) * 600 }},
		{"max", func(int) float32 { return 65025 }},
		{"checker", func(i int) float32 { return 65025 * float32(i&1) }},
		{"tiny", func(int) float32 { return (rng.Float32() - 0.5) * 1e-30 }},
		{"huge", func(int) float32 { return (rng.Float32() - 0.5) * 1e37 }},
	}
	filters := map[string][]float32{"gauss": gaussWindow[:], "lpf": msssimLPF[:]}
	for _, kernel := range ssimKernels(t) {
		for fname, k := range filters {
			for _, in := range inputs {
				for _, n := range []int{1, 3, 4, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 960, 1910} {
					stride := n + 13
					base := make([]float32, stride*len(k)+n)
					for i := range base {
						base[i] = in.v(i)
					}
					offs := make([]int, len(k))
					for i := range offs {
						offs[i] = i*stride + i%5 // rows, shifted a little
					}
					want := make([]float32, n)
					func() { defer useSSIMKernel("")(); ssimRows(want, base, offs, k) }()
					got := make([]float32, n)
					func() { defer useSSIMKernel(kernel)(); ssimRows(got, base, offs, k) }()
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s %s %s n=%d: output %d is %g, Go loop %g", kernel, fname, in.name, n, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestSSIMKernelsWholeFrames compares float_ssim and float_ms_ssim with and
// without the kernels on whole frames of odd and even sizes, 8 and 10 bits:
// the scores must be the same float64.
func TestSSIMKernelsWholeFrames(t *testing.T) {
	kernels := ssimKernels(t)
	for _, sz := range [][2]int{{176, 176}, {183, 199}, {320, 240}, {641, 359}} {
		for _, bits := range []int{8, 10} {
			f := media.Format{Chroma: media.Chroma420, BitDepth: bits}
			ref, dis := synthFrame(sz[0], sz[1], f, 1, 0), synthFrame(sz[0], sz[1], f, 1, 3)
			score := func(kernel string) (float64, float64) {
				defer useSSIMKernel(kernel)()
				s, err := ssimFrame(ref, dis)
				if err != nil {
					t.Fatal(err)
				}
				ms, err := msssimFrame(ref, dis)
				if err != nil {
					t.Fatal(err)
				}
				return s, ms
			}
			wantS, wantMS := score("")
			for _, kernel := range kernels {
				t.Run(fmt.Sprintf("%dx%d-%dbit-%s", sz[0], sz[1], bits, kernel), func(t *testing.T) {
					s, ms := score(kernel)
					if s != wantS || ms != wantMS {
						t.Fatalf("ssim %.17g ms_ssim %.17g, Go loops %.17g %.17g", s, ms, wantS, wantMS)
					}
				})
			}
		}
	}
}

// TestSSIMTermsMatchesGo holds ssimTermsAVX2 to ssimPixel, bit for bit, on
// random windows and on the corners of its branches: negative variances
// (clamped to 0), negative covariance with zero variance (s12 set to 0),
// zero means, and lengths that are not multiples of 4.
func TestSSIMTermsMatchesGo(t *testing.T) {
	if !ssimAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	pick := func(vals ...float32) float32 { return vals[rng.IntN(len(vals))] }
	for _, n := range []int{1, 3, 4, 5, 255, 256} {
		for round := 0; round < 200; round++ {
			mu1, mu2 := make([]float32, n), make([]float32, n)
			sq1, sq2, s12 := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range mu1 {
				mu1[i] = pick(0, 255, rng.Float32()*255, (rng.Float32()-0.5)*40)
				mu2[i] = pick(0, mu1[i], rng.Float32()*255, (rng.Float32()-0.5)*40)
				sq1[i] = pick(mu1[i]*mu1[i], mu1[i]*mu1[i]+rng.Float32()*900, mu1[i]*mu1[i]-rng.Float32(), 0, 65025)
				sq2[i] = pick(mu2[i]*mu2[i], mu2[i]*mu2[i]+rng.Float32()*900, mu2[i]*mu2[i]-rng.Float32(), 0)
				s12[i] = pick(mu1[i]*mu2[i], mu1[i]*mu2[i]-rng.Float32()*500, mu1[i]*mu2[i]+rng.Float32()*500, -1, 0)
			}
			l, c, lcs := make([]float64, n), make([]float64, n), make([]float64, n)
			s := make([]float32, n)
			done := ssimTermsKernel(mu1, mu2, sq1, sq2, s12, l, c, lcs, s)
			if done != n/4*4 {
				t.Fatalf("n=%d: kernel did %d pixels", n, done)
			}
			for i := 0; i < done; i++ {
				wl, wc, wlcs, ws := ssimPixel(mu1[i], mu2[i], sq1[i], sq2[i], s12[i])
				if math.Float64bits(l[i]) != math.Float64bits(wl) || math.Float64bits(c[i]) != math.Float64bits(wc) ||
					math.Float64bits(lcs[i]) != math.Float64bits(wlcs) || math.Float32bits(s[i]) != math.Float32bits(ws) {
					t.Fatalf("pixel (%g %g %g %g %g): kernel l %g c %g lcs %g s %g, Go %g %g %g %g",
						mu1[i], mu2[i], sq1[i], sq2[i], s12[i], l[i], c[i], lcs[i], s[i], wl, wc, wlcs, ws)
				}
			}
		}
	}
}
