// AVX2 kernels of ADM's decouple and CSF stages (admAngleRow16,
// admDecouple0Row, admAngleRow32 and admDecoupleSRow in adm.go);
// adm_amd64.go says why each computes the same integers as the Go loop.

#include "textflag.h"

DATA admSign32<>+0(SB)/4, $0x80000000
GLOBL admSign32<>(SB), RODATA|NOPTR, $4

DATA adm32768<>+0(SB)/4, $32768
GLOBL adm32768<>(SB), RODATA|NOPTR, $4

DATA adm16384<>+0(SB)/4, $16384
GLOBL adm16384<>(SB), RODATA|NOPTR, $4

DATA adm7fff<>+0(SB)/4, $0x7fff
GLOBL adm7fff<>(SB), RODATA|NOPTR, $4

DATA adm4369<>+0(SB)/4, $4369
GLOBL adm4369<>(SB), RODATA|NOPTR, $4

DATA adm2048<>+0(SB)/4, $2048
GLOBL adm2048<>(SB), RODATA|NOPTR, $4

// func admAngle0AVX2(oh, ov, th, tv *int16, n int, cosSq float64, ang *int32)
TEXT ·admAngle0AVX2(SB), NOSPLIT, $0-56
	MOVQ oh+0(FP), AX
	MOVQ ov+8(FP), BX
	MOVQ th+16(FP), DX
	MOVQ tv+24(FP), DI
	MOVQ n+32(FP), CX
	VBROADCASTSD cosSq+40(FP), Y14
	MOVQ ang+48(FP), R9
	VPBROADCASTD admSign32<>(SB), Y15
	VXORPS Y13, Y13, Y13
	XORQ SI, SI

aloop:
	CMPQ SI, CX
	JGE  adone
	VPMOVSXWD (AX)(SI*2), Y0
	VPMOVSXWD (BX)(SI*2), Y1
	VPMOVSXWD (DX)(SI*2), Y2
	VPMOVSXWD (DI)(SI*2), Y3

	// Each product is at most 2^30; a sum of two wraps only at 2^31,
	// to INT_MIN, which no true sum reaches.
	VPMULLD Y0, Y2, Y4
	VPMULLD Y1, Y3, Y5
	VPADDD  Y5, Y4, Y4 // dp
	VPMULLD Y0, Y0, Y0
	VPMULLD Y1, Y1, Y1
	VPADDD  Y1, Y0, Y0 // om
	VPMULLD Y2, Y2, Y2
	VPMULLD Y3, Y3, Y3
	VPADDD  Y3, Y2, Y2 // tm

	// float32 of each, rounded to nearest as Go's conversion; INT_MIN
	// becomes +2^31 (a sign flip of the float for dp, the absolute value
	// for the squares, which are never negative).
	VPCMPEQD  Y15, Y4, Y5
	VPAND     Y15, Y5, Y5
	VCVTDQ2PS Y4, Y4
	VXORPS    Y5, Y4, Y4
	VCVTDQ2PS Y0, Y0
	VANDNPS   Y0, Y15, Y0
	VCVTDQ2PS Y2, Y2
	VANDNPS   Y2, Y15, Y2
	VCMPPS    $13, Y13, Y4, Y6 // dp >= 0

	// dp*dp >= (cos²*om)*tm in float64. The Go loop divides each float by
	// 4096 first; scaling by powers of two changes neither the rounding
	// nor the comparison at these magnitudes.
	VCVTPS2PD X4, Y7
	VCVTPS2PD X0, Y8
	VCVTPS2PD X2, Y9
	VMULPD    Y7, Y7, Y7
	VMULPD    Y14, Y8, Y8
	VMULPD    Y9, Y8, Y8
	VCMPPD    $13, Y8, Y7, Y7
	VEXTRACTF128 $1, Y4, X4
	VEXTRACTF128 $1, Y0, X0
	VEXTRACTF128 $1, Y2, X2
	VCVTPS2PD X4, Y10
	VCVTPS2PD X0, Y8
	VCVTPS2PD X2, Y9
	VMULPD    Y10, Y10, Y10
	VMULPD    Y14, Y8, Y8
	VMULPD    Y9, Y8, Y8
	VCMPPD    $13, Y8, Y10, Y10

	// The low dword of each qword mask, in pixel order.
	VSHUFPS $0x88, Y10, Y7, Y11
	VPERMQ  $0xD8, Y11, Y11
	VPAND   Y6, Y11, Y11
	VMOVDQU Y11, (R9)(SI*4)

	ADDQ $8, SI
	JMP  aloop

adone:
	VZEROUPPER
	RET

// func admDecouple0AVX2(o, t *int16, ang *int32, n int, egl float64, rw, add int32, sh uint, div *int32, r, ca, cf *int16)
TEXT ·admDecouple0AVX2(SB), NOSPLIT, $0-88
	MOVQ o+0(FP), AX
	MOVQ t+8(FP), BX
	MOVQ ang+16(FP), R9
	MOVQ n+24(FP), CX
	VBROADCASTSD egl+32(FP), Y12
	MOVL rw+40(FP), DX
	VMOVD DX, X11
	VPBROADCASTD X11, Y11
	MOVL add+44(FP), DX
	VMOVD DX, X10
	VPBROADCASTD X10, Y10
	VMOVQ sh+48(FP), X9
	MOVQ div+56(FP), R8
	MOVQ r+64(FP), R10
	MOVQ ca+72(FP), R11
	MOVQ cf+80(FP), R12
	VPBROADCASTD adm32768<>(SB), Y15
	VPBROADCASTD adm7fff<>(SB), Y14
	VPBROADCASTD adm16384<>(SB), Y13
	VPXOR Y7, Y7, Y7
	XORQ SI, SI

dloop:
	CMPQ SI, CX
	JGE  ddone
	VPMOVSXWD (AX)(SI*2), Y0 // o
	VPMOVSXWD (BX)(SI*2), Y1 // t

	// D = div[o] (the pointer is the table's centre), then
	// kq = (D*t + 16384) >> 15 with D = dh*2^15 + dl, dl in [0, 2^15):
	// dh*t + ((dl*t + 16384) >> 15), every term within int32.
	VPCMPEQD   Y2, Y2, Y2
	VPGATHERDD Y2, (R8)(Y0*4), Y3
	VPSRAD     $15, Y3, Y4
	VPAND      Y14, Y3, Y3
	VPMULLD    Y1, Y4, Y4
	VPMULLD    Y1, Y3, Y3
	VPADDD     Y13, Y3, Y3
	VPSRAD     $15, Y3, Y3
	VPADDD     Y3, Y4, Y4
	VPMAXSD    Y7, Y4, Y4
	VPMINSD    Y15, Y4, Y4

	// Where o == 0 the Go loop takes kq = 32768 instead; r is 0 either
	// way, and the gain limit is not applied there.
	VPCMPEQD Y7, Y0, Y5

	// The gain limit applies where the angle test passed, kq > 0 and
	// o != 0.
	VPCMPGTD Y7, Y4, Y6
	VPANDN   Y6, Y5, Y6
	VPAND    (R9)(SI*4), Y6, Y6

	// r = (kq*o + 16384) >> 15, within int16.
	VPMULLD Y0, Y4, Y4
	VPADDD  Y13, Y4, Y4
	VPSRAD  $15, Y4, Y4

	// Limited: o > 0 ? min(r*egl, t) : max(r*egl, t), truncated. With
	// egl finite and >= 0 it lies between t and 0, so within int32.
	VCVTDQ2PD   X4, Y2
	VMULPD      Y12, Y2, Y2
	VCVTDQ2PD   X1, Y3
	VMINPD      Y3, Y2, Y5
	VMAXPD      Y3, Y2, Y2
	VPMOVSXDQ   X0, Y3
	VBLENDVPD   Y3, Y2, Y5, Y5
	VCVTTPD2DQY Y5, X5
	VEXTRACTI128 $1, Y4, X2
	VCVTDQ2PD    X2, Y2
	VMULPD       Y12, Y2, Y2
	VEXTRACTI128 $1, Y1, X3
	VCVTDQ2PD    X3, Y3
	VMINPD       Y3, Y2, Y8
	VMAXPD       Y3, Y2, Y2
	VEXTRACTI128 $1, Y0, X3
	VPMOVSXDQ    X3, Y3
	VBLENDVPD    Y3, Y2, Y8, Y8
	VCVTTPD2DQY  Y8, X8
	VINSERTI128  $1, X8, Y5, Y5
	VPBLENDVB    Y6, Y5, Y4, Y4

	// a = int16(t - r); c = int16((rw*a + add) >> sh);
	// cf = int16((4369*|c| + 2048) >> 12).
	VPSUBD  Y4, Y1, Y1
	VPSLLD  $16, Y1, Y1
	VPSRAD  $16, Y1, Y1
	VPMULLD Y11, Y1, Y1
	VPADDD  Y10, Y1, Y1
	VPSRAD  X9, Y1, Y1
	VPSLLD  $16, Y1, Y1
	VPSRAD  $16, Y1, Y1
	VPABSD  Y1, Y2
	VPBROADCASTD adm4369<>(SB), Y3
	VPMULLD Y3, Y2, Y2
	VPBROADCASTD adm2048<>(SB), Y3
	VPADDD  Y3, Y2, Y2
	VPSRLD  $12, Y2, Y2

	// r and c are within int16; cf keeps its low 16 bits.
	VEXTRACTI128 $1, Y4, X3
	VPACKSSDW    X3, X4, X4
	VMOVDQU      X4, (R10)(SI*2)
	VEXTRACTI128 $1, Y1, X3
	VPACKSSDW    X3, X1, X1
	VMOVDQU      X1, (R11)(SI*2)
	VPSLLD       $16, Y2, Y2
	VPSRAD       $16, Y2, Y2
	VEXTRACTI128 $1, Y2, X3
	VPACKSSDW    X3, X2, X2
	VMOVDQU      X2, (R12)(SI*2)

	ADDQ $8, SI
	JMP  dloop

ddone:
	VZEROUPPER
	RET

DATA admOne<>+0(SB)/4, $1
GLOBL admOne<>(SB), RODATA|NOPTR, $4

DATA admFifteen<>+0(SB)/4, $15
GLOBL admFifteen<>(SB), RODATA|NOPTR, $4

DATA admExp133<>+0(SB)/4, $133
GLOBL admExp133<>(SB), RODATA|NOPTR, $4

DATA admLowDword<>+0(SB)/8, $0xffffffff
GLOBL admLowDword<>(SB), RODATA|NOPTR, $8

DATA admQ32768<>+0(SB)/8, $32768
GLOBL admQ32768<>(SB), RODATA|NOPTR, $8

DATA admQ16384<>+0(SB)/8, $16384
GLOBL admQ16384<>(SB), RODATA|NOPTR, $8

DATA admQ2p27<>+0(SB)/8, $134217728
GLOBL admQ2p27<>(SB), RODATA|NOPTR, $8

DATA admQThirtieth<>+0(SB)/8, $143165577
GLOBL admQThirtieth<>(SB), RODATA|NOPTR, $8

DATA admQMinus2p31<>+0(SB)/8, $-2147483648
GLOBL admQMinus2p31<>(SB), RODATA|NOPTR, $8

// func admDecoupleSAVX2(o, t, ang *int32, n int, egl float64, rf int64, div *int32, r, ca, cf *int32)
TEXT ·admDecoupleSAVX2(SB), NOSPLIT, $0-80
	MOVQ o+0(FP), AX
	MOVQ t+8(FP), BX
	MOVQ ang+16(FP), R9
	MOVQ n+24(FP), CX
	VBROADCASTSD egl+32(FP), Y12
	VPBROADCASTQ rf+40(FP), Y11
	MOVQ div+48(FP), R8
	MOVQ r+56(FP), R10
	MOVQ ca+64(FP), R11
	MOVQ cf+72(FP), R12
	VPBROADCASTD admOne<>(SB), Y15
	VPBROADCASTQ admLowDword<>(SB), Y14
	VPBROADCASTQ admQ32768<>(SB), Y13
	VPXOR Y10, Y10, Y10
	XORQ SI, SI

sloop:
	CMPQ SI, CX
	JGE  sdone
	VMOVDQU (AX)(SI*4), Y0 // o
	VMOVDQU (BX)(SI*4), Y1 // t

	// |o| (INT_MIN stays 2^31 unsigned) and, where it is 2^15 or more,
	// shift = floor(log2|o|) - 14, from the float exponent of |o| >> 8
	// (below 2^24, so converted exactly).
	VPABSD    Y0, Y2
	VPSRLD    $8, Y2, Y3
	VCVTDQ2PS Y3, Y3
	VPSRLD    $23, Y3, Y3
	VPBROADCASTD admExp133<>(SB), Y4
	VPSUBD    Y4, Y3, Y3
	VPSRLD    $15, Y2, Y4
	VPCMPEQD  Y10, Y4, Y4
	VPANDN    Y3, Y4, Y3 // shift, 0 below 2^15

	// msb = (|o| + (1 << (shift-1))) >> shift; a count of -1 shifts the
	// 1 out, so small |o| pass unchanged. The signed index -msb for
	// negative o gathers -div[msb], which is div times o's sign.
	VPSUBD     Y15, Y3, Y4
	VPSLLVD    Y4, Y15, Y4
	VPADDD     Y4, Y2, Y2
	VPSRLVD    Y3, Y2, Y2
	VPSIGND    Y0, Y2, Y2
	VPCMPEQD   Y4, Y4, Y4
	VPGATHERDD Y4, (R8)(Y2*4), Y5 // D = sign * div[msb]

	// X = D*t + int32(1 << (14+shift)), sign-extended (a VPMULDQ by 1);
	// kq = clamp(X >> (15+shift), 0, 32768). X < 0 gives 0, so a logical
	// shift does; even lanes in Y6, odd lanes in Y7.
	VPBROADCASTD admFifteen<>(SB), Y4
	VPADDD  Y4, Y3, Y3     // 15 + shift
	VPSUBD  Y15, Y3, Y4
	VPSLLVD Y4, Y15, Y4    // int32(1 << (14+shift))
	VPMULDQ Y1, Y5, Y6
	VPMULDQ Y15, Y4, Y8
	VPADDQ  Y8, Y6, Y6
	VPSRLQ  $32, Y5, Y5
	VPSRLQ  $32, Y1, Y9
	VPMULDQ Y9, Y5, Y7
	VPSRLQ  $32, Y4, Y4
	VPMULDQ Y15, Y4, Y8
	VPADDQ  Y8, Y7, Y7
	VPAND   Y14, Y3, Y8
	VPCMPGTQ Y6, Y10, Y9
	VPSRLVQ Y8, Y6, Y6
	VPANDN  Y6, Y9, Y6
	VPSRLQ  $32, Y3, Y8
	VPCMPGTQ Y7, Y10, Y9
	VPSRLVQ Y8, Y7, Y7
	VPANDN  Y7, Y9, Y7
	VPCMPGTQ Y13, Y6, Y9
	VPBLENDVB Y9, Y13, Y6, Y6
	VPCMPGTQ Y13, Y7, Y9
	VPBLENDVB Y9, Y13, Y7, Y7
	VPSLLQ   $32, Y7, Y7
	VPBLENDD $0xAA, Y7, Y6, Y6 // kq

	// Where o == 0 the Go loop takes kq = 32768; r is 0 either way and
	// the gain limit is not applied there.
	VPCMPGTD Y10, Y6, Y7
	VPCMPEQD Y10, Y0, Y8
	VPANDN   Y7, Y8, Y7
	VPAND    (R9)(SI*4), Y7, Y7 // the gain limit applies

	// r = int32((kq*o + 16384) >> 15): bits 15-46 of the product.
	VPBROADCASTQ admQ16384<>(SB), Y9
	VPMULDQ  Y0, Y6, Y2
	VPADDQ   Y9, Y2, Y2
	VPSRLQ   $15, Y2, Y2
	VPSRLQ   $32, Y6, Y6
	VPSRLQ   $32, Y0, Y3
	VPMULDQ  Y3, Y6, Y6
	VPADDQ   Y9, Y6, Y6
	VPSLLQ   $17, Y6, Y6
	VPBLENDD $0xAA, Y6, Y2, Y2 // r

	// Limited as in admDecouple0AVX2, between t and 0.
	VCVTDQ2PD   X2, Y3
	VMULPD      Y12, Y3, Y3
	VCVTDQ2PD   X1, Y4
	VMINPD      Y4, Y3, Y5
	VMAXPD      Y4, Y3, Y3
	VPMOVSXDQ   X0, Y4
	VBLENDVPD   Y4, Y3, Y5, Y5
	VCVTTPD2DQY Y5, X5
	VEXTRACTI128 $1, Y2, X3
	VCVTDQ2PD    X3, Y3
	VMULPD       Y12, Y3, Y3
	VEXTRACTI128 $1, Y1, X4
	VCVTDQ2PD    X4, Y4
	VMINPD       Y4, Y3, Y8
	VMAXPD       Y4, Y3, Y3
	VEXTRACTI128 $1, Y0, X4
	VPMOVSXDQ    X4, Y4
	VBLENDVPD    Y4, Y3, Y8, Y8
	VCVTTPD2DQY  Y8, X8
	VINSERTI128  $1, X8, Y5, Y5
	VPBLENDVB    Y7, Y5, Y2, Y2
	VMOVDQU      Y2, (R10)(SI*4)

	// a = t - r; c = int32((rf*a + 2^27) >> 28): bits 28-59.
	VPSUBD   Y2, Y1, Y1
	VPBROADCASTQ admQ2p27<>(SB), Y9
	VPMULDQ  Y11, Y1, Y2
	VPADDQ   Y9, Y2, Y2
	VPSRLQ   $28, Y2, Y2
	VPSRLQ   $32, Y1, Y1
	VPMULDQ  Y11, Y1, Y1
	VPADDQ   Y9, Y1, Y1
	VPSLLQ   $4, Y1, Y1
	VPBLENDD $0xAA, Y1, Y2, Y2 // c
	VMOVDQU  Y2, (R11)(SI*4)

	// cf = int32((143165577*|c| - 2^31) >> 32): the high dwords.
	VPABSD   Y2, Y2
	VPBROADCASTQ admQThirtieth<>(SB), Y8
	VPBROADCASTQ admQMinus2p31<>(SB), Y9
	VPSRLQ   $32, Y2, Y3
	VPMULDQ  Y8, Y2, Y2
	VPMULDQ  Y8, Y3, Y3
	VPADDQ   Y9, Y2, Y2
	VPADDQ   Y9, Y3, Y3
	VPSRLQ   $32, Y2, Y2
	VPBLENDD $0xAA, Y3, Y2, Y2
	VMOVDQU  Y2, (R12)(SI*4)

	ADDQ $8, SI
	JMP  sloop

sdone:
	VZEROUPPER
	RET

DATA admBig26<>+0(SB)/4, $0xfc000000
GLOBL admBig26<>(SB), RODATA|NOPTR, $4

// ANGLE4 sets the qwords of Y10 to the angle test of the 4 pixels whose
// int32 values are in X0-X3 (oh, ov, th, tv): dp >= 0 and
// dp*dp >= (cos²*om)*tm. Y14 holds cos², Y13 zero. Clobbers Y4-Y11.
#define ANGLE4 \
	VCVTDQ2PD  X0, Y4; \
	VCVTDQ2PD  X1, Y5; \
	VCVTDQ2PD  X2, Y6; \
	VCVTDQ2PD  X3, Y7; \
	VMULPD     Y6, Y4, Y8; \
	VMULPD     Y7, Y5, Y9; \
	VADDPD     Y9, Y8, Y8; \
	VMULPD     Y4, Y4, Y4; \
	VMULPD     Y5, Y5, Y5; \
	VADDPD     Y5, Y4, Y4; \
	VMULPD     Y6, Y6, Y6; \
	VMULPD     Y7, Y7, Y7; \
	VADDPD     Y7, Y6, Y6; \
	VCVTPD2PSY Y8, X8; \
	VCVTPS2PD  X8, Y8; \
	VCVTPD2PSY Y4, X4; \
	VCVTPS2PD  X4, Y4; \
	VCVTPD2PSY Y6, X6; \
	VCVTPS2PD  X6, Y6; \
	VCMPPD     $13, Y13, Y8, Y11; \
	VMULPD     Y8, Y8, Y8; \
	VMULPD     Y14, Y4, Y4; \
	VMULPD     Y6, Y4, Y4; \
	VCMPPD     $13, Y4, Y8, Y10; \
	VANDPD     Y11, Y10, Y10

// func admAngleSAVX2(oh, ov, th, tv *int32, n int, cosSq float64, ang *int32) int
TEXT ·admAngleSAVX2(SB), NOSPLIT, $0-64
	MOVQ oh+0(FP), AX
	MOVQ ov+8(FP), BX
	MOVQ th+16(FP), DX
	MOVQ tv+24(FP), DI
	MOVQ n+32(FP), CX
	VBROADCASTSD cosSq+40(FP), Y14
	MOVQ ang+48(FP), R9
	VPBROADCASTD admBig26<>(SB), Y15
	VXORPD Y13, Y13, Y13
	XORQ SI, SI

gloop:
	CMPQ SI, CX
	JGE  gdone

	// Stop at a block with a value of magnitude 2^26 or more (INT_MIN
	// included): below that, the products and sums are exact in float64
	// and convert to float32 with Go's one rounding.
	VPABSD  (AX)(SI*4), Y0
	VPABSD  (BX)(SI*4), Y1
	VPOR    Y1, Y0, Y0
	VPABSD  (DX)(SI*4), Y1
	VPOR    Y1, Y0, Y0
	VPABSD  (DI)(SI*4), Y1
	VPOR    Y1, Y0, Y0
	VPTEST  Y15, Y0
	JNZ     gdone

	VMOVDQU (AX)(SI*4), X0
	VMOVDQU (BX)(SI*4), X1
	VMOVDQU (DX)(SI*4), X2
	VMOVDQU (DI)(SI*4), X3
	ANGLE4
	VMOVAPD Y10, Y12
	VMOVDQU 16(AX)(SI*4), X0
	VMOVDQU 16(BX)(SI*4), X1
	VMOVDQU 16(DX)(SI*4), X2
	VMOVDQU 16(DI)(SI*4), X3
	ANGLE4

	// The low dword of each qword mask, in pixel order.
	VSHUFPS $0x88, Y10, Y12, Y11
	VPERMQ  $0xD8, Y11, Y11
	VMOVDQU Y11, (R9)(SI*4)

	ADDQ $8, SI
	JMP  gloop

gdone:
	MOVQ SI, ret+56(FP)
	VZEROUPPER
	RET

// func admDecouple0AVX512(o, t *int16, ang *int32, n int, egl float64, rw, add int32, sh uint, div *int32, r, ca, cf *int16)
// admDecouple0AVX2 on 16 pixels at a time, with mask registers for the
// blends and truncating stores for the int16 conversions.
TEXT ·admDecouple0AVX512(SB), NOSPLIT, $0-88
	MOVQ o+0(FP), AX
	MOVQ t+8(FP), BX
	MOVQ ang+16(FP), R9
	MOVQ n+24(FP), CX
	VBROADCASTSD egl+32(FP), Z28
	MOVL rw+40(FP), DX
	VPBROADCASTD DX, Z27
	MOVL add+44(FP), DX
	VPBROADCASTD DX, Z26
	VMOVQ sh+48(FP), X9
	MOVQ div+56(FP), R8
	MOVQ r+64(FP), R10
	MOVQ ca+72(FP), R11
	MOVQ cf+80(FP), R12
	VPBROADCASTD adm32768<>(SB), Z31
	VPBROADCASTD adm7fff<>(SB), Z30
	VPBROADCASTD adm16384<>(SB), Z29
	VPBROADCASTD adm4369<>(SB), Z24
	VPBROADCASTD adm2048<>(SB), Z23
	VPXORD Z22, Z22, Z22
	XORQ SI, SI

eloop:
	CMPQ SI, CX
	JGE  edone
	VPMOVSXWD (AX)(SI*2), Z0 // o
	VPMOVSXWD (BX)(SI*2), Z1 // t

	// kq as in admDecouple0AVX2.
	KXNORW     K0, K0, K1
	VPGATHERDD (R8)(Z0*4), K1, Z3
	VPSRAD     $15, Z3, Z4
	VPANDD     Z30, Z3, Z3
	VPMULLD    Z1, Z4, Z4
	VPMULLD    Z1, Z3, Z3
	VPADDD     Z29, Z3, Z3
	VPSRAD     $15, Z3, Z3
	VPADDD     Z3, Z4, Z4
	VPMAXSD    Z22, Z4, Z4
	VPMINSD    Z31, Z4, Z4

	// K2: the gain limit applies (kq > 0, o != 0, the angle test).
	VPCMPGTD  Z22, Z4, K2
	VPTESTMD  Z0, Z0, K2, K2
	VMOVDQU32 (R9)(SI*4), Z5
	VPTESTMD  Z5, Z5, K2, K2

	// r = (kq*o + 16384) >> 15.
	VPMULLD Z0, Z4, Z4
	VPADDD  Z29, Z4, Z4
	VPSRAD  $15, Z4, Z4

	// Limited: min(r*egl, t), or max where o < 0 (K3), truncated.
	VPMOVD2M      Z0, K3
	VCVTDQ2PD     Y4, Z2
	VMULPD        Z28, Z2, Z2
	VCVTDQ2PD     Y1, Z3
	VMINPD        Z3, Z2, Z5
	VMAXPD        Z3, Z2, K3, Z5
	VCVTTPD2DQ    Z5, Y5
	KSHIFTRW      $8, K3, K3
	VEXTRACTI64X4 $1, Z4, Y2
	VCVTDQ2PD     Y2, Z2
	VMULPD        Z28, Z2, Z2
	VEXTRACTI64X4 $1, Z1, Y3
	VCVTDQ2PD     Y3, Z3
	VMINPD        Z3, Z2, Z6
	VMAXPD        Z3, Z2, K3, Z6
	VCVTTPD2DQ    Z6, Y6
	VINSERTI64X4  $1, Y6, Z5, Z5
	VMOVDQA32     Z5, K2, Z4
	VPMOVDW       Z4, (R10)(SI*2)

	// a = int16(t - r); c = int16((rw*a + add) >> sh);
	// cf = int16((4369*|c| + 2048) >> 12); the stores keep 16 bits.
	VPSUBD  Z4, Z1, Z1
	VPSLLD  $16, Z1, Z1
	VPSRAD  $16, Z1, Z1
	VPMULLD Z27, Z1, Z1
	VPADDD  Z26, Z1, Z1
	VPSRAD  X9, Z1, Z1
	VPSLLD  $16, Z1, Z1
	VPSRAD  $16, Z1, Z1
	VPMOVDW Z1, (R11)(SI*2)
	VPABSD  Z1, Z2
	VPMULLD Z24, Z2, Z2
	VPADDD  Z23, Z2, Z2
	VPSRLD  $12, Z2, Z2
	VPMOVDW Z2, (R12)(SI*2)

	ADDQ $16, SI
	JMP  eloop

edone:
	VZEROUPPER
	RET

DATA admSeventeen<>+0(SB)/4, $17
GLOBL admSeventeen<>(SB), RODATA|NOPTR, $4

DATA admFourteen<>+0(SB)/4, $14
GLOBL admFourteen<>(SB), RODATA|NOPTR, $4

// func admDecoupleSAVX512(o, t, ang *int32, n int, egl float64, rf int64, div *int32, r, ca, cf *int32)
// admDecoupleSAVX2 on 16 pixels at a time, with the leading-zero count
// of the Go loop (VPLZCNTD), its arithmetic 64-bit shift (VPSRAVQ) and
// 64-bit clamps; K4 selects the odd dwords.
TEXT ·admDecoupleSAVX512(SB), NOSPLIT, $0-80
	MOVQ o+0(FP), AX
	MOVQ t+8(FP), BX
	MOVQ ang+16(FP), R9
	MOVQ n+24(FP), CX
	VBROADCASTSD egl+32(FP), Z28
	VPBROADCASTQ rf+40(FP), Z27
	MOVQ div+48(FP), R8
	MOVQ r+56(FP), R10
	MOVQ ca+64(FP), R11
	MOVQ cf+72(FP), R12
	VPBROADCASTD admOne<>(SB), Z31
	VPBROADCASTD adm32768<>(SB), Z30
	VPBROADCASTD admSeventeen<>(SB), Z29
	VPBROADCASTD admFourteen<>(SB), Z26
	VPBROADCASTD admFifteen<>(SB), Z25
	VPBROADCASTQ admLowDword<>(SB), Z24
	VPBROADCASTQ admQ32768<>(SB), Z23
	VPBROADCASTQ admQ16384<>(SB), Z21
	VPBROADCASTQ admQ2p27<>(SB), Z20
	VPBROADCASTQ admQThirtieth<>(SB), Z19
	VPBROADCASTQ admQMinus2p31<>(SB), Z18
	VPXORD Z22, Z22, Z22
	MOVL $0xAAAA, DX
	KMOVW DX, K4
	XORQ SI, SI

floop:
	CMPQ SI, CX
	JGE  fdone
	VMOVDQU32 (AX)(SI*4), Z0 // o
	VMOVDQU32 (BX)(SI*4), Z1 // t

	// shift = 17 - lzcnt(|o|) where |o| >= 2^15 (unsigned), else 0;
	// msb = (|o| + (1 << (shift-1))) >> shift, negated where o < 0 so
	// that the gather takes div's sign from o.
	VPABSD   Z0, Z2
	VPLZCNTD Z2, Z4
	VPCMPUD  $5, Z30, Z2, K1
	VPXORD   Z3, Z3, Z3
	VPSUBD   Z4, Z29, K1, Z3 // shift
	VPSUBD   Z31, Z3, Z4
	VPSLLVD  Z4, Z31, Z4
	VPADDD   Z4, Z2, Z2
	VPSRLVD  Z3, Z2, Z2
	VPMOVD2M Z0, K2          // o < 0
	VPSUBD   Z2, Z22, K2, Z2
	KXNORW   K0, K0, K3
	VPGATHERDD (R8)(Z2*4), K3, Z5

	// X = D*t + int32(1 << (14+shift)) sign-extended; kq = clamp(X >>
	// (15+shift), 0, 32768): even lanes in Z6, odd in Z7.
	VPADDD  Z26, Z3, Z4
	VPSLLVD Z4, Z31, Z4
	VPMULDQ Z1, Z5, Z6
	VPMULDQ Z31, Z4, Z8
	VPADDQ  Z8, Z6, Z6
	VPSRLQ  $32, Z5, Z5
	VPSRLQ  $32, Z1, Z9
	VPMULDQ Z9, Z5, Z7
	VPSRLQ  $32, Z4, Z4
	VPMULDQ Z31, Z4, Z8
	VPADDQ  Z8, Z7, Z7
	VPADDD  Z25, Z3, Z3
	VPANDQ  Z24, Z3, Z8
	VPSRAVQ Z8, Z6, Z6
	VPSRLQ  $32, Z3, Z8
	VPSRAVQ Z8, Z7, Z7
	VPMAXSQ Z22, Z6, Z6
	VPMINSQ Z23, Z6, Z6
	VPMAXSQ Z22, Z7, Z7
	VPMINSQ Z23, Z7, Z7
	VPSLLQ  $32, Z7, Z7
	VMOVDQA32 Z7, K4, Z6 // kq

	// K5: the gain limit applies (kq > 0, o != 0, the angle test).
	VPCMPGTD  Z22, Z6, K5
	VPTESTMD  Z0, Z0, K5, K5
	VMOVDQU32 (R9)(SI*4), Z8
	VPTESTMD  Z8, Z8, K5, K5

	// r = int32((kq*o + 16384) >> 15).
	VPMULDQ   Z0, Z6, Z2
	VPADDQ    Z21, Z2, Z2
	VPSRLQ    $15, Z2, Z2
	VPSRLQ    $32, Z6, Z6
	VPSRLQ    $32, Z0, Z3
	VPMULDQ   Z3, Z6, Z6
	VPADDQ    Z21, Z6, Z6
	VPSLLQ    $17, Z6, Z6
	VMOVDQA32 Z6, K4, Z2 // r

	// Limited as in admDecouple0AVX512.
	VCVTDQ2PD     Y2, Z3
	VMULPD        Z28, Z3, Z3
	VCVTDQ2PD     Y1, Z4
	VMINPD        Z4, Z3, Z5
	VMAXPD        Z4, Z3, K2, Z5
	VCVTTPD2DQ    Z5, Y5
	KSHIFTRW      $8, K2, K2
	VEXTRACTI64X4 $1, Z2, Y3
	VCVTDQ2PD     Y3, Z3
	VMULPD        Z28, Z3, Z3
	VEXTRACTI64X4 $1, Z1, Y4
	VCVTDQ2PD     Y4, Z4
	VMINPD        Z4, Z3, Z8
	VMAXPD        Z4, Z3, K2, Z8
	VCVTTPD2DQ    Z8, Y8
	VINSERTI64X4  $1, Y8, Z5, Z5
	VMOVDQA32     Z5, K5, Z2
	VMOVDQU32     Z2, (R10)(SI*4)

	// a = t - r; c = int32((rf*a + 2^27) >> 28).
	VPSUBD    Z2, Z1, Z1
	VPMULDQ   Z27, Z1, Z2
	VPADDQ    Z20, Z2, Z2
	VPSRLQ    $28, Z2, Z2
	VPSRLQ    $32, Z1, Z1
	VPMULDQ   Z27, Z1, Z1
	VPADDQ    Z20, Z1, Z1
	VPSLLQ    $4, Z1, Z1
	VMOVDQA32 Z1, K4, Z2 // c
	VMOVDQU32 Z2, (R11)(SI*4)

	// cf = int32((143165577*|c| - 2^31) >> 32).
	VPABSD    Z2, Z2
	VPSRLQ    $32, Z2, Z3
	VPMULDQ   Z19, Z2, Z2
	VPMULDQ   Z19, Z3, Z3
	VPADDQ    Z18, Z2, Z2
	VPADDQ    Z18, Z3, Z3
	VPSRLQ    $32, Z2, Z2
	VMOVDQA32 Z3, K4, Z2
	VMOVDQU32 Z2, (R12)(SI*4)

	ADDQ $16, SI
	JMP  floop

fdone:
	VZEROUPPER
	RET
