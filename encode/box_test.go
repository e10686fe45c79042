package encode

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelmedia/reel/media"
)

// boxMean is the definition: the k×k block's mean, rounded half up.
func boxMean(src media.Plane, x, y, k int) byte {
	sum := 0
	for j := 0; j < k; j++ {
		for i := 0; i < k; i++ {
			sum += int(src.Pix[(y*k+j)*src.Stride+x*k+i])
		}
	}
	return byte((sum + k*k/2) / (k * k))
}

func TestBoxDownMatchesMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{2, 4} {
		for _, w := range []int{1, 7, 8, 15, 16, 17, 33, 120, 480} {
			for _, simd := range []bool{false, true} {
				h := 3 + w%5
				src := media.Plane{Width: k * w, Height: k * h, Stride: k*w + 13, BitDepth: 8}
				src.Pix = make([]byte, (src.Height-1)*src.Stride+src.Width)
				for i := range src.Pix {
					src.Pix[i] = byte(rng.IntN(256))
				}
				if w == 33 { // extremes: all 255 must not overflow
					for i := range src.Pix {
						src.Pix[i] = 255
					}
				}
				dst := media.Plane{Width: w, Height: h, Stride: w + 3, BitDepth: 8}
				dst.Pix = make([]byte, (h-1)*dst.Stride+w)
				if err := boxDown(dst, src, k, simd); err != nil {
					t.Fatal(err)
				}
				for y := 0; y < h; y++ {
					for x := 0; x < w; x++ {
						if got, want := dst.Pix[y*dst.Stride+x], boxMean(src, x, y, k); got != want {
							t.Fatalf("k=%d w=%d simd=%v: (%d,%d) = %d, want %d", k, w, simd, x, y, got, want)
						}
					}
				}
			}
		}
	}
	if !boxSIMD {
		t.Log("no AVX2 here: only the portable kernel was tested")
	}
}

func TestBoxDownRejectsMismatch(t *testing.T) {
	src := media.Plane{Pix: make([]byte, 64*64), Width: 64, Height: 64, Stride: 64, BitDepth: 8}
	for _, c := range []struct {
		dst media.Plane
		k   int
	}{
		{media.Plane{Pix: make([]byte, 256), Width: 16, Height: 16, Stride: 16, BitDepth: 8}, 2},
		{media.Plane{Pix: make([]byte, 256), Width: 16, Height: 16, Stride: 16, BitDepth: 8}, 3},
		{media.Plane{Pix: make([]byte, 10), Width: 16, Height: 16, Stride: 16, BitDepth: 8}, 4},
		{media.Plane{Pix: make([]byte, 512), Width: 16, Height: 16, Stride: 16, BitDepth: 10}, 4},
	} {
		if err := boxDown(c.dst, src, c.k, true); err == nil {
			t.Errorf("k=%d dst %dx%d (%d bytes): no error", c.k, c.dst.Width, c.dst.Height, len(c.dst.Pix))
		}
	}
}

// An area downscale by 2 or 4 delivers the box means of the full-size
// decode, in every plane; another ratio still goes through swscale.
func TestDecodeAreaBox(t *testing.T) {
	in := FileInput(testMedia(t, "mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "5",
		"-c:v", "libx264", "-preset", "fast", "-pix_fmt", "yuv420p"))
	full := readAll(t, in, DecodeOptions{})
	for _, c := range []struct{ w, h, k int }{{80, 0, 4}, {0, 120, 2}} {
		scaled := readAll(t, in, DecodeOptions{Width: c.w, Height: c.h, Scaler: "area"})
		if len(scaled) != len(full) {
			t.Fatalf("%d frames scaled, %d full", len(scaled), len(full))
		}
		for n, f := range scaled {
			if f.Width != 320/c.k || f.Height != 240/c.k || len(f.Planes) != 3 || f.Format != full[n].Format {
				t.Fatalf("k=%d: frame %d is %dx%d %s with %d planes", c.k, n, f.Width, f.Height, f.Format, len(f.Planes))
			}
			for i, pl := range f.Planes {
				for y := 0; y < pl.Height; y++ {
					for x := 0; x < pl.Width; x++ {
						if got, want := pl.Pix[y*pl.Stride+x], boxMean(full[n].Planes[i], x, y, c.k); got != want {
							t.Fatalf("k=%d frame %d plane %d (%d,%d) = %d, want %d", c.k, n, i, x, y, got, want)
						}
					}
				}
			}
		}
	}
	odd := readAll(t, in, DecodeOptions{End: 1, Width: 96, Scaler: "area"})
	if odd[0].Width != 96 || odd[0].Height != 72 {
		t.Fatalf("96-wide area scale gave %dx%d", odd[0].Width, odd[0].Height)
	}
}

// BenchmarkBoxDown1080p is the cost of one 1080p 4:2:0 frame's box
// downscale by 4 (luma and both chroma planes), AVX2 and portable.
func BenchmarkBoxDown1080p(b *testing.B) {
	plane := func(w, h int) media.Plane {
		return media.Plane{Pix: make([]byte, w*h), Width: w, Height: h, Stride: w, BitDepth: 8}
	}
	src := []media.Plane{plane(1920, 1080), plane(960, 540), plane(960, 540)}
	dst := []media.Plane{plane(480, 270), plane(240, 135), plane(240, 135)}
	for _, simd := range []bool{true, false} {
		name := "avx2"
		if !simd {
			name = "portable"
		} else if !boxSIMD {
			continue
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(1920 * 1080 * 3 / 2)
			for b.Loop() {
				for i := range src {
					if err := boxDown(dst[i], src[i], 4, simd); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func BenchmarkBoxDown1080pCold(b *testing.B) {
	plane := func(w, h int) media.Plane {
		return media.Plane{Pix: make([]byte, w*h), Width: w, Height: h, Stride: w, BitDepth: 8}
	}
	const n = 64 // 200 MB, far past the last-level cache
	var srcs [n][3]media.Plane
	for i := range srcs {
		srcs[i] = [3]media.Plane{plane(1920, 1080), plane(960, 540), plane(960, 540)}
		for j := range srcs[i] {
			for k := range srcs[i][j].Pix {
				srcs[i][j].Pix[k] = byte(k)
			}
		}
	}
	dst := []media.Plane{plane(480, 270), plane(240, 135), plane(240, 135)}
	b.SetBytes(1920 * 1080 * 3 / 2)
	i := 0
	for b.Loop() {
		for j := range dst {
			if err := boxDown(dst[j], srcs[i%n][j], 4, true); err != nil {
				b.Fatal(err)
			}
		}
		i++
	}
}

// A stream whose frames change size mid-way (two MPEG-TS files joined) is
// an ErrInvalidData once the new size arrives, not a box downscale read
// past the smaller frame.
func TestDecodeAreaBoxSizeChange(t *testing.T) {
	a := testMedia(t, "ts", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "8", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	b := testMedia(t, "ts", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-frames:v", "8", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-output_ts_offset", "0.32")
	joined := filepath.Join(t.TempDir(), "joined.ts")
	if err := os.WriteFile(joined, append(readFile(t, a), readFile(t, b)...), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := OpenFrames(ctx, FileInput(joined), DecodeOptions{Width: 80, Scaler: "area"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		f, err := r.ReadFrame(ctx)
		if err == io.EOF {
			t.Fatalf("read to the end (%d frames) without noticing the size change", n)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), "160x120") {
				t.Fatalf("after %d frames: %v, want ErrInvalidData naming 160x120", n, err)
			}
			break
		}
		if f.Width != 80 || f.Height != 60 {
			t.Fatalf("frame %d is %dx%d", n, f.Width, f.Height)
		}
		n++
	}
	if n != 8 {
		t.Errorf("%d frames before the change, want 8", n)
	}
}
