package encode

// Exact area (box) downscaling of 8-bit planes by 2 or 4, which is what an
// analysis at a quarter of 1080p asks for on every frame. swscale's area
// filter computes the same average in fixed point (it is off by one on about
// 5% of samples) at 0.6 ms a 1080p frame; this one costs about a tenth of
// that with AVX2 and gives the exact rounded mean on every CPU.
//
// Reading a decoded 1080p picture back from memory is most of that cost, so
// for H.264 decoded on one thread the scaling happens in bands, while the
// decoder draws the picture (see bands): the same result, without reading
// the picture back from memory.

/*
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <libavcodec/avcodec.h>
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

// 16-bit samples (9 to 16 bits, little-endian as the host). The portable
// kernel sums in 32 bits; the AVX2 ones, for up to 12 bits, add the rows as
// 16-bit lanes (4 × 4095 fits) and the columns with madd/hadd in 32 bits.
static void reel_box16_c(const uint16_t *src, ptrdiff_t ss, uint16_t *dst, ptrdiff_t ds, int w, int h, int k, int x0) {
	unsigned half = k * k / 2, area = k * k;
	for (int y = 0; y < h; y++) {
		const uint16_t *r = src + (ptrdiff_t)y * k * ss;
		uint16_t *d = dst + (ptrdiff_t)y * ds;
		for (int x = x0; x < w; x++) {
			uint32_t sum = 0;
			for (int j = 0; j < k; j++) {
				const uint16_t *q = r + (ptrdiff_t)j * ss + (ptrdiff_t)x * k;
				for (int i = 0; i < k; i++) sum += q[i];
			}
			d[x] = (uint16_t)((sum + half) / area);
		}
	}
}

#if defined(__x86_64__)
// Four rows of 32 samples -> 8 outputs.
__attribute__((target("avx2")))
static int reel_box16_4_avx2(const uint16_t *src, ptrdiff_t ss, uint16_t *dst, ptrdiff_t ds, int w, int h) {
	const __m256i ones = _mm256_set1_epi16(1), eight = _mm256_set1_epi32(8);
	const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
	int wv = w & ~7;
	for (int y = 0; y < h; y++) {
		const uint16_t *r0 = src + (ptrdiff_t)y * 4 * ss, *r1 = r0 + ss, *r2 = r1 + ss, *r3 = r2 + ss;
		uint16_t *d = dst + (ptrdiff_t)y * ds;
		for (int x = 0; x < wv; x += 8) {
			const int i = 4 * x;
			__m256i a = _mm256_add_epi16(_mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(r0 + i)), _mm256_loadu_si256((const __m256i *)(r1 + i))),
			                             _mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(r2 + i)), _mm256_loadu_si256((const __m256i *)(r3 + i))));
			__m256i b = _mm256_add_epi16(_mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(r0 + i + 16)), _mm256_loadu_si256((const __m256i *)(r1 + i + 16))),
			                             _mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(r2 + i + 16)), _mm256_loadu_si256((const __m256i *)(r3 + i + 16))));
			__m256i s = _mm256_hadd_epi32(_mm256_madd_epi16(a, ones), _mm256_madd_epi16(b, ones));
			s = _mm256_permutevar8x32_epi32(s, order);
			s = _mm256_srli_epi32(_mm256_add_epi32(s, eight), 4);
			s = _mm256_permute4x64_epi64(_mm256_packus_epi32(s, s), 0x08);
			_mm_storeu_si128((__m128i *)(d + x), _mm256_castsi256_si128(s));
		}
	}
	return wv;
}

// Two rows of 16 samples -> 8 outputs.
__attribute__((target("avx2")))
static int reel_box16_2_avx2(const uint16_t *src, ptrdiff_t ss, uint16_t *dst, ptrdiff_t ds, int w, int h) {
	const __m256i ones = _mm256_set1_epi16(1), two = _mm256_set1_epi32(2);
	int wv = w & ~7;
	for (int y = 0; y < h; y++) {
		const uint16_t *r0 = src + (ptrdiff_t)y * 2 * ss, *r1 = r0 + ss;
		uint16_t *d = dst + (ptrdiff_t)y * ds;
		for (int x = 0; x < wv; x += 8) {
			__m256i a = _mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(r0 + 2 * x)), _mm256_loadu_si256((const __m256i *)(r1 + 2 * x)));
			__m256i s = _mm256_srli_epi32(_mm256_add_epi32(_mm256_madd_epi16(a, ones), two), 2);
			s = _mm256_permute4x64_epi64(_mm256_packus_epi32(s, s), 0x08);
			_mm_storeu_si128((__m128i *)(d + x), _mm256_castsi256_si128(s));
		}
	}
	return wv;
}
#else
static int reel_box16_4_avx2(const uint16_t *src, ptrdiff_t ss, uint16_t *dst, ptrdiff_t ds, int w, int h) { return 0; }
static int reel_box16_2_avx2(const uint16_t *src, ptrdiff_t ss, uint16_t *dst, ptrdiff_t ds, int w, int h) { return 0; }
#endif

// reel_box16 is reel_box for 16-bit samples of the given depth; strides
// are in samples.
static void reel_box16(const uint16_t *src, ptrdiff_t ss, uint16_t *dst, ptrdiff_t ds, int w, int h, int k, int depth, int simd) {
	int done = 0;
	if (simd && depth <= 12 && k == 4) done = reel_box16_4_avx2(src, ss, dst, ds, w, h);
	if (simd && depth <= 12 && k == 2) done = reel_box16_2_avx2(src, ss, dst, ds, w, h);
	if (done < w) reel_box16_c(src, ss, dst, ds, w, h, k, done);
}

// In-band box downscaling. An H.264 decoder with one thread calls
// draw_horiz_band with each band of rows as soon as they are final
// (deblocked), top to bottom, while the rows are still in the CPU's cache.
// reel_band_draw box-scales them there into a slot kept for that picture,
// instead of reading the whole picture back from memory once it is output.
// Pictures are decoded in coded order and output in display order, so a
// slot is found again by the buffer the picture was decoded into (data[0])
// and its pts. Anything unexpected (a band out of order, a field picture, a
// size or format that does not match) marks the slot unusable, and the
// output frame is then scaled whole, as without bands: bands are an
// optimisation that never changes a result.
#define REEL_BAND_SLOTS 24

typedef struct {
	const uint8_t *key; // data[0] of the picture in the slot
	int64_t pts;
	uint64_t stamp;     // when the picture started, for reuse
	int rows;           // luma rows done, contiguously from the top
	int ok;             // 0 once the slot cannot be trusted
	int taken;          // handed out: may be reused first
	uint8_t *dst[3];
} reel_band_slot;

typedef struct {
	int k, w, h, fmt, planes, cshift, simd;
	int dw[3], dh[3];
	uint64_t clock;
	reel_band_slot slot[REEL_BAND_SLOTS];
} reel_band;

static reel_band *reel_band_new(int k, int w, int h, int fmt, int planes, int cwshift, int cshift, int simd) {
	reel_band *b = calloc(1, sizeof(reel_band));
	if (!b) return NULL;
	b->k = k; b->w = w; b->h = h; b->fmt = fmt; b->planes = planes; b->cshift = cshift; b->simd = simd;
	b->dw[0] = w / k; b->dh[0] = h / k;
	for (int p = 1; p < planes; p++) {
		b->dw[p] = ((w + (1 << cwshift) - 1) >> cwshift) / k;
		b->dh[p] = ((h + (1 << cshift) - 1) >> cshift) / k;
	}
	return b; // slots get their planes on first use: as many as pictures in flight
}

// reel_band_alloc gives slot s its planes; 0 when memory ran out.
static int reel_band_alloc(reel_band *b, reel_band_slot *s) {
	for (int p = 0; p < b->planes; p++) {
		if (!s->dst[p] && !(s->dst[p] = malloc((size_t)b->dw[p] * b->dh[p]))) return 0;
	}
	return 1;
}

static void reel_band_free(reel_band *b) {
	if (!b) return;
	for (int i = 0; i < REEL_BAND_SLOTS; i++) for (int p = 0; p < b->planes; p++) free(b->slot[i].dst[p]);
	free(b);
}

static reel_band_slot *reel_band_find(reel_band *b, const uint8_t *key) {
	for (int i = 0; i < REEL_BAND_SLOTS; i++) if (b->slot[i].stamp && b->slot[i].key == key) return &b->slot[i];
	return NULL;
}

// reel_band_victim is a free or handed-out slot, else the oldest.
static reel_band_slot *reel_band_victim(reel_band *b) {
	reel_band_slot *best = &b->slot[0];
	for (int i = 0; i < REEL_BAND_SLOTS; i++) {
		reel_band_slot *s = &b->slot[i];
		if (!s->stamp) return s;
		if (s->taken != best->taken ? s->taken > best->taken : s->stamp < best->stamp) best = s;
	}
	return best;
}

// reel_band_rows box-scales output rows [from, to) of plane p.
static void reel_band_rows(reel_band *b, reel_band_slot *s, const AVFrame *src, int p, int from, int to) {
	if (to <= from) return;
	const int k = b->k;
	reel_box(src->data[p] + (ptrdiff_t)from * k * src->linesize[p], src->linesize[p],
	         s->dst[p] + (ptrdiff_t)from * b->dw[p], b->dw[p], b->dw[p], to - from, k, b->simd);
}

static void reel_band_draw(AVCodecContext *c, const AVFrame *src, int offset[AV_NUM_DATA_POINTERS], int y, int type, int height) {
	reel_band *b = c->opaque;
	if (!b || !src || !src->data[0]) return;
	reel_band_slot *s = reel_band_find(b, src->data[0]);
	if (y == 0) { // a new picture
		if (!s) s = reel_band_victim(b);
		s->key = src->data[0]; s->pts = src->pts; s->stamp = ++b->clock;
		s->rows = 0; s->ok = reel_band_alloc(b, s); s->taken = 0;
	}
	if (!s || !s->ok) return;
	if (type != 3 || y != s->rows || height <= 0 || y + height > b->h || src->format != b->fmt ||
	    src->width < b->w || src->linesize[0] < b->w || (b->planes > 1 && (!src->data[1] || !src->data[2]))) {
		s->ok = 0; // PICT_FRAME only, contiguous, the stream's size and format
		return;
	}
	const int k = b->k, old = y, now = y + height;
	s->rows = now;
	reel_band_rows(b, s, src, 0, old / k, now / k);
	for (int p = 1; p < b->planes; p++) {
		int ch = b->dh[p] * k;
		int cold = old >> b->cshift, cnow = now == b->h ? ch : now >> b->cshift;
		reel_band_rows(b, s, src, p, cold / k, cnow / k);
	}
}

// reel_band_attach makes c (not yet opened, one thread) draw into b; every
// slot is forgotten, since buffers of an earlier decoder may share addresses.
static void reel_band_attach(AVCodecContext *c, reel_band *b) {
	for (int i = 0; i < REEL_BAND_SLOTS; i++) { b->slot[i].stamp = 0; b->slot[i].key = NULL; }
	c->opaque = b;
	c->draw_horiz_band = reel_band_draw;
	c->slice_flags = SLICE_FLAG_CODED_ORDER;
}

// reel_band_take returns the slot index holding f's box-scaled planes, or
// -1 when f must be scaled whole.
static int reel_band_take(reel_band *b, const AVFrame *f) {
	if (f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT) || f->width != b->w || f->height != b->h || f->format != b->fmt) return -1;
	reel_band_slot *s = reel_band_find(b, f->data[0]);
	// A picture is output once: a slot already taken belongs to an earlier
	// picture in the same buffer (one for which no band was drawn).
	if (!s || !s->ok || s->taken || s->rows != b->h || s->pts != f->pts) return -1;
	s->taken = 1;
	return (int)(s - b->slot);
}

static uint8_t *reel_band_plane(reel_band *b, int slot, int p) { return b->slot[slot].dst[p]; }
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/asticode/go-astiav"
	"golang.org/x/sys/cpu"

	"github.com/reelmedia/reel/media"
)

// boxSIMD says whether the AVX2 kernels may run (the C side has them only
// on x86-64).
var boxSIMD = cpu.X86.HasAVX2

// boxDepthOK says whether samples of this depth are box-scaled rather than
// left to swscale: 8 bits always; deeper only up to 12 bits with AVX2
// (the portable 16-bit kernel is slower than swscale).
func boxDepthOK(depth int) bool { return depth == 8 || depth <= 12 && boxSIMD }

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
	if k != 2 && k != 4 || src.Width != k*w || src.Height != k*h || src.BitDepth != dst.BitDepth || src.BitDepth > 16 {
		return fmt.Errorf("box %d: %dx%d %d-bit to %dx%d %d-bit", k, src.Width, src.Height, src.BitDepth, w, h, dst.BitDepth)
	}
	if w == 0 || h == 0 {
		return nil
	}
	bps := 1
	if src.BitDepth > 8 {
		bps = 2
	}
	if src.Stride < src.Width*bps || len(src.Pix) < (src.Height-1)*src.Stride+src.Width*bps ||
		dst.Stride < w*bps || len(dst.Pix) < (h-1)*dst.Stride+w*bps || bps == 2 && (src.Stride%2 != 0 || dst.Stride%2 != 0) {
		return fmt.Errorf("box %d: plane buffers too short for %dx%d to %dx%d", k, src.Width, src.Height, w, h)
	}
	s := 0
	if simd && boxSIMD {
		s = 1
	}
	if bps == 2 {
		C.reel_box16((*C.uint16_t)(unsafe.Pointer(&src.Pix[0])), C.ptrdiff_t(src.Stride/2),
			(*C.uint16_t)(unsafe.Pointer(&dst.Pix[0])), C.ptrdiff_t(dst.Stride/2), C.int(w), C.int(h), C.int(k), C.int(src.BitDepth), C.int(s))
		return nil
	}
	C.reel_box((*C.uint8_t)(unsafe.Pointer(&src.Pix[0])), C.ptrdiff_t(src.Stride),
		(*C.uint8_t)(unsafe.Pointer(&dst.Pix[0])), C.ptrdiff_t(dst.Stride), C.int(w), C.int(h), C.int(k), C.int(s))
	return nil
}

// bands is a decoder's in-band box scaler: it scales each H.264 picture by
// k while the decoder draws it (reel_band_draw), so the output frame's
// planes need not be read back from memory. Frames it cannot vouch for are
// scaled whole by the caller; hits and misses count both outcomes.
type bands struct {
	b            *C.reel_band
	dw, dh       [3]int
	planes       int
	hits, misses int64
}

// newBands returns in-band scaling by k for a w×h stream of pixel format
// pf laid out as format (8-bit), or nil when it cannot be set up.
func newBands(k, w, h int, pf astiav.PixelFormat, format media.Format) *bands {
	planes, cws, chs := 3, 0, 0
	switch format.Chroma {
	case media.Chroma400:
		planes = 1
	case media.Chroma420:
		cws, chs = 1, 1
	case media.Chroma422:
		cws = 1
	case media.Chroma444:
	default:
		return nil
	}
	s := 0
	if boxSIMD {
		s = 1
	}
	cb := C.reel_band_new(C.int(k), C.int(w), C.int(h), C.int(pf), C.int(planes), C.int(cws), C.int(chs), C.int(s))
	if cb == nil {
		return nil
	}
	b := &bands{b: cb, planes: planes}
	for p := range planes {
		b.dw[p], b.dh[p] = int(cb.dw[p]), int(cb.dh[p])
	}
	return b
}

// attach makes dec draw into b. dec must use one thread (draw_horiz_band
// is called from the slice threads otherwise) and must not have decoded
// anything yet.
func (b *bands) attach(dec *astiav.CodecContext) {
	C.reel_band_attach((*C.AVCodecContext)(ccodec(dec)), b.b)
}

// take appends f's box-scaled planes to dst, reporting false (and leaving
// dst alone) when f must be scaled whole. The planes live in C memory that
// the decoder overwrites once it has decoded more pictures: they are valid
// until the next decode call.
func (b *bands) take(f *astiav.Frame, dst []media.Plane) ([]media.Plane, bool) {
	slot := C.reel_band_take(b.b, cframe(f))
	if slot < 0 {
		b.misses++
		return dst, false
	}
	b.hits++
	for p := range b.planes {
		pix := unsafe.Slice((*byte)(unsafe.Pointer(C.reel_band_plane(b.b, slot, C.int(p)))), b.dw[p]*b.dh[p])
		dst = append(dst, media.Plane{Pix: pix, Stride: b.dw[p], Width: b.dw[p], Height: b.dh[p], BitDepth: 8})
	}
	return dst, true
}

// free releases the slots; the decoder using b must be freed first.
func (b *bands) free() {
	if b != nil && b.b != nil {
		C.reel_band_free(b.b)
		b.b = nil
	}
}
