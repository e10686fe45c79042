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

// admAVX2 reports whether the AVX2 kernel runs; tests turn it off to
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
