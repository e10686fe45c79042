package vmaf

import (
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/reelmedia/reel/media"
)

// noiseFrame is a deterministic pseudo-random frame.
func noiseFrame(w, h int, f media.Format, seed uint64) *media.Frame {
	fr := media.NewFrame(w, h, f)
	r := rand.New(rand.NewPCG(seed, 1))
	maxv := 1<<f.BitDepth - 1
	for _, p := range fr.Planes {
		for y := 0; y < p.Height; y++ {
			for x := 0; x < p.Width; x++ {
				setSample(p, x, y, r.IntN(maxv+1))
			}
		}
	}
	return fr
}

// distort returns a copy of f with every sample moved by up to ±amp,
// so that SSIM's terms stay positive (uncorrelated noise can make MS-SSIM
// NaN, as it does in libvmaf).
func distort(f *media.Frame, amp int, seed uint64) *media.Frame {
	d := f.Clone()
	r := rand.New(rand.NewPCG(seed, 2))
	maxv := 1<<f.Format.BitDepth - 1
	for _, p := range d.Planes {
		for y := 0; y < p.Height; y++ {
			for x := 0; x < p.Width; x++ {
				v := p.Sample(x, y) + r.IntN(2*amp+1) - amp
				setSample(p, x, y, min(max(v, 0), maxv))
			}
		}
	}
	return d
}

func setSample(p media.Plane, x, y, v int) {
	if p.BitDepth > 8 {
		i := y*p.Stride + 2*x
		p.Pix[i] = byte(v)
		p.Pix[i+1] = byte(v >> 8)
		return
	}
	p.Pix[y*p.Stride+x] = byte(v)
}

func TestPSNRKnownValues(t *testing.T) {
	for _, depth := range []int{8, 10, 12, 16} {
		f := media.Format{Chroma: media.Chroma420, BitDepth: depth}
		ref := media.NewFrame(32, 18, f)
		dis := media.NewFrame(32, 18, f)
		// Identical frames hit the cap 6·bpc+12.
		m, err := computeExtra("psnr", ref, dis)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"psnr_y", "psnr_cb", "psnr_cr"} {
			if want := float64(6*depth + 12); m[k] != want {
				t.Errorf("%d-bit identical %s = %v, want %v", depth, k, m[k], want)
			}
		}
		// Every luma sample off by 1: mse 1, psnr = 20·log10(peak).
		for y := 0; y < 18; y++ {
			for x := 0; x < 32; x++ {
				setSample(dis.Planes[0], x, y, 1)
			}
		}
		m, _ = computeExtra("psnr", ref, dis)
		want := 20 * math.Log10(float64(int(1)<<depth-1))
		if math.Abs(m["psnr_y"]-want) > 1e-12 {
			t.Errorf("%d-bit psnr_y = %v, want %v", depth, m["psnr_y"], want)
		}
	}
}

func TestPSNROddChromaUsesFloorArea(t *testing.T) {
	// 5x3 4:2:0: FFmpeg's chroma is 3x2, libvmaf scores the top-left 2x1.
	f := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	ref, dis := media.NewFrame(5, 3, f), media.NewFrame(5, 3, f)
	setSample(dis.Planes[1], 2, 0, 200) // outside the scored area
	setSample(dis.Planes[1], 0, 1, 200) // outside too
	setSample(dis.Planes[2], 1, 0, 10)  // inside: sse 100 over 2 samples
	m, err := computeExtra("psnr", ref, dis)
	if err != nil {
		t.Fatal(err)
	}
	if m["psnr_cb"] != 60 {
		t.Errorf("psnr_cb = %v, want the 60 dB cap (differences outside the floor area)", m["psnr_cb"])
	}
	if want := 10 * math.Log10(255*255/50.0); math.Abs(m["psnr_cr"]-want) > 1e-12 {
		t.Errorf("psnr_cr = %v, want %v", m["psnr_cr"], want)
	}
}

func TestPSNRGrayHasOnlyLuma(t *testing.T) {
	f := media.Format{Chroma: media.Chroma400, BitDepth: 8}
	m, err := computeExtra("psnr", noiseFrame(16, 16, f, 1), noiseFrame(16, 16, f, 2))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m["psnr_y"] <= 0 {
		t.Fatalf("gray psnr = %v, want psnr_y only", m)
	}
}

func TestSSIMIdenticalIsOne(t *testing.T) {
	for _, f := range []media.Format{{Chroma: media.Chroma420, BitDepth: 8}, {Chroma: media.Chroma444, BitDepth: 10}} {
		a := noiseFrame(200, 180, f, 7)
		for _, feat := range []string{"ssim", "ms_ssim"} {
			m, err := computeExtra(feat, a, a.Clone())
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range m {
				if math.Abs(v-1) > 1e-6 {
					t.Errorf("%v %s of identical frames = %v, want 1", f, k, v)
				}
			}
		}
	}
}

func TestSSIMTenBitIsEightBitTimesFour(t *testing.T) {
	// libvmaf divides 10-bit samples by 4: a 10-bit frame made of 8-bit
	// samples shifted left by 2 scores exactly like the 8-bit frame.
	f8 := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	f10 := media.Format{Chroma: media.Chroma420, BitDepth: 10}
	a8, b8 := noiseFrame(180, 180, f8, 3), noiseFrame(180, 180, f8, 4)
	widen := func(src *media.Frame) *media.Frame {
		dst := media.NewFrame(src.Width, src.Height, f10)
		for i, p := range src.Planes {
			for y := 0; y < p.Height; y++ {
				for x := 0; x < p.Width; x++ {
					setSample(dst.Planes[i], x, y, p.Sample(x, y)<<2)
				}
			}
		}
		return dst
	}
	a10, b10 := widen(a8), widen(b8)
	for _, feat := range []string{"ssim", "ms_ssim"} {
		m8, err := computeExtra(feat, a8, b8)
		if err != nil {
			t.Fatal(err)
		}
		m10, err := computeExtra(feat, a10, b10)
		if err != nil {
			t.Fatal(err)
		}
		for k := range m8 {
			if m8[k] != m10[k] {
				t.Errorf("%s: 8-bit %v, 10-bit %v", k, m8[k], m10[k])
			}
		}
	}
}

// extraErrorCases are hostile or mismatched inputs; they double as the
// seeds of FuzzComputeExtra.
var extraErrorCases = []struct {
	name    string
	feature string
	w, h    int
	mutate  func(ref, dis *media.Frame) (*media.Frame, *media.Frame)
	want    error
}{
	{"unknown feature", "vif", 32, 32, nil, ErrUnknownFeature},
	{"nil distorted", "psnr", 32, 32, func(r, d *media.Frame) (*media.Frame, *media.Frame) { return r, nil }, ErrFeatureInput},
	{"size mismatch", "ssim", 32, 32, func(r, d *media.Frame) (*media.Frame, *media.Frame) {
		return r, media.NewFrame(34, 32, r.Format)
	}, ErrSizeMismatch},
	{"depth mismatch", "psnr", 32, 32, func(r, d *media.Frame) (*media.Frame, *media.Frame) {
		return r, media.NewFrame(32, 32, media.Format{Chroma: media.Chroma420, BitDepth: 10})
	}, ErrBitDepthMismatch},
	{"bit depth 9", "psnr", 32, 32, func(r, d *media.Frame) (*media.Frame, *media.Frame) {
		f := media.Format{Chroma: media.Chroma420, BitDepth: 9}
		return media.NewFrame(32, 32, f), media.NewFrame(32, 32, f)
	}, ErrFeatureInput},
	{"short luma buffer", "ssim", 32, 32, func(r, d *media.Frame) (*media.Frame, *media.Frame) {
		d.Planes[0].Pix = d.Planes[0].Pix[:100]
		return r, d
	}, ErrFeatureInput},
	{"missing chroma", "psnr", 32, 32, func(r, d *media.Frame) (*media.Frame, *media.Frame) {
		d.Planes = d.Planes[:1]
		return r, d
	}, ErrFeatureInput},
	{"stride too small", "psnr", 32, 32, func(r, d *media.Frame) (*media.Frame, *media.Frame) {
		r.Planes[0].Stride = 16
		return r, d
	}, ErrFeatureInput},
	{"ssim too small", "ssim", 10, 40, nil, ErrFeatureInput},
	{"ms_ssim too small", "ms_ssim", 175, 400, nil, ErrFeatureInput},
	{"empty frame", "psnr", 0, 0, nil, ErrFeatureInput},
}

func TestComputeExtraErrors(t *testing.T) {
	f := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	for _, c := range extraErrorCases {
		t.Run(c.name, func(t *testing.T) {
			ref, dis := media.NewFrame(c.w, c.h, f), media.NewFrame(c.w, c.h, f)
			if c.mutate != nil {
				ref, dis = c.mutate(ref, dis)
			}
			m, err := computeExtra(c.feature, ref, dis)
			if !errors.Is(err, c.want) || (c.want != ErrUnknownFeature && !errors.Is(err, ErrFeatureInput)) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if m != nil {
				t.Fatalf("partial result %v with error", m)
			}
		})
	}
}

func TestComputeExtraConcurrent(t *testing.T) {
	// The scorer runs frames in parallel; results must not depend on it.
	f := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	pairs := make([][2]*media.Frame, 8)
	want := make([]map[string]float64, len(pairs))
	for i := range pairs {
		ref := noiseFrame(192, 192, f, uint64(i))
		pairs[i] = [2]*media.Frame{ref, distort(ref, 20, uint64(i))}
		want[i] = map[string]float64{}
		for _, feat := range ExtraFeatures {
			m, err := computeExtra(feat, pairs[i][0], pairs[i][1])
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range m {
				want[i][k] = v
			}
		}
	}
	var wg sync.WaitGroup
	for rep := 0; rep < 3; rep++ {
		for i := range pairs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, feat := range ExtraFeatures {
					m, err := computeExtra(feat, pairs[i][0], pairs[i][1])
					if err != nil {
						t.Error(err)
						return
					}
					for k, v := range m {
						if v != want[i][k] || math.IsNaN(v) {
							t.Errorf("pair %d %s: %v concurrently, %v alone", i, k, v, want[i][k])
						}
					}
				}
			}()
		}
	}
	wg.Wait()
}

func benchExtra(b *testing.B, feature string, w, h int) {
	f := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	ref := noiseFrame(w, h, f, 1)
	dis := distort(ref, 20, 2)
	b.SetBytes(int64(w * h))
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := computeExtra(feature, ref, dis); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// benchExtraKernels runs benchExtra with the SIMD kernels, as "go" with
// the Go loops alone and as "avx2" with the kernels of a CPU without
// AVX-512, for the kernels' speed-up under the same load.
func benchExtraKernels(b *testing.B, feature string, w, h int) {
	b.Run("kernels", func(b *testing.B) { benchExtra(b, feature, w, h) })
	b.Run("go", func(b *testing.B) { defer setKernels(false)(); benchExtra(b, feature, w, h) })
	b.Run("avx2", func(b *testing.B) {
		// As on a CPU with AVX2 but not AVX-512.
		restore, ok := forceSSIMAVX2()
		defer restore()
		if !ok {
			b.Skip("no AVX2 on this CPU")
		}
		benchExtra(b, feature, w, h)
	})
}

func BenchmarkPSNR1080p(b *testing.B)   { benchExtra(b, "psnr", 1920, 1080) }
func BenchmarkSSIM1080p(b *testing.B)   { benchExtraKernels(b, "ssim", 1920, 1080) }
func BenchmarkMSSSIM1080p(b *testing.B) { benchExtraKernels(b, "ms_ssim", 1920, 1080) }
