package vmaf

import (
	"math"
	"runtime"

	"golang.org/x/sys/cpu"
)

// libvmaf's ADM takes cube roots with C's powf(x, 1.0f/3.0f), and the
// results are glibc's, not the correctly rounded ones: glibc (2.27 and
// later) computes powf as exp2(y·log2 x) in double with small tables and
// polynomials, within 0.82 ulp. About 1 input in 1500 comes out one float
// ulp away from float32(math.Pow(x, y)); in an ADM scale that is a
// difference near 1e-7, which the SVM turns into up to about 1e-5 of VMAF
// on the frame (shared/vmaf-reference's p05 frame 0 under the NEG model,
// 4.6e-6; a 10-bit x265 pair showed 9.2e-6). powf3 follows glibc's
// algorithm step by step so the roots are glibc's bit for bit.
//
// glibc builds it twice on x86-64 and picks at load time: compiled with FMA
// (every a·b+c fused) where the CPU has FMA and AVX2, plain SSE2 otherwise;
// powfFMA makes the same choice. On arm64 GCC fuses them as well.
//
// The tables and coefficients are glibc's data (sysdeps/ieee754/flt-32/
// e_powf_log2_data.c and e_exp2f_data.c, from ARM's optimized-routines),
// written here as numbers; testdata/powf_glibc.txt holds glibc's results to
// check against (powf_test.go).

var powfFMA = (runtime.GOARCH == "amd64" && cpu.X86.HasFMA && cpu.X86.HasAVX2) || runtime.GOARCH == "arm64"

// powfLog2Tab[i] is {1/c, log2 c} for the i-th of 16 subintervals of
// [0x3f330000, 2·0x3f330000) as floats.
var powfLog2Tab = [16][2]float64{
	{0x1.661ec79f8f3bep+0, -0x1.efec65b963019p-2},
	{0x1.571ed4aaf883dp+0, -0x1.b0b6832d4fca4p-2},
	{0x1.49539f0f010bp+0, -0x1.7418b0a1fb77bp-2},
	{0x1.3c995b0b80385p+0, -0x1.39de91a6dcf7bp-2},
	{0x1.30d190c8864a5p+0, -0x1.01d9bf3f2b631p-2},
	{0x1.25e227b0b8eap+0, -0x1.97c1d1b3b7afp-3},
	{0x1.1bb4a4a1a343fp+0, -0x1.2f9e393af3c9fp-3},
	{0x1.12358f08ae5bap+0, -0x1.960cbbf788d5cp-4},
	{0x1.0953f419900a7p+0, -0x1.a6f9db6475fcep-5},
	{0x1p+0, 0},
	{0x1.e608cfd9a47acp-1, 0x1.338ca9f24f53dp-4},
	{0x1.ca4b31f026aap-1, 0x1.476a9543891bap-3},
	{0x1.b2036576afce6p-1, 0x1.e840b4ac4e4d2p-3},
	{0x1.9c2d163a1aa2dp-1, 0x1.40645f0c6651cp-2},
	{0x1.886e6037841edp-1, 0x1.88e9c2c1b9ff8p-2},
	{0x1.767dcf5534862p-1, 0x1.ce0a44eb17bccp-2},
}

// powfLog2Poly approximates log1p(r)/ln 2 (highest degree first, no
// constant term).
var powfLog2Poly = [5]float64{
	0x1.27616c9496e0bp-2, -0x1.71969a075c67ap-2, 0x1.ec70a6ca7baddp-2,
	-0x1.7154748bef6c8p-1, 0x1.71547652ab82bp0,
}

// powfExp2Tab[i] is the bits of 2^(i/32) less i<<47, so that adding k<<47
// scales it by 2^(k/32) for the integer part of k.
var powfExp2Tab = [32]uint64{
	0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
	0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
	0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
	0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
	0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
	0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
	0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
	0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
}

// powfExp2Poly approximates (2^r - 1)/r for |r| <= 1/64 (highest degree
// first).
var powfExp2Poly = [3]float64{0x1.c6af84b912394p-5, 0x1.ebfce50fac4f3p-3, 0x1.62e42ff0c52d6p-1}

// mulAdd is a·b+c as the C compiler built it: one fused rounding with FMA,
// two roundings without (the float64 conversion stops Go from fusing).
func mulAdd(fused bool, a, b, c float64) float64 {
	if fused {
		return math.FMA(a, b, c)
	}
	return float64(a*b) + c
}

// powf3 is glibc's powf(x, 1.0f/3.0f).
func powf3(x float32) float32 { return glibcPowf(x, float32(1.0)/float32(3.0), powfFMA) }

// glibcPowf is glibc's powf for x >= 0 (and NaN) and any finite y > 0,
// the cases ADM can reach: x < 0 gives NaN unless y is an odd or even
// integer, which ADM never asks for.
func glibcPowf(x, y float32, fused bool) float32 {
	ix := math.Float32bits(x)
	switch {
	case x != x || math.IsInf(float64(x), 1):
		return x
	case ix<<1 == 0:
		return x * x // +0 for ±0
	case ix>>31 != 0:
		return float32(math.NaN())
	case ix < 0x00800000:
		// A subnormal: scale it up by 2^23 and take 23 off the exponent
		// field, which then reads as negative.
		ix = math.Float32bits(x*0x1p23) - 23<<23
	}

	// log2 x = k + log2 c + log1p(z/c - 1)/ln 2 with x = 2^k·z, z within
	// a factor of 2 from 0x3f330000 and c near the middle of z's
	// subinterval.
	tmp := ix - 0x3f330000
	i := (tmp >> 19) % 16
	top := tmp & 0xff800000
	z := float64(math.Float32frombits(ix - top))
	k := int32(top) >> 23
	invc, logc := powfLog2Tab[i][0], powfLog2Tab[i][1]
	r := mulAdd(fused, z, invc, -1)
	y0 := logc + float64(k)
	a := &powfLog2Poly
	r2 := r * r
	p0 := mulAdd(fused, a[0], r, a[1])
	p1 := mulAdd(fused, a[2], r, a[3])
	r4 := r2 * r2
	q := mulAdd(fused, a[4], r, y0)
	q = mulAdd(fused, p1, r2, q)
	logx := mulAdd(fused, p0, r4, q)

	// exp2 of y·log2 x = 2^(n/32)·2^t with n an integer and |t| <= 1/64.
	// |y·log2 x| stays far below 126 for ADM's cube roots, so glibc's
	// overflow and underflow branches are never taken.
	yl := float64(y) * logx
	const shift = 0x1.8p+52 / 32
	kd := yl + shift
	ki := math.Float64bits(kd)
	kd -= shift
	t := yl - kd
	s := math.Float64frombits(powfExp2Tab[ki%32] + ki<<47)
	c := &powfExp2Poly
	e0 := mulAdd(fused, c[0], t, c[1])
	t2 := t * t
	e1 := mulAdd(fused, c[2], t, 1)
	e1 = mulAdd(fused, e0, t2, e1)
	return float32(e1 * s)
}
