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

// boxMean16 is boxMean for 16-bit little-endian samples.
func boxMean16(src media.Plane, x, y, k int) uint16 {
	sum := 0
	for j := 0; j < k; j++ {
		for i := 0; i < k; i++ {
			o := (y*k+j)*src.Stride + 2*(x*k+i)
			sum += int(src.Pix[o]) | int(src.Pix[o+1])<<8
		}
	}
	return uint16((sum + k*k/2) / (k * k))
}

func TestBoxDown16MatchesMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, depth := range []int{10, 12, 16} {
		for _, k := range []int{2, 4} {
			for _, w := range []int{1, 7, 8, 9, 16, 17, 120, 240} {
				for _, simd := range []bool{false, true} {
					h := 3 + w%5
					src := media.Plane{Width: k * w, Height: k * h, Stride: 2*k*w + 6, BitDepth: depth}
					src.Pix = make([]byte, (src.Height-1)*src.Stride+2*src.Width)
					for i := 0; i+1 < len(src.Pix); i += 2 {
						v := rng.IntN(1 << depth)
						if w == 9 { // the largest value everywhere must not overflow
							v = 1<<depth - 1
						}
						src.Pix[i], src.Pix[i+1] = byte(v), byte(v>>8)
					}
					dst := media.Plane{Width: w, Height: h, Stride: 2*w + 4, BitDepth: depth}
					dst.Pix = make([]byte, (h-1)*dst.Stride+2*w)
					if err := boxDown(dst, src, k, simd); err != nil {
						t.Fatal(err)
					}
					for y := 0; y < h; y++ {
						for x := 0; x < w; x++ {
							o := y*dst.Stride + 2*x
							if got, want := uint16(dst.Pix[o])|uint16(dst.Pix[o+1])<<8, boxMean16(src, x, y, k); got != want {
								t.Fatalf("%d-bit k=%d w=%d simd=%v: (%d,%d) = %d, want %d", depth, k, w, simd, x, y, got, want)
							}
						}
					}
				}
			}
		}
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
		{media.Plane{Pix: make([]byte, 512), Width: 16, Height: 16, Stride: 32, BitDepth: 10}, 4}, // 8-bit source
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
func BenchmarkBoxDown1080p(b *testing.B) { benchBoxFrame(b, 8, 540) }

// BenchmarkBoxDown1080p10 is the same for a 10-bit 4:2:2 frame (ProRes).
func BenchmarkBoxDown1080p10(b *testing.B) { benchBoxFrame(b, 10, 1080) }

// benchBoxFrame box-scales by 4 a 1920x1080 frame of depth-bit samples
// whose chroma planes are 960 wide and chromaH high.
func benchBoxFrame(b *testing.B, depth, chromaH int) {
	bps := 1
	if depth > 8 {
		bps = 2
	}
	plane := func(w, h int) media.Plane {
		return media.Plane{Pix: make([]byte, bps*w*h), Width: w, Height: h, Stride: bps * w, BitDepth: depth}
	}
	src := []media.Plane{plane(1920, 1080), plane(960, chromaH), plane(960, chromaH)}
	dst := []media.Plane{plane(480, 270), plane(240, chromaH/4), plane(240, chromaH/4)}
	for _, simd := range []bool{true, false} {
		name := "avx2"
		if !simd {
			name = "portable"
		} else if !boxSIMD {
			continue
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(bps * (1920*1080 + 2*960*chromaH)))
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

// readBands decodes in with one thread (so the decoder draws bands) and
// returns the frames and how many came from the in-band scaler.
func readBands(t *testing.T, in Input, opts DecodeOptions) (frames []*media.Frame, hits, misses int64) {
	t.Helper()
	ctx := context.Background()
	opts.Threads = 1
	r, err := OpenFrames(ctx, in, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	frames = drain(t, r)
	if b := r.x.bands; b != nil {
		hits, misses = b.hits, b.misses
	}
	return frames, hits, misses
}

// checkBoxOf fails unless every plane of each scaled frame is the k×k box
// mean of the same plane of the full-size frame.
func checkBoxOf(t *testing.T, scaled, full []*media.Frame, k int) {
	t.Helper()
	if len(scaled) != len(full) {
		t.Fatalf("%d frames scaled, %d full", len(scaled), len(full))
	}
	for n, f := range scaled {
		if f.Index != full[n].Index || len(f.Planes) != len(full[n].Planes) {
			t.Fatalf("frame %d: index %d vs %d, %d planes vs %d", n, f.Index, full[n].Index, len(f.Planes), len(full[n].Planes))
		}
		for i, pl := range f.Planes {
			src := full[n].Planes[i]
			if pl.Width*k != src.Width || pl.Height*k != src.Height {
				t.Fatalf("frame %d plane %d: %dx%d is not %dx%d / %d", n, i, pl.Width, pl.Height, src.Width, src.Height, k)
			}
			for y := 0; y < pl.Height; y++ {
				for x := 0; x < pl.Width; x++ {
					if got, want := pl.Pix[y*pl.Stride+x], boxMean(src, x, y, k); got != want {
						t.Fatalf("frame %d (index %d) plane %d (%d,%d) = %d, want %d", n, f.Index, i, x, y, got, want)
					}
				}
			}
		}
	}
}

// The in-band scaler (H.264, one thread) gives exactly the box means of the
// full decode, with B-frames, slices, 4:2:2 and 4:4:4, a range, skipped
// deblocking and interlaced (MBAFF) coding; where it cannot vouch for a
// picture the frame is scaled whole, which must give the same result.
func TestDecodeAreaBoxBands(t *testing.T) {
	x264in := func(ext, pixFmt string, extra ...string) Input {
		args := []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "40",
			"-c:v", "libx264", "-preset", "fast", "-bf", "3", "-g", "12", "-pix_fmt", pixFmt}
		return FileInput(testMedia(t, ext, append(args, extra...)...))
	}
	x264 := func(pixFmt string, extra ...string) Input { return x264in("mkv", pixFmt, extra...) }
	for _, c := range []struct {
		name     string
		in       Input
		opts     DecodeOptions
		allBands bool // every frame must come from the bands
	}{
		{"b-frames k4", x264("yuv420p"), DecodeOptions{Width: 80}, true},
		{"b-frames k2", x264("yuv420p"), DecodeOptions{Width: 160}, true},
		{"range", x264("yuv420p"), DecodeOptions{Start: 17, End: 33, Width: 80}, true},
		// MPEG-TS seeks by time: landing past the start reopens the decoder
		{"ts range", x264in("ts", "yuv420p"), DecodeOptions{Start: 25, End: 38, Width: 80}, true},
		{"slices", x264("yuv420p", "-x264-params", "slices=4"), DecodeOptions{Width: 80}, true},
		{"no deblocking", x264("yuv420p", "-x264-params", "no-deblock=1"), DecodeOptions{Width: 80}, true},
		{"fast", x264("yuv420p"), DecodeOptions{Width: 80, Fast: true}, true},
		{"4:2:2", x264("yuv422p"), DecodeOptions{Width: 80}, true},
		{"4:4:4", x264("yuv444p"), DecodeOptions{Width: 160}, true},
		{"gray", x264("gray"), DecodeOptions{Width: 80}, true},
		{"mbaff", x264("yuv420p", "-flags", "+ildct+ilme", "-x264opts", "tff=1"), DecodeOptions{Width: 80}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			full := readAll(t, c.in, DecodeOptions{Start: c.opts.Start, End: c.opts.End, Fast: c.opts.Fast, Threads: 1})
			opts := c.opts
			opts.Scaler = "area"
			scaled, hits, misses := readBands(t, c.in, opts)
			checkBoxOf(t, scaled, full, 320/scaled[0].Width)
			t.Logf("%d frames from bands, %d scaled whole", hits, misses)
			if c.allBands && (hits != int64(len(scaled)) || misses != 0) {
				t.Errorf("%d of %d frames from bands (%d scaled whole), want all", hits, len(scaled), misses)
			}
		})
	}
}

// Damaged pictures (concealed by the decoder after their rows were drawn)
// are scaled whole, so corrupt input gives the same frames with bands as
// without.
func TestDecodeAreaBoxBandsCorrupt(t *testing.T) {
	src := testMedia(t, "mkv", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "60",
		"-c:v", "libx264", "-preset", "fast", "-bf", "3", "-g", "30", "-x264-params", "slices=4", "-pix_fmt", "yuv420p")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	for seed := range 4 {
		d := append([]byte(nil), data...)
		for i := range 6 { // six 24-byte smudges in the middle three fifths
			off := len(d)/5 + (seed*7919+i*104729)%(len(d)*3/5)
			for j := range 24 {
				d[off+j] ^= byte(0x5a + j + seed)
			}
		}
		p := filepath.Join(t.TempDir(), "bad.mkv")
		if err := os.WriteFile(p, d, 0o644); err != nil {
			t.Fatal(err)
		}
		full := readAll(t, FileInput(p), DecodeOptions{Threads: 1})
		scaled, hits, misses := readBands(t, FileInput(p), DecodeOptions{Width: 80, Scaler: "area"})
		checkBoxOf(t, scaled, full, 4)
		if misses == 0 || hits == 0 {
			t.Errorf("seed %d: %d frames from bands, %d scaled whole: want both (damaged ones whole)", seed, hits, misses)
		}
	}
}

// A 10-bit 4:2:2 source (ProRes) is box-scaled too, in 16-bit samples.
func TestDecodeAreaBox16(t *testing.T) {
	if !boxSIMD {
		t.Skip("no AVX2: deep sources are scaled by swscale")
	}
	in := FileInput(testMedia(t, "mov", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "4",
		"-c:v", "prores_ks", "-profile:v", "3", "-pix_fmt", "yuv422p10le"))
	full := readAll(t, in, DecodeOptions{})
	for _, k := range []int{2, 4} {
		scaled := readAll(t, in, DecodeOptions{Width: 320 / k, Scaler: "area"})
		if len(scaled) != len(full) {
			t.Fatalf("%d frames scaled, %d full", len(scaled), len(full))
		}
		for n, f := range scaled {
			if f.Width != 320/k || f.Height != 240/k || f.Format != full[n].Format || f.Format.BitDepth != 10 {
				t.Fatalf("k=%d: frame %d is %dx%d %s, full %s", k, n, f.Width, f.Height, f.Format, full[n].Format)
			}
			for i, pl := range f.Planes {
				src := full[n].Planes[i]
				if pl.Width*k != src.Width || pl.Height*k != src.Height {
					t.Fatalf("k=%d frame %d plane %d: %dx%d from %dx%d", k, n, i, pl.Width, pl.Height, src.Width, src.Height)
				}
				for y := 0; y < pl.Height; y++ {
					for x := 0; x < pl.Width; x++ {
						o := y*pl.Stride + 2*x
						if got, want := uint16(pl.Pix[o])|uint16(pl.Pix[o+1])<<8, boxMean16(src, x, y, k); got != want {
							t.Fatalf("k=%d frame %d plane %d (%d,%d) = %d, want %d", k, n, i, x, y, got, want)
						}
					}
				}
			}
		}
	}
}
