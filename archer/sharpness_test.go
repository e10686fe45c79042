package archer

import (
	"errors"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"
)

// variance16 must give exactly the double OpenCV's meanStdDev gives (it
// replaced it), for odd and even lengths and the Laplacian's full range.
func TestVariance16MatchesOpenCV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{1, 1}, {1, 7}, {3, 5}, {270, 480}, {135, 241}} {
		m := gocv.NewMatWithSize(size[0], size[1], gocv.MatTypeCV16S)
		v, err := m.DataPtrInt16()
		if err != nil {
			t.Fatal(err)
		}
		for i := range v {
			v[i] = int16(rng.IntN(2041) - 1020)
		}
		mean, std := gocv.NewMat(), gocv.NewMat()
		gocv.MeanStdDev(m, &mean, &std)
		sd := std.GetDoubleAt(0, 0)
		if got, want := variance16(v), sd*sd; got != want {
			t.Errorf("%dx%d: variance16 %v, OpenCV %v", size[0], size[1], got, want)
		}
		m.Close()
		mean.Close()
		std.Close()
	}
	if variance16(nil) != 0 {
		t.Error("empty input must give 0")
	}
}

// variance16 is the population variance of v, computed as OpenCV's
// meanStdDev does (exact integer sums, then varianceFromSums), so the
// result is the same double.
func variance16(v []int16) float64 {
	var s0, s1, q0, q1 int64
	i := 0
	for ; i+2 <= len(v); i += 2 {
		p := v[i : i+2 : i+2]
		a, b := int64(p[0]), int64(p[1])
		s0, s1 = s0+a, s1+b
		q0, q1 = q0+a*a, q1+b*b
	}
	for _, x := range v[i:] {
		s0 += int64(x)
		q0 += int64(x) * int64(x)
	}
	return varianceFromSums(s0+s1, q0+q1, len(v))
}

// The one-pass Laplacian sums equal OpenCV's Laplacian (ksize 1, CV_16S,
// replicated borders) summed, for AVX2 and portable loops, on sizes that
// exercise the borders and the vector loop's remainders, and the sharpness
// is the same double as the OpenCV path's.
func TestLaplacianSumsMatchOpenCV(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range [][2]int{{1, 1}, {1, 7}, {7, 1}, {2, 2}, {3, 5}, {5, 17}, {4, 18}, {9, 19}, {17, 33}, {135, 241}, {270, 480}, {3, 5000}} {
		rows, cols := size[0], size[1]
		for _, pattern := range []string{"random", "extremes", "gradient"} {
			img := gocv.NewMatWithSize(rows, cols, gocv.MatTypeCV8UC1)
			pix, err := img.DataPtrUint8()
			if err != nil {
				t.Fatal(err)
			}
			for i := range pix {
				switch pattern {
				case "random":
					pix[i] = byte(rng.IntN(256))
				case "extremes": // the Laplacian's full range, ±1020
					if (i/cols+i%cols)%2 == 0 {
						pix[i] = 255
					} else {
						pix[i] = 0
					}
				case "gradient":
					pix[i] = byte(i%cols + i/cols)
				}
			}
			lap := gocv.NewMat()
			gocv.Laplacian(img, &lap, gocv.MatTypeCV16S, 1, 1, 0, gocv.BorderReplicate)
			v, err := lap.DataPtrInt16()
			if err != nil {
				t.Fatal(err)
			}
			var ws, wq int64
			for _, x := range v {
				ws += int64(x)
				wq += int64(x) * int64(x)
			}
			for _, simd := range []bool{true, false} {
				s, q, err := laplacianSums(pix, cols, cols, rows, simd)
				if err != nil {
					t.Fatal(err)
				}
				if s != ws || q != wq {
					t.Fatalf("%dx%d %s simd=%v: sums %d %d, OpenCV %d %d", rows, cols, pattern, simd, s, q, ws, wq)
				}
				if got, want := varianceFromSums(s, q, rows*cols), variance16(v); got != want {
					t.Fatalf("%dx%d %s: variance %v, OpenCV path %v", rows, cols, pattern, got, want)
				}
			}
			img.Close()
			lap.Close()
		}
	}
	if _, _, err := laplacianSums(make([]byte, 10), 4, 4, 4, true); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("short buffer: %v", err)
	}
}

func BenchmarkSharpness270p(b *testing.B) {
	const w, h = 480, 270
	img := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC1)
	defer img.Close()
	pix, _ := img.DataPtrUint8()
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range pix {
		pix[i] = byte(rng.IntN(256))
	}
	b.Run("opencv+variance16", func(b *testing.B) {
		lap := gocv.NewMat()
		defer lap.Close()
		for b.Loop() {
			gocv.Laplacian(img, &lap, gocv.MatTypeCV16S, 1, 1, 0, gocv.BorderReplicate)
			v, _ := lap.DataPtrInt16()
			variance16(v)
		}
	})
	for _, simd := range []bool{true, false} {
		name := "one-pass-avx2"
		if !simd {
			name = "one-pass-portable"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				s, q, _ := laplacianSums(pix, w, w, h, simd)
				varianceFromSums(s, q, w*h)
			}
		})
	}
}
