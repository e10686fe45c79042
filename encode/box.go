package encode

// Exact area (box) downscaling of 8-bit planes by 2 or 4, which is what an
// analysis at a quarter of 1080p asks for on every frame. swscale's area
// filter computes the same average in fixed point (it is off by one on about
// 5% of samples) at 0.6 ms a 1080p frame; this one costs about a tenth of
// that with AVX2 and gives the exact rounded mean on every CPU.

/*
#include <stdint.h>
#include <stddef.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// reel_box_c is the portable kernel: each output sample is the mean of a
// k×k block of src, rounded half up.
static void reel_box_c(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int w, int h, int k, int x0) {
	int half = k * k / 2, area = k * k;
	if (k == 4) { // the common case, unrolled
		for (int y = 0; y < h; y++) {
			const uint8_t *r0 = src + (ptrdiff_t)y * 4 * ss, *r1 = r0 + ss, *r2 = r1 + ss, *r3 = r2 + ss;
			uint8_t *d = dst + (ptrdiff_t)y * ds;
			for (int x = x0; x < w; x++) {
				const int i = 4 * x;
				unsigned sum = (unsigned)r0[i] + r0[i + 1] + r0[i + 2] + r0[i + 3] + r1[i] + r1[i + 1] + r1[i + 2] + r1[i + 3] +
				               r2[i] + r2[i + 1] + r2[i + 2] + r2[i + 3] + r3[i] + r3[i + 1] + r3[i + 2] + r3[i + 3];
				d[x] = (uint8_t)((sum + 8) >> 4);
			}
		}
		return;
	}
	for (int y = 0; y < h; y++) {
		const uint8_t *r = src + (ptrdiff_t)y * k * ss;
		uint8_t *d = dst + (ptrdiff_t)y * ds;
		for (int x = x0; x < w; x++) {
			unsigned sum = 0;
			for (int j = 0; j < k; j++) {
				const uint8_t *p = r + (ptrdiff_t)j * ss + (ptrdiff_t)x * k;
				for (int i = 0; i < k; i++) sum += p[i];
			}
			d[x] = (uint8_t)((sum + half) / area);
		}
	}
}

#if defined(__x86_64__)
// Four rows of 32 samples -> 8 outputs: pairs summed by maddubs, rows added
// as 16-bit, pairs of pairs by madd, then rounded and packed.
__attribute__((target("avx2")))
static int reel_box4_avx2(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int w, int h) {
	const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1), eight = _mm256_set1_epi32(8);
	const __m256i perm = _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4);
	int wv = w & ~7;
	for (int y = 0; y < h; y++) {
		const uint8_t *r0 = src + (ptrdiff_t)y * 4 * ss, *r1 = r0 + ss, *r2 = r1 + ss, *r3 = r2 + ss;
		uint8_t *d = dst + (ptrdiff_t)y * ds;
		for (int x = 0; x < wv; x += 8) {
			__m256i a = _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(r0 + 4 * x)), ones8);
			__m256i b = _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(r1 + 4 * x)), ones8);
			__m256i c = _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(r2 + 4 * x)), ones8);
			__m256i e = _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(r3 + 4 * x)), ones8);
			__m256i s = _mm256_madd_epi16(_mm256_add_epi16(_mm256_add_epi16(a, b), _mm256_add_epi16(c, e)), ones16);
			s = _mm256_srli_epi32(_mm256_add_epi32(s, eight), 4);
			s = _mm256_packus_epi32(s, s);
			s = _mm256_packus_epi16(s, s);
			s = _mm256_permutevar8x32_epi32(s, perm);
			_mm_storel_epi64((__m128i *)(d + x), _mm256_castsi256_si128(s));
		}
	}
	return wv;
}

// Two rows of 32 samples -> 16 outputs.
__attribute__((target("avx2")))
static int reel_box2_avx2(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int w, int h) {
	const __m256i ones8 = _mm256_set1_epi8(1), two = _mm256_set1_epi16(2);
	int wv = w & ~15;
	for (int y = 0; y < h; y++) {
		const uint8_t *r0 = src + (ptrdiff_t)y * 2 * ss, *r1 = r0 + ss;
		uint8_t *d = dst + (ptrdiff_t)y * ds;
		for (int x = 0; x < wv; x += 16) {
			__m256i a = _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(r0 + 2 * x)), ones8);
			__m256i b = _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(r1 + 2 * x)), ones8);
			__m256i s = _mm256_srli_epi16(_mm256_add_epi16(_mm256_add_epi16(a, b), two), 2);
			s = _mm256_packus_epi16(s, s);
			s = _mm256_permute4x64_epi64(s, 0x08);
			_mm_storeu_si128((__m128i *)(d + x), _mm256_castsi256_si128(s));
		}
	}
	return wv;
}

#else
static int reel_box4_avx2(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int w, int h) { return 0; }
static int reel_box2_avx2(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int w, int h) { return 0; }
#endif

// reel_box downscales a w×h output from src (k*w × k*h) by k; simd 0
// forces the portable kernel.
static void reel_box(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int w, int h, int k, int simd) {
	int done = 0;
	if (simd && k == 4) done = reel_box4_avx2(src, ss, dst, ds, w, h);
	if (simd && k == 2) done = reel_box2_avx2(src, ss, dst, ds, w, h);
	if (done < w) reel_box_c(src, ss, dst, ds, w, h, k, done);
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/reelmedia/reel/media"
)

// boxSIMD says whether the AVX2 kernels may run (the C side has them only
// on x86-64).
var boxSIMD = cpu.X86.HasAVX2

// boxFactor is the factor by which a box downscale takes src×sh to w×h, or
// 0 when it cannot: only 2 and 4, equal on both axes.
func boxFactor(sw, sh, w, h int) int {
	for _, k := range []int{2, 4} {
		if w > 0 && h > 0 && sw == k*w && sh == k*h {
			return k
		}
	}
	return 0
}

// boxDown writes into dst (w×h, 8-bit) the k×k box means of src. src must
// be k*w × k*h. simd false forces the portable kernel (for tests).
func boxDown(dst, src media.Plane, k int, simd bool) error {
	w, h := dst.Width, dst.Height
	if k != 2 && k != 4 || src.Width != k*w || src.Height != k*h || src.BitDepth > 8 || dst.BitDepth > 8 {
		return fmt.Errorf("box %d: %dx%d to %dx%d", k, src.Width, src.Height, w, h)
	}
	if w == 0 || h == 0 {
		return nil
	}
	if src.Stride < src.Width || len(src.Pix) < (src.Height-1)*src.Stride+src.Width ||
		dst.Stride < w || len(dst.Pix) < (h-1)*dst.Stride+w {
		return fmt.Errorf("box %d: plane buffers too short for %dx%d to %dx%d", k, src.Width, src.Height, w, h)
	}
	s := 0
	if simd && boxSIMD {
		s = 1
	}
	C.reel_box((*C.uint8_t)(unsafe.Pointer(&src.Pix[0])), C.ptrdiff_t(src.Stride),
		(*C.uint8_t)(unsafe.Pointer(&dst.Pix[0])), C.ptrdiff_t(dst.Stride), C.int(w), C.int(h), C.int(k), C.int(s))
	return nil
}
