#include "textflag.h"

// Kernels of msssim_amd64.go besides ssimVertAVX512 (msssim_vert_amd64.s,
// generated).

// func lumaBytesAVX512(dst *float32, src *byte, n int) int
//
// dst[i] = float32(src[i]) for the largest multiple of 16 not above n
// (returned): a byte is an exact float32.
TEXT ·lumaBytesAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

bytes16:
	LEAQ 16(AX), BX
	CMPQ BX, CX
	JGT  bytesdone
	VPMOVZXBD (SI)(AX*1), Z0
	VCVTDQ2PS Z0, Z0
	VMOVUPS Z0, (DI)(AX*4)
	MOVQ BX, AX
	JMP  bytes16

bytesdone:
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET

// func ssimProductsAVX512(n int, a, b, aa, bb, ab *float32) int
//
// aa[i] = a[i]·a[i], bb[i] = b[i]·b[i], ab[i] = a[i]·b[i] in float32, for
// the largest multiple of 16 not above n (returned).
TEXT ·ssimProductsAVX512(SB), NOSPLIT, $0-56
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ aa+24(FP), R8
	MOVQ bb+32(FP), R9
	MOVQ ab+40(FP), R10
	XORQ AX, AX

prod16:
	LEAQ 16(AX), BX
	CMPQ BX, CX
	JGT  proddone
	VMOVUPS (SI)(AX*4), Z0
	VMOVUPS (DX)(AX*4), Z1
	VMULPS Z0, Z0, Z2
	VMULPS Z1, Z1, Z3
	VMULPS Z1, Z0, Z4
	VMOVUPS Z2, (R8)(AX*4)
	VMOVUPS Z3, (R9)(AX*4)
	VMOVUPS Z4, (R10)(AX*4)
	MOVQ BX, AX
	JMP  prod16

proddone:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// func msssimTermsAVX2(n int, mu1, mu2, sq1, sq2, s12 *float32, k *ssimConsts, c, s *float64, sums *[2]float64) int
//
// ssimTermsAVX2 without the luminance term and l·c·s (MS-SSIM raises l to
// the power 0 at every scale but the last), and with sr taken by VSQRTPS:
// float32(math.Sqrt(float64(x))) is the float32 square root (a double
// rounding that never differs, 53 ≥ 2·24+2 bits; Go's compiler makes the
// same rewrite, to SQRTSS, in ssimPixel). Then the sums: sums[0] += c[i]
// and sums[1] += s[i] one pixel after another, as ssimCore's loop adds
// them (s[i] is the float32 structure term, widened). Four pixels at a time, for the largest multiple of 4 not above
// n (returned).
TEXT ·msssimTermsAVX2(SB), NOSPLIT, $0-88
	MOVQ n+0(FP), CX
	MOVQ mu1+8(FP), R8
	MOVQ mu2+16(FP), R9
	MOVQ sq1+24(FP), R10
	MOVQ sq2+32(FP), R11
	MOVQ s12+40(FP), R12
	MOVQ k+48(FP), DX
	MOVQ c+56(FP), R14
	MOVQ s+64(FP), DI
	MOVQ sums+72(FP), R13
	VXORPS X15, X15, X15
	VMOVUPD 0(DX), Y14   // 2.0
	VMOVUPD 64(DX), Y12  // c2
	VMOVUPS 112(DX), X10 // c2 (float32)
	VMOVUPS 128(DX), X9  // c3 (float32)
	VMOVSD 0(R13), X13   // sum of c
	VMOVSD 8(R13), X11   // sum of s
	XORQ AX, AX

mterms4:
	LEAQ 4(AX), BX
	CMPQ BX, CX
	JGT  mtermsdone
	VMOVUPS (R8)(AX*4), X0
	VMOVUPS (R9)(AX*4), X1
	VMULPS X0, X0, X2           // mu1·mu1
	VMULPS X1, X1, X3           // mu2·mu2
	VMOVUPS (R10)(AX*4), X4
	VSUBPS X2, X4, X4
	VMAXPS X4, X15, X4          // s1: 0 if 0 > s1
	VMOVUPS (R11)(AX*4), X5
	VSUBPS X3, X5, X5
	VMAXPS X5, X15, X5          // s2
	VMULPS X1, X0, X6
	VMOVUPS (R12)(AX*4), X7
	VSUBPS X6, X7, X6           // s12
	VMULPS X5, X4, X7
	VSQRTPS X7, X7              // sr
	VCVTPS2PD X7, Y0
	VMULPD Y14, Y0, Y0
	VADDPD Y12, Y0, Y0          // cNum
	VADDPS X5, X4, X2
	VADDPS X10, X2, X2          // cDen
	VCVTPS2PD X2, Y2
	VDIVPD Y2, Y0, Y0           // c
	VCMPPS $1, X15, X6, X3      // s12 < 0
	VCMPPS $2, X15, X7, X4      // sr <= 0
	VANDPS X4, X3, X3
	VANDNPS X6, X3, X6          // s12 = 0 where both
	VADDPS X9, X6, X6
	VADDPS X9, X7, X7
	VDIVPS X7, X6, X6           // s
	VCVTPS2PD X6, Y2
	VMOVUPD Y0, (R14)(AX*8)
	VMOVUPD Y2, (DI)(AX*8)
	// The sums, one pixel after another, from the stores just made.
	VADDSD (R14)(AX*8), X13, X13
	VADDSD (DI)(AX*8), X11, X11
	VADDSD 8(R14)(AX*8), X13, X13
	VADDSD 8(DI)(AX*8), X11, X11
	VADDSD 16(R14)(AX*8), X13, X13
	VADDSD 16(DI)(AX*8), X11, X11
	VADDSD 24(R14)(AX*8), X13, X13
	VADDSD 24(DI)(AX*8), X11, X11
	ADDQ $4, AX
	JMP  mterms4

mtermsdone:
	VMOVSD X13, 0(R13)
	VMOVSD X11, 8(R13)
	VZEROUPPER
	MOVQ AX, ret+80(FP)
	RET

// func deinterleaveAVX512(e, o, src *float32, n int, idx *[32]int32) int
//
// e[i] = src[2i], o[i] = src[2i+1] for i below the largest multiple of 16
// not above n (returned). idx holds the even then the odd indices 0-31.
TEXT ·deinterleaveAVX512(SB), NOSPLIT, $0-48
	MOVQ e+0(FP), DI
	MOVQ o+8(FP), DX
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	MOVQ idx+32(FP), R8
	VMOVDQU32 (R8), Z4
	VMOVDQU32 64(R8), Z5
	XORQ AX, AX

pairs16:
	LEAQ 16(AX), BX
	CMPQ BX, CX
	JGT  pairsdone
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z4, Z2
	VPERMT2PS Z1, Z5, Z0
	VMOVUPS Z2, (DI)(AX*4)
	VMOVUPS Z0, (DX)(AX*4)
	ADDQ $128, SI
	MOVQ BX, AX
	JMP  pairs16

pairsdone:
	VZEROUPPER
	MOVQ AX, ret+40(FP)
	RET

// func deinterleave8AVX512(e, o *float32, src *byte, n int, idx *[32]int32) int
//
// deinterleaveAVX512 from 8-bit samples: e[i] = float32(src[2i]), o[i] =
// float32(src[2i+1]).
TEXT ·deinterleave8AVX512(SB), NOSPLIT, $0-48
	MOVQ e+0(FP), DI
	MOVQ o+8(FP), DX
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	MOVQ idx+32(FP), R8
	VMOVDQU32 (R8), Z4
	VMOVDQU32 64(R8), Z5
	XORQ AX, AX

bpairs16:
	LEAQ 16(AX), BX
	CMPQ BX, CX
	JGT  bpairsdone
	VPMOVZXBD (SI), Z0
	VPMOVZXBD 16(SI), Z1
	VCVTDQ2PS Z0, Z0
	VCVTDQ2PS Z1, Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z4, Z2
	VPERMT2PS Z1, Z5, Z0
	VMOVUPS Z2, (DI)(AX*4)
	VMOVUPS Z0, (DX)(AX*4)
	ADDQ $32, SI
	MOVQ BX, AX
	JMP  bpairs16

bpairsdone:
	VZEROUPPER
	MOVQ AX, ret+40(FP)
	RET
