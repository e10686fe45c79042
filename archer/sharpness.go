package archer

// The sharpness analyzer's Laplacian and its sums in one pass over Gray,
// without writing the 16-bit Laplacian out and reading it back: 0.2 ms of
// the 0.5 ms a 480×270 frame cost with OpenCV's Laplacian and variance16.
// The sums are exact integers, so the variance is the same double.

/*
#include <stdint.h>
#include <stddef.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// reel_lap_at is OpenCV's ksize=1 Laplacian [0 1 0; 1 -4 1; 0 1 0] at
// (x, y) with replicated borders.
static inline int reel_lap_at(const uint8_t *p, ptrdiff_t st, int w, int h, int x, int y) {
	const uint8_t *row = p + (ptrdiff_t)y * st;
	const uint8_t *up = p + (ptrdiff_t)(y > 0 ? y - 1 : 0) * st;
	const uint8_t *dn = p + (ptrdiff_t)(y < h - 1 ? y + 1 : h - 1) * st;
	int l = row[x > 0 ? x - 1 : 0], r = row[x < w - 1 ? x + 1 : w - 1];
	return up[x] + dn[x] + l + r - 4 * row[x];
}

// reel_lap_row_avx2 sums the Laplacian and its square over the interior
// columns [1, end) of row y, 16 at a time; it returns end.
#if defined(__x86_64__)
__attribute__((target("avx2")))
static int reel_lap_row_avx2(const uint8_t *p, ptrdiff_t st, int w, int h, int y, int64_t *s, int64_t *q) {
	const uint8_t *row = p + (ptrdiff_t)y * st;
	const uint8_t *up = p + (ptrdiff_t)(y > 0 ? y - 1 : 0) * st;
	const uint8_t *dn = p + (ptrdiff_t)(y < h - 1 ? y + 1 : h - 1) * st;
	const __m256i ones = _mm256_set1_epi16(1);
	int x = 1;
	while (x + 16 <= w - 1) {
		// At most 256 steps between flushes: a 32-bit lane of squares
		// gains at most 2*1020^2 a step.
		__m256i s32 = _mm256_setzero_si256(), q32 = _mm256_setzero_si256();
		for (int n = 0; n < 256 && x + 16 <= w - 1; n++, x += 16) {
			__m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(row + x)));
			__m256i l = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(row + x - 1)));
			__m256i r = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(row + x + 1)));
			__m256i u = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(up + x)));
			__m256i d = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(dn + x)));
			__m256i lap = _mm256_sub_epi16(_mm256_add_epi16(_mm256_add_epi16(u, d), _mm256_add_epi16(l, r)), _mm256_slli_epi16(c, 2));
			s32 = _mm256_add_epi32(s32, _mm256_madd_epi16(lap, ones));
			q32 = _mm256_add_epi32(q32, _mm256_madd_epi16(lap, lap));
		}
		int32_t sv[8], qv[8];
		_mm256_storeu_si256((__m256i *)sv, s32);
		_mm256_storeu_si256((__m256i *)qv, q32);
		for (int i = 0; i < 8; i++) {
			*s += sv[i];
			*q += (uint32_t)qv[i]; // squares: never negative, at most 2^31 - 1 here
		}
	}
	return x;
}
#else
static int reel_lap_row_avx2(const uint8_t *p, ptrdiff_t st, int w, int h, int y, int64_t *s, int64_t *q) { return 1; }
#endif

// reel_lap_sums sets *s and *q to the sums of the Laplacian of the w×h
// 8-bit image p and of its square; simd 0 forces the portable loop.
static void reel_lap_sums(const uint8_t *p, ptrdiff_t st, int w, int h, int simd, int64_t *s, int64_t *q) {
	int64_t ss = 0, qq = 0;
	for (int y = 0; y < h; y++) {
		int x = 1;
		if (simd) x = reel_lap_row_avx2(p, st, w, h, y, &ss, &qq);
		// what the vector loop left of the interior, without border checks
		const uint8_t *row = p + (ptrdiff_t)y * st;
		const uint8_t *up = p + (ptrdiff_t)(y > 0 ? y - 1 : 0) * st;
		const uint8_t *dn = p + (ptrdiff_t)(y < h - 1 ? y + 1 : h - 1) * st;
		for (; x < w - 1; x++) {
			int v = up[x] + dn[x] + row[x - 1] + row[x + 1] - 4 * row[x];
			ss += v; qq += (int64_t)v * v;
		}
		// the border columns
		int v = reel_lap_at(p, st, w, h, 0, y);
		ss += v; qq += (int64_t)v * v;
		if (w > 1) {
			v = reel_lap_at(p, st, w, h, w - 1, y);
			ss += v; qq += (int64_t)v * v;
		}
	}
	*s = ss;
	*q = qq;
}
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAVX2 says whether archer's AVX2 loops (Laplacian sums, SAD) may run;
// the C side has them only on x86-64.
var hasAVX2 = cpu.X86.HasAVX2

// laplacianSums returns the sums of OpenCV's ksize=1 Laplacian (replicated
// borders) of the w×h 8-bit image pix (rows stride apart) and of its
// square. simd false forces the portable loop (for tests).
func laplacianSums(pix []byte, stride, w, h int, simd bool) (s, q int64, err error) {
	if w <= 0 || h <= 0 {
		return 0, 0, nil
	}
	if stride < w || len(pix) < (h-1)*stride+w {
		return 0, 0, fmt.Errorf("laplacian: %d bytes with stride %d for %dx%d: %w", len(pix), stride, w, h, ErrInvalidInput)
	}
	var cs, cq C.int64_t
	v := 0
	if simd && hasAVX2 {
		v = 1
	}
	C.reel_lap_sums((*C.uint8_t)(unsafe.Pointer(&pix[0])), C.ptrdiff_t(stride), C.int(w), C.int(h), C.int(v), &cs, &cq)
	return int64(cs), int64(cq), nil
}

// varianceFromSums is the population variance of n values whose sum is s
// and sum of squares q, computed as OpenCV's meanStdDev does (sq/n -
// mean², clamped at 0, through the standard deviation), so the result is
// the same double.
func varianceFromSums(s, q int64, n int) float64 {
	if n == 0 {
		return 0
	}
	scale := 1 / float64(n)
	mean := float64(s) * scale
	sd := math.Sqrt(max(float64(q)*scale-mean*mean, 0))
	return sd * sd
}
