package vmaf

import "golang.org/x/sys/cpu"

// admDwt0VertAVX2 is the vertical pass of admDwt0Vert on the first n
// columns (n a multiple of 8), in adm_amd64.s. Go's int32 arithmetic wraps
// modulo 2³² as VPMULLD, VPADDD and VPSUBD do, Go's >> on an int32 is
// VPSRAD, and int16(x) keeps the low 16 bits, as the mask and the unsigned
// pack of values in [0, 65535] do; so the kernel computes the same
// integers at every bit depth. TestADMAVX2MatchesGo holds it to the Go
// loop.
//
//go:noescape
func admDwt0VertAVX2(r0, r1, r2, r3 *uint16, n int, addLo, addHi int32, sh uint, tlo, thi *int16)

// admAVX2 reports whether the AVX2 kernels of ADM run; tests turn it off to
// compare.
var admAVX2 = cpu.X86.HasAVX2

// admDwt0HorizAVX2 is the interior of the horizontal pass of dwt0 for n
// output columns (n a multiple of 8): output m reads lo and hi at 2m..2m+3
// (lo and hi point at the sample before the first output's pair). Each
// VPMADDWD sums two int16·int16 products into an int32 lane without loss,
// and the whole sum, at most (15826+27411+7345+4240)·32768 + 32768 in
// magnitude, cannot wrap, as in the Go loop.
//
//go:noescape
func admDwt0HorizAVX2(lo, hi *int16, n int, a, v, h, d *int16)

// admAngle0AVX2 is admAngleRow16 on n pixels (n a multiple of 8), in
// admdecouple_amd64.s. The int16 products and their sums fit int32 except
// a sum of exactly 2^31, which wraps to INT_MIN and is turned back; each
// sum converts to float32 with the one rounding of Go's conversion, and
// the float64 products and comparisons are those of admAngle (without its
// exact divisions by 4096, which scale both sides alike).
//
//go:noescape
func admAngle0AVX2(oh, ov, th, tv *int16, n int, cosSq float64, ang *int32)

// admDecouple0AVX2 is admDecouple0Row on n pixels (n a multiple of 8).
// The gain ratio (div[o]*t + 16384) >> 15 needs 46 bits in the Go loop;
// the kernel splits div[o] at bit 15 so that every partial product fits
// int32 and the sum is the same integer. The gain limit runs in float64
// as admRestore does (the product, then min or max, truncation), and the
// int16 conversions keep the low 16 bits by a shift up and back.
// div points at admDivLookup[32768], so the gather index is o itself.
//
//go:noescape
func admDecouple0AVX2(o, t *int16, ang *int32, n int, egl float64, rw, add int32, sh uint, div *int32, r, ca, cf *int16)

// admThr16AVX2 and admThr32AVX2 add the 3x3 masking thresholds of n
// columns (n a multiple of 8, each with both neighbours in the row) to
// thr, in admcm_amd64.s. The int32 sums wrap as Go's do; the centres are
// the Go loop's: for int16 bands a 32-bit product whose low 16 bits are
// kept, for int32 bands the high dword of a 64-bit product (VPMULDQ on
// even and odd lanes), which is Go's >> 32 and int32 conversion.
//
//go:noescape
func admThr16AVX2(fu, fi, fd, a *int16, n int, thr *int32)

//go:noescape
func admThr32AVX2(fu, fi, fd, a *int32, n int, thr *int32)

// admPool16AVX2 and admPool32AVX2 return the pooled sums of n columns (n
// a multiple of 8) as admPoolRow16 and admPoolRow32 compute them, with
// p.cubAdd raised by 2^63 and the result raised by n·2^(63-cubSh): the
// kernels shift the biased 64-bit sums logically, since AVX2 has no
// arithmetic 64-bit shift, and floor((y + 2^63) / 2^s) is
// floor(y / 2^s) + 2^(63-s). The square keeps its low 32 bits as Go's
// int32 conversion does (VPMULDQ reads the low dword signed), and the
// 64-bit lane sums wrap as Go's int64 sum. admPool32AVX2 needs rf below
// 2^31 so that VPMULDQ can take it as a signed dword.
//
//go:noescape
func admPool16AVX2(r *int16, thr *int32, n int, rw int32, sub uint, p *admPoolConsts) uint64

//go:noescape
func admPool32AVX2(r, thr *int32, n int, rf int64, p *admPoolConsts) uint64

// admDecoupleSAVX2 is admDecoupleSRow on n pixels (n a multiple of 8).
// The Go loop's 64-bit products become VPMULDQ on even and odd lanes.
// Its leading-zero count becomes the float32 exponent of |o| >> 8 (exact,
// and one position per bit above 2^15); its sign multiplication a gather
// at -msb, since admDivLookup is odd; its arithmetic shift of the gain
// ratio a logical one, since a negative ratio clamps to 0 either way. Each
// int32 conversion of a shifted product takes the product's bits from the
// shift on, as a logical shift does too. rf must be below 2^31.
//
//go:noescape
func admDecoupleSAVX2(o, t, ang *int32, n int, egl float64, rf int64, div *int32, r, ca, cf *int32)

// admAngleSAVX2 is admAngleRow32 on up to n pixels (n a multiple of 8):
// it returns how many it did, stopping before the first block of 8 that
// has a value of magnitude 2^26 or more. Below that bound each product and
// sum is an integer under 2^53, exact in float64, so its float32 rounding
// is Go's conversion of the int64; the comparisons are as in
// admAngle0AVX2.
//
//go:noescape
func admAngleSAVX2(oh, ov, th, tv *int32, n int, cosSq float64, ang *int32) int

// admDwtSVertAVX2 and admDwtSHorizAVX2 are the passes of dwtS on n
// columns (n a multiple of 8), in adm_amd64.s: the Go loops' int64 sums
// of int32 samples and taps, as VPMULDQ products on even and odd lanes,
// and their int32 conversion after the shift, which keeps bits sh..sh+31
// of the sum and is taken by a logical shift. The horizontal kernel reads
// lo and hi at 2m..2m+3 for output m, as admDwt0HorizAVX2 does.
//
//go:noescape
func admDwtSVertAVX2(r0, r1, r2, r3 *int32, n int, add int64, sh uint, tlo, thi *int32)

//go:noescape
func admDwtSHorizAVX2(lo, hi *int32, n int, add int64, sh uint, a, v, h, d *int32)

// admCubes16AVX2 returns the sum of |x|³ over n values (n a multiple of
// 8), in admcm_amd64.s; the 64-bit lane sums wrap as Go's uint64 sum.
//
//go:noescape
func admCubes16AVX2(b *int16, n int) uint64

// admAVX512 reports whether the AVX-512 kernels of dwt0, dwtS and the
// decouple run (they need AVX-512 F, CD, DQ and BW); tests turn it off to
// compare.
var admAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512CD && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512BW

// admDecouple0AVX512 is admDecouple0AVX2 on n pixels (n a multiple of
// 16), 16 at a time; its stores keep the low 16 bits of each lane as Go's
// int16 conversion does.
//
//go:noescape
func admDecouple0AVX512(o, t *int16, ang *int32, n int, egl float64, rw, add int32, sh uint, div *int32, r, ca, cf *int16)

// admDecoupleSAVX512 is admDecoupleSAVX2 on n pixels (n a multiple of
// 16), with the Go loop's leading-zero count (VPLZCNTD) and arithmetic
// shift (VPSRAVQ) themselves. rf must be below 2^31.
//
//go:noescape
func admDecoupleSAVX512(o, t, ang *int32, n int, egl float64, rf int64, div *int32, r, ca, cf *int32)

// admDwt0VertAVX512 is admDwt0VertAVX2 on n columns (n a multiple of 16);
// VPMOVDW keeps the low 16 bits of each lane as the mask and pack do.
//
//go:noescape
func admDwt0VertAVX512(r0, r1, r2, r3 *uint16, n int, addLo, addHi int32, sh uint, tlo, thi *int16)

// admDwt0HorizAVX512 is admDwt0HorizAVX2 on n output columns (n a
// multiple of 16).
//
//go:noescape
func admDwt0HorizAVX512(lo, hi *int16, n int, a, v, h, d *int16)

// admDwtSVertAVX512 and admDwtSHorizAVX512 are the AVX2 passes of dwtS on
// n columns (n a multiple of 16).
//
//go:noescape
func admDwtSVertAVX512(r0, r1, r2, r3 *int32, n int, add int64, sh uint, tlo, thi *int32)

//go:noescape
func admDwtSHorizAVX512(lo, hi *int32, n int, add int64, sh uint, a, v, h, d *int32)
