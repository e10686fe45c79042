package archer

// The freeze analyzer's frame difference in one pass: the sum of absolute
// differences between a plane and the previous frame's, which it then
// replaces, instead of OpenCV's AbsDiff, Mean and CopyTo (four passes and a
// temporary). The sum is an exact integer.

/*
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2")))
static size_t reel_sad_copy_avx2(const uint8_t *cur, uint8_t *prev, size_t n, uint64_t *sum) {
	__m256i acc = _mm256_setzero_si256();
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(cur + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(prev + i));
		acc = _mm256_add_epi64(acc, _mm256_sad_epu8(a, b));
		_mm256_storeu_si256((__m256i *)(prev + i), a);
	}
	uint64_t lanes[4];
	_mm256_storeu_si256((__m256i *)lanes, acc);
	*sum += lanes[0] + lanes[1] + lanes[2] + lanes[3];
	return i;
}
#else
static size_t reel_sad_copy_avx2(const uint8_t *cur, uint8_t *prev, size_t n, uint64_t *sum) { return 0; }
#endif

// reel_sad_copy returns the sum of |cur[i] - prev[i]| over n samples and
// copies cur into prev; simd 0 forces the portable loop.
static uint64_t reel_sad_copy(const uint8_t *cur, uint8_t *prev, size_t n, int simd) {
	uint64_t sum = 0;
	size_t i = simd ? reel_sad_copy_avx2(cur, prev, n, &sum) : 0;
	for (; i < n; i++) {
		int d = (int)cur[i] - (int)prev[i];
		sum += (uint64_t)(d < 0 ? -d : d);
		prev[i] = cur[i];
	}
	return sum;
}
*/
import "C"

import "unsafe"

// sadCopy returns the sum of absolute differences between cur and prev
// (the same length) and copies cur into prev. simd false forces the
// portable loop (for tests).
func sadCopy(cur, prev []byte, simd bool) uint64 {
	if len(cur) == 0 || len(cur) != len(prev) {
		return 0
	}
	s := 0
	if simd && hasAVX2 {
		s = 1
	}
	return uint64(C.reel_sad_copy((*C.uint8_t)(unsafe.Pointer(&cur[0])), (*C.uint8_t)(unsafe.Pointer(&prev[0])), C.size_t(len(cur)), C.int(s)))
}
