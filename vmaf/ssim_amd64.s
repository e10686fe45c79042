#include "textflag.h"

// Kernels of ssim_amd64.go. Each sets, for i in [0, count),
//
//	dst[i] = float32(0.0 + float64(base[offs[0]+i]*k[0]) + ... + float64(base[offs[taps-1]+i]*k[taps-1]))
//
// one output per lane (64 or 8 at a time for AVX-512, 16 or 4 for AVX2): the float32 product (VMULPS), widened exactly
// (VCVTPS2PD), added into the lane's float64 sum in tap order (VADDPD), and
// rounded to float32 at the end (VCVTPD2PS, round to nearest even as Go's
// float32 conversion). There is no FMA, as in iqa's C loops. They return
// count, the outputs written: the largest multiple of 8 (AVX-512) or 4
// (AVX2) not above n; the caller does the rest.

// func ssimRowsAVX512(dst *float32, n int, base *float32, offs *int, k *float32, taps int) int
TEXT ·ssimRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ base+16(FP), SI
	MOVQ offs+24(FP), R8
	MOVQ k+32(FP), R9
	MOVQ taps+40(FP), R10
	XORQ AX, AX

loop64:
	LEAQ 64(AX), BX
	CMPQ BX, CX
	JGT  loop8
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z16, Z16, Z16
	VPXORQ Z17, Z17, Z17
	VPXORQ Z18, Z18, Z18
	VPXORQ Z19, Z19, Z19
	LEAQ (SI)(AX*4), R11
	XORQ DX, DX

tap64:
	MOVQ (R8)(DX*8), R12
	LEAQ (R11)(R12*4), R12
	VBROADCASTSS (R9)(DX*4), Y4
	VMULPS (R12), Y4, Y5
	VMULPS 32(R12), Y4, Y6
	VMULPS 64(R12), Y4, Y7
	VMULPS 96(R12), Y4, Y8
	VMULPS 128(R12), Y4, Y9
	VMULPS 160(R12), Y4, Y10
	VMULPS 192(R12), Y4, Y11
	VMULPS 224(R12), Y4, Y12
	VCVTPS2PD Y5, Z5
	VCVTPS2PD Y6, Z6
	VCVTPS2PD Y7, Z7
	VCVTPS2PD Y8, Z8
	VCVTPS2PD Y9, Z9
	VCVTPS2PD Y10, Z10
	VCVTPS2PD Y11, Z11
	VCVTPS2PD Y12, Z12
	VADDPD Z5, Z0, Z0
	VADDPD Z6, Z1, Z1
	VADDPD Z7, Z2, Z2
	VADDPD Z8, Z3, Z3
	VADDPD Z9, Z16, Z16
	VADDPD Z10, Z17, Z17
	VADDPD Z11, Z18, Z18
	VADDPD Z12, Z19, Z19
	INCQ DX
	CMPQ DX, R10
	JLT  tap64

	VCVTPD2PS Z0, Y0
	VCVTPD2PS Z1, Y1
	VCVTPD2PS Z2, Y2
	VCVTPD2PS Z3, Y3
	VCVTPD2PS Z16, Y5
	VCVTPD2PS Z17, Y6
	VCVTPD2PS Z18, Y7
	VCVTPD2PS Z19, Y8
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	VMOVUPS Y5, 128(DI)(AX*4)
	VMOVUPS Y6, 160(DI)(AX*4)
	VMOVUPS Y7, 192(DI)(AX*4)
	VMOVUPS Y8, 224(DI)(AX*4)
	ADDQ $64, AX
	JMP  loop64

loop8:
	LEAQ 8(AX), BX
	CMPQ BX, CX
	JGT  done512
	VPXORQ Z0, Z0, Z0
	LEAQ (SI)(AX*4), R11
	XORQ DX, DX

tap8:
	MOVQ (R8)(DX*8), R12
	LEAQ (R11)(R12*4), R12
	VBROADCASTSS (R9)(DX*4), Y4
	VMULPS (R12), Y4, Y5
	VCVTPS2PD Y5, Z5
	VADDPD Z5, Z0, Z0
	INCQ DX
	CMPQ DX, R10
	JLT  tap8

	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP  loop8

done512:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// func ssimRowsAVX2(dst *float32, n int, base *float32, offs *int, k *float32, taps int) int
TEXT ·ssimRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ base+16(FP), SI
	MOVQ offs+24(FP), R8
	MOVQ k+32(FP), R9
	MOVQ taps+40(FP), R10
	XORQ AX, AX

loop16:
	LEAQ 16(AX), BX
	CMPQ BX, CX
	JGT  loop4
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	LEAQ (SI)(AX*4), R11
	XORQ DX, DX

tap16:
	MOVQ (R8)(DX*8), R12
	LEAQ (R11)(R12*4), R12
	VBROADCASTSS (R9)(DX*4), X4
	VMULPS (R12), X4, X5
	VMULPS 16(R12), X4, X6
	VMULPS 32(R12), X4, X7
	VMULPS 48(R12), X4, X8
	VCVTPS2PD X5, Y5
	VCVTPS2PD X6, Y6
	VCVTPS2PD X7, Y7
	VCVTPS2PD X8, Y8
	VADDPD Y5, Y0, Y0
	VADDPD Y6, Y1, Y1
	VADDPD Y7, Y2, Y2
	VADDPD Y8, Y3, Y3
	INCQ DX
	CMPQ DX, R10
	JLT  tap16

	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VCVTPD2PSY Y3, X3
	VMOVUPS X0, (DI)(AX*4)
	VMOVUPS X1, 16(DI)(AX*4)
	VMOVUPS X2, 32(DI)(AX*4)
	VMOVUPS X3, 48(DI)(AX*4)
	ADDQ $16, AX
	JMP  loop16

loop4:
	LEAQ 4(AX), BX
	CMPQ BX, CX
	JGT  done2
	VXORPD Y0, Y0, Y0
	LEAQ (SI)(AX*4), R11
	XORQ DX, DX

tap4:
	MOVQ (R8)(DX*8), R12
	LEAQ (R11)(R12*4), R12
	VBROADCASTSS (R9)(DX*4), X4
	VMULPS (R12), X4, X5
	VCVTPS2PD X5, Y5
	VADDPD Y5, Y0, Y0
	INCQ DX
	CMPQ DX, R10
	JLT  tap4

	VCVTPD2PSY Y0, X0
	VMOVUPS X0, (DI)(AX*4)
	ADDQ $4, AX
	JMP  loop4

done2:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// func ssimTermsAVX2(n int, mu1, mu2, sq1, sq2, s12 *float32, k *ssimConsts, l, c, term *float64, s *float32) int
//
// The per-pixel terms of ssimPixel, four pixels at a time, for the largest
// multiple of 4 not above n (returned). Each step is the IEEE operation of
// the Go code at the same width: float32 products and sums, the square root
// and the two divisions of l and c in float64, s's division in float32.
TEXT ·ssimTermsAVX2(SB), NOSPLIT, $0-96
	MOVQ n+0(FP), CX
	MOVQ mu1+8(FP), R8
	MOVQ mu2+16(FP), R9
	MOVQ sq1+24(FP), R10
	MOVQ sq2+32(FP), R11
	MOVQ s12+40(FP), R12
	MOVQ k+48(FP), DX
	MOVQ l+56(FP), R13
	MOVQ c+64(FP), R14
	MOVQ term+72(FP), R15
	MOVQ s+80(FP), DI
	VXORPS X15, X15, X15
	VMOVUPD 0(DX), Y14   // 2.0
	VMOVUPD 32(DX), Y13  // c1
	VMOVUPD 64(DX), Y12  // c2
	VMOVUPS 96(DX), X11  // c1 (float32)
	VMOVUPS 112(DX), X10 // c2 (float32)
	VMOVUPS 128(DX), X9  // c3 (float32)
	XORQ AX, AX

terms4:
	LEAQ 4(AX), BX
	CMPQ BX, CX
	JGT  termsdone
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
	VCVTPS2PD X7, Y7
	VSQRTPD Y7, Y7
	VCVTPD2PSY Y7, X7           // sr
	VCVTPS2PD X0, Y8
	VMULPD Y14, Y8, Y8
	VCVTPS2PD X1, Y0
	VMULPD Y0, Y8, Y8
	VADDPD Y13, Y8, Y8          // lNum
	VADDPS X3, X2, X2
	VADDPS X11, X2, X2          // lDen
	VCVTPS2PD X2, Y2
	VDIVPD Y2, Y8, Y8           // l
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
	VMULPD Y0, Y8, Y1
	VCVTPS2PD X6, Y2
	VMULPD Y2, Y1, Y1           // l·c·s
	VMOVUPD Y8, (R13)(AX*8)
	VMOVUPD Y0, (R14)(AX*8)
	VMOVUPD Y1, (R15)(AX*8)
	VMOVUPS X6, (DI)(AX*4)
	ADDQ $4, AX
	JMP  terms4

termsdone:
	VZEROUPPER
	MOVQ AX, ret+88(FP)
	RET
