package archer

// Histograms of the analysis planes, which every frame needs (the base
// analyzer's mean and black ratio, the shots signature). Counting one
// sample at a time is bound by the counters' read-modify-write chains, so
// reel_hist reads eight samples per load into eight tables, and adds a run
// of eight equal samples (flat areas, black frames, letterbox bars) to one
// counter at once: 2.6 times Go's four-table loop on the 5-minute
// mezzanine's 480×270 luma (28 µs a frame instead of 74).

/*
#include <stdint.h>
#include <stddef.h>
#include <string.h>

static void reel_hist(const uint8_t *p, size_t n, uint32_t *h) {
	uint32_t t[8][256];
	memset(t, 0, sizeof t);
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		if (v == (v & 0xff) * 0x0101010101010101ULL) { // eight equal samples
			t[0][v & 0xff] += 8;
			continue;
		}
		t[0][v & 0xff]++;
		t[1][(v >> 8) & 0xff]++;
		t[2][(v >> 16) & 0xff]++;
		t[3][(v >> 24) & 0xff]++;
		t[4][(v >> 32) & 0xff]++;
		t[5][(v >> 40) & 0xff]++;
		t[6][(v >> 48) & 0xff]++;
		t[7][v >> 56]++;
	}
	for (; i < n; i++) t[0][p[i]]++;
	for (int v = 0; v < 256; v++) {
		uint32_t s = 0;
		for (int j = 0; j < 8; j++) s += t[j][v];
		h[v] = s;
	}
}
*/
import "C"

import "unsafe"

// histogram sets h to the counts of the values in pix.
func histogram(pix []byte, h *[256]uint32) {
	if len(pix) == 0 {
		*h = [256]uint32{}
		return
	}
	C.reel_hist((*C.uint8_t)(unsafe.Pointer(&pix[0])), C.size_t(len(pix)), (*C.uint32_t)(unsafe.Pointer(&h[0])))
}
