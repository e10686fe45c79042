package vmaf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/reelmedia/reel/media"
)

// The MS-SSIM kernels (msssim_amd64.s, msssim_amd64_filters.s) against the Go
// loops they replace, output by output, bit for bit.

func needAVX512(t *testing.T) {
	t.Helper()
	if !ssimAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
}

// forEachMSSSIMKernel runs f with each set of MS-SSIM filter kernels the
// CPU can run: "avx512" and "avx2" (as on a CPU without AVX-512).
func forEachMSSSIMKernel(t *testing.T, f func(t *testing.T, kernel string)) {
	for _, kernel := range ssimKernels(t) {
		t.Run(kernel, func(t *testing.T) {
			defer useSSIMKernel(kernel)()
			f(t, kernel)
		})
	}
}

// floatImage is a w×h float image of the kind named: pixel values, signed
// values (decimated scales go below zero), tiny or huge magnitudes.
func floatImage(rng *rand.Rand, kind string, w, h int) []float32 {
	img := make([]float32, w*h)
	for i := range img {
		switch kind {
		case "pixels":
			img[i] = float32(rng.IntN(256))
		case "flat":
			img[i] = 17
		case "signed":
			img[i] = (rng.Float32() - 0.3) * 300
		case "tiny":
			img[i] = (rng.Float32() - 0.5) * 1e-30
		case "huge":
			img[i] = (rng.Float32() - 0.5) * 1e18
		}
	}
	return img
}

var floatKinds = []string{"pixels", "flat", "signed", "tiny", "huge"}

func sameFloats(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: output %d is %g (%#x), Go loop %g (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestHorizKernelMatchesGo holds ssimHorizAVX512 and ssimHorizAVX2 (through
// horizKernel; their 8-bit versions through horiz8Kernel) to
// convolve's horizontal Go loop on rows around its 256- and 64-output
// chunks.
func TestHorizKernelMatchesGo(t *testing.T) {
	forEachMSSSIMKernel(t, testHorizKernel)
}

func testHorizKernel(t *testing.T, _ string) {
	rng := rand.New(rand.NewPCG(11, 12))
	buf := make([]float64, horizBuf)
	for _, kind := range floatKinds {
		for _, n := range []int{64, 65, 100, 127, 128, 255, 256, 257, 300, 511, 512, 575, 1910} {
			src := floatImage(rng, kind, n+gaussLen-1, 1)
			want := make([]float32, n)
			for x := range want {
				p := src[x : x+gaussLen]
				var sum float64
				for tap, v := range p {
					sum += float64(v * gaussWindow[tap])
				}
				want[x] = float32(sum)
			}
			ones := make([]float32, len(src))
			for i := range ones {
				ones[i] = 1
			}
			got := make([]float32, n)
			if done := horizKernel(got, src, ones, buf); done != n {
				t.Fatalf("n=%d: kernel did %d outputs", n, done)
			}
			sameFloats(t, fmt.Sprintf("%s n=%d", kind, n), got, want)
			// With the products formed in the kernel, as for ref·cmp.
			src2 := floatImage(rng, kind, n+gaussLen-1, 1)
			prod := make([]float32, len(src))
			for i := range prod {
				prod[i] = src[i] * src2[i]
			}
			for x := range want {
				var sum float64
				for tap, v := range prod[x : x+gaussLen] {
					sum += float64(v * gaussWindow[tap])
				}
				want[x] = float32(sum)
			}
			horizKernel(got, src, src2, buf)
			sameFloats(t, fmt.Sprintf("%s n=%d products", kind, n), got, want)
			if kind == "pixels" {
				// From 8-bit samples.
				b := byteRows(src, len(src), 1).b
				b2 := byteRows(src2, len(src2), 1).b
				clear(got)
				if done := horiz8Kernel(got, b, b2, buf); done != n {
					t.Fatalf("bytes n=%d: kernel did %d outputs", n, done)
				}
				sameFloats(t, fmt.Sprintf("bytes n=%d products", n), got, want)
			}
		}
	}
}

// TestVertKernelMatchesGo holds ssimVertAVX512 and ssimVertAVX2 (through
// vertStripsKernel,
// in bands and in place, as msssimCore runs it) to convolve's vertical Go
// loop.
func TestVertKernelMatchesGo(t *testing.T) {
	forEachMSSSIMKernel(t, testVertKernel)
}

func testVertKernel(t *testing.T, kernel string) {
	strip := map[string]int{"avx512": 16, "avx2": 4}[kernel]
	rng := rand.New(rand.NewPCG(13, 14))
	for _, kind := range floatKinds {
		for _, sz := range [][2]int{{16, 11}, {32, 12}, {48, 30}, {80, 33}, {160, 57}, {1910, 23}} {
			w, h := sz[0], sz[1]
			img := floatImage(rng, kind, w, h)
			want := make([]float32, w*(h-gaussLen+1))
			for y := 0; y < h-gaussLen+1; y++ {
				for x := 0; x < w; x++ {
					var sum float64
					for v := 0; v < gaussLen; v++ {
						sum += float64(img[(y+v)*w+x] * gaussWindow[v])
					}
					want[y*w+x] = float32(sum)
				}
			}
			for _, band := range []int{11, 22, 44} {
				p := append([]float32(nil), img...)
				state := make([]float64, vertStateLen(w))
				for y0 := 0; y0 < h; y0 += band {
					y1 := min(y0+band, h)
					out := max(y0-gaussLen+1, 0)
					if done := vertStripsKernel(p[out*w:], p[y0*w:], w, y0, y1, state); done != w/strip*strip {
						t.Fatalf("%dx%d: kernel did %d columns", w, h, done)
					}
				}
				// The kernel's columns; msssimCore gives the rest to ssimRows.
				for y := 0; y < h-gaussLen+1; y++ {
					sameFloats(t, fmt.Sprintf("%s %dx%d band %d row %d", kind, w, h, band, y), p[y*w:y*w+w/strip*strip], want[y*w:y*w+w/strip*strip])
				}
			}
		}
	}
}

// TestDecimateLPFMatchesGo holds decimateLPF with its kernels
// (ssimDecimAVX512 or ssimDecimAVX2, the even/odd split, ssimRows for the
// last columns) to
// decimate's Go loop, on odd and even sizes.
func TestDecimateLPFMatchesGo(t *testing.T) {
	forEachMSSSIMKernel(t, testDecimateLPF)
}

func testDecimateLPF(t *testing.T, _ string) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, kind := range floatKinds {
		for _, sz := range [][2]int{{11, 11}, {31, 17}, {32, 32}, {33, 41}, {64, 90}, {97, 101}, {321, 183}} {
			w, h := sz[0], sz[1]
			img := floatImage(rng, kind, w, h)
			sw, sh := w/2+(w&1), h/2+(h&1)
			want := make([]float32, sw*sh)
			decimate(img, w, h, 2, msssimLPF[:], 9, want)
			got := make([]float32, sw*sh)
			ws := new(workspace)
			decimateLPF(ws, lumaRows{f: img, stride: w}, w, h, got)
			sameFloats(t, fmt.Sprintf("%s %dx%d", kind, w, h), got, want)
			if kind == "pixels" {
				// From 8-bit samples, as msssimFrame decimates 8-bit frames.
				clear(got)
				decimateLPF(ws, byteRows(img, w, h), w, h, got)
				sameFloats(t, fmt.Sprintf("bytes %dx%d", w, h), got, want)
			}
		}
	}
}

// TestMSSSIMTermsMatchesGo holds msssimTermsAVX2 to ssimPixel and
// ssimCore's sums, on the corners TestSSIMTermsMatchesGo uses.
func TestMSSSIMTermsMatchesGo(t *testing.T) {
	if !ssimAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(17, 18))
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
			start := [2]float64{rng.Float64() * 100, rng.Float64() * 100}
			sums := start
			c, s := make([]float64, n), make([]float64, n)
			done := msssimTermsKernel(mu1, mu2, sq1, sq2, s12, c, s, &sums)
			if done != n/4*4 {
				t.Fatalf("n=%d: kernel did %d pixels", n, done)
			}
			want := start
			for i := 0; i < done; i++ {
				_, wc, _, wsv := ssimPixel(mu1[i], mu2[i], sq1[i], sq2[i], s12[i])
				if math.Float64bits(c[i]) != math.Float64bits(wc) || math.Float64bits(s[i]) != math.Float64bits(float64(wsv)) {
					t.Fatalf("pixel (%g %g %g %g %g): kernel c %g s %g, Go %g %g", mu1[i], mu2[i], sq1[i], sq2[i], s12[i], c[i], s[i], wc, wsv)
				}
				want[0] += wc
				want[1] += float64(wsv)
			}
			if math.Float64bits(sums[0]) != math.Float64bits(want[0]) || math.Float64bits(sums[1]) != math.Float64bits(want[1]) {
				t.Fatalf("n=%d: sums %v, Go %v", n, sums, want)
			}
		}
	}
}

// TestMSSSIMCoreMatchesGo holds msssimCore to ssimCore's contrast and
// structure means (Go loops), on images of every kind and sizes that take
// each path: fewer than 16 columns, columns left over by the strips, one
// band and many, rows long enough for the 256-output chunks.
func TestMSSSIMCoreMatchesGo(t *testing.T) {
	forEachMSSSIMKernel(t, testMSSSIMCore)
}

func testMSSSIMCore(t *testing.T, kernel string) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, kind := range floatKinds {
		for _, sz := range [][2]int{{11, 11}, {25, 14}, {26, 40}, {75, 23}, {74, 34}, {90, 100}, {300, 45}, {600, 67}} {
			w, h := sz[0], sz[1]
			ref := floatImage(rng, kind, w, h)
			cmp := floatImage(rng, kind, w, h)
			for i := range cmp {
				if rng.IntN(3) == 0 {
					cmp[i] = ref[i]
				}
			}
			var wantC, wantS float32
			func() {
				defer useSSIMKernel("")()
				_, _, wantC, wantS = ssimCore(new(workspace), ref, cmp, w, h)
			}()
			defer useSSIMKernel(kernel)()
			c, s := msssimCore(new(workspace), lumaRows{f: ref, stride: w}, lumaRows{f: cmp, stride: w}, w, h)
			if math.Float32bits(c) != math.Float32bits(wantC) || math.Float32bits(s) != math.Float32bits(wantS) {
				t.Fatalf("%s %dx%d: c %g s %g, Go loops %g %g", kind, w, h, c, s, wantC, wantS)
			}
			if kind == "pixels" {
				c, s := msssimCore(new(workspace), byteRows(ref, w, h), byteRows(cmp, w, h), w, h)
				if math.Float32bits(c) != math.Float32bits(wantC) || math.Float32bits(s) != math.Float32bits(wantS) {
					t.Fatalf("bytes %dx%d: c %g s %g, Go loops %g %g", w, h, c, s, wantC, wantS)
				}
			}
		}
	}
}

// TestMSSSIMKernelsMatchGo compares float_ms_ssim with and without the
// kernels (each set: AVX-512, and AVX2 as on a CPU without AVX-512) on
// whole 8- and 10-bit frames of sizes that take every path
// through the five scales; the scores must be the same float64.
func TestMSSSIMKernelsMatchGo(t *testing.T) {
	forEachMSSSIMKernel(t, testMSSSIMKernels)
}

func testMSSSIMKernels(t *testing.T, kernel string) {
	for _, sz := range [][2]int{{176, 176}, {177, 301}, {352, 288}, {720, 405}, {1111, 183}} {
		for _, bits := range []int{8, 10} {
			f := media.Format{Chroma: media.Chroma420, BitDepth: bits}
			ref := noiseFrame(sz[0], sz[1], f, uint64(sz[0]))
			dis := distort(ref, 20, uint64(sz[1]))
			score := func(on bool) float64 {
				defer setKernels(on)()
				if on {
					defer useSSIMKernel(kernel)()
				}
				ms, err := msssimFrame(ref, dis)
				if err != nil {
					t.Fatal(err)
				}
				return ms
			}
			want := score(false)
			if got := score(true); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%dx%d %d-bit: ms_ssim %.17g, Go loops %.17g", sz[0], sz[1], bits, got, want)
			}
		}
	}
}

// TestMSSSIMSmallKernels holds lumaBytesAVX512, ssimProductsAVX512 and
// deinterleaveAVX512 to their Go loops.
func TestMSSSIMSmallKernels(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{1, 15, 16, 17, 33, 100} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		got := make([]float32, n)
		for i := lumaBytesKernel(got, b); i < n; i++ {
			got[i] = float32(b[i])
		}
		for i := range b {
			if got[i] != float32(b[i]) {
				t.Fatalf("lumaBytes n=%d: %d is %g", n, i, got[i])
			}
		}
		for _, kind := range floatKinds {
			a, c := floatImage(rng, kind, n, 1), floatImage(rng, kind, n, 1)
			aa, cc, ac := make([]float32, n), make([]float32, n), make([]float32, n)
			done := productsKernel(a, c, aa, cc, ac)
			if done != n/16*16 {
				t.Fatalf("products n=%d: did %d", n, done)
			}
			for i := 0; i < done; i++ {
				if math.Float32bits(aa[i]) != math.Float32bits(a[i]*a[i]) || math.Float32bits(cc[i]) != math.Float32bits(c[i]*c[i]) ||
					math.Float32bits(ac[i]) != math.Float32bits(a[i]*c[i]) {
					t.Fatalf("products %s n=%d: %d differs", kind, n, i)
				}
			}
			src := floatImage(rng, kind, 2*n, 1)
			e, o := make([]float32, n), make([]float32, n)
			done = deinterleaveKernel(e, o, src)
			if done != n/16*16 {
				t.Fatalf("deinterleave n=%d: did %d", n, done)
			}
			for i := 0; i < done; i++ {
				if math.Float32bits(e[i]) != math.Float32bits(src[2*i]) || math.Float32bits(o[i]) != math.Float32bits(src[2*i+1]) {
					t.Fatalf("deinterleave n=%d: %d differs", n, i)
				}
			}
			if kind == "pixels" {
				b := byteRows(src, 2*n, 1).b
				clear(e)
				clear(o)
				if done := deinterleave8Kernel(e, o, b); done != n/16*16 {
					t.Fatalf("deinterleave8 n=%d: did %d", n, done)
				}
				for i := 0; i < done; i++ {
					if e[i] != src[2*i] || o[i] != src[2*i+1] {
						t.Fatalf("deinterleave8 n=%d: %d differs", n, i)
					}
				}
			}
		}
	}
}

// TestDeinterleaveKernels holds each kernel set's even/odd split
// (deinterleaveAVX512 or deinterleaveAVX2, and their 8-bit versions) to
// the Go loop, on lengths around their 16 or 8 pairs.
func TestDeinterleaveKernels(t *testing.T) {
	forEachMSSSIMKernel(t, func(t *testing.T, kernel string) {
		lanes := map[string]int{"avx512": 16, "avx2": 8}[kernel]
		rng := rand.New(rand.NewPCG(23, 24))
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 33, 100} {
			for _, kind := range floatKinds {
				src := floatImage(rng, kind, 2*n+1, 1)
				e, o := make([]float32, n), make([]float32, n)
				if done := deinterleaveKernel(e, o, src); done != n/lanes*lanes {
					t.Fatalf("deinterleave n=%d: did %d", n, done)
				}
				for i := 0; i < n/lanes*lanes; i++ {
					if math.Float32bits(e[i]) != math.Float32bits(src[2*i]) || math.Float32bits(o[i]) != math.Float32bits(src[2*i+1]) {
						t.Fatalf("deinterleave %s n=%d: pair %d is %g %g, want %g %g", kind, n, i, e[i], o[i], src[2*i], src[2*i+1])
					}
				}
				if kind != "pixels" {
					continue
				}
				b := byteRows(src, 2*n+1, 1).b
				clear(e)
				clear(o)
				if done := deinterleave8Kernel(e, o, b); done != n/lanes*lanes {
					t.Fatalf("deinterleave8 n=%d: did %d", n, done)
				}
				for i := 0; i < n/lanes*lanes; i++ {
					if e[i] != src[2*i] || o[i] != src[2*i+1] {
						t.Fatalf("deinterleave8 n=%d: pair %d is %g %g, want %g %g", n, i, e[i], o[i], src[2*i], src[2*i+1])
					}
				}
			}
		}
	})
}

// byteRows is a w×h image of whole numbers 0-255 as 8-bit samples, rows 7
// bytes apart more than w (as in a frame's plane).
func byteRows(img []float32, w, h int) lumaRows {
	stride := w + 7
	b := make([]byte, stride*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			b[y*stride+x] = byte(img[y*w+x])
		}
	}
	return lumaRows{b: b, stride: stride}
}
