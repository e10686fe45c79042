package archer

// The freeze analyzer's frame difference in one pass: the sum of absolute
// differences between a plane and the reference frame's, instead of
// OpenCV's AbsDiff and Mean (two passes and a temporary). The sum is an
// exact integer.

/*
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2")))
static size_t reel_sad_avx2(const uint8_t *cur, const uint8_t *ref, size_t n, uint64_t *sum) {
	__m256i acc = _mm256_setzero_si256();
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(cur + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(ref + i));
		acc = _mm256_add_epi64(acc, _mm256_sad_epu8(a, b));
	}
	uint64_t lanes[4];
	_mm256_storeu_si256((__m256i *)lanes, acc);
	*sum += lanes[0] + lanes[1] + lanes[2] + lanes[3];
	return i;
}
#else
static size_t reel_sad_avx2(const uint8_t *cur, const uint8_t *ref, size_t n, uint64_t *sum) { return 0; }
#endif

// reel_sad returns the sum of |cur[i] - ref[i]| over n samples; simd 0
// forces the portable loop.
static uint64_t reel_sad(const uint8_t *cur, const uint8_t *ref, size_t n, int simd) {
	uint64_t sum = 0;
	size_t i = simd ? reel_sad_avx2(cur, ref, n, &sum) : 0;
	for (; i < n; i++) {
		int d = (int)cur[i] - (int)ref[i];
		sum += (uint64_t)(d < 0 ? -d : d);
	}
	return sum;
}
*/
import "C"

import "unsafe"

// sad returns the sum of absolute differences between cur and ref (the
// same length). simd false forces the portable loop (for tests).
func sad(cur, ref []byte, simd bool) uint64 {
	if len(cur) == 0 || len(cur) != len(ref) {
		return 0
	}
	s := 0
	if simd && hasAVX2 {
		s = 1
	}
	return uint64(C.reel_sad((*C.uint8_t)(unsafe.Pointer(&cur[0])), (*C.uint8_t)(unsafe.Pointer(&ref[0])), C.size_t(len(cur)), C.int(s)))
}
