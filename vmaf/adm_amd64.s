// AVX2 kernel of the vertical pass of adm_dwt2_8/16 (admDwt0Vert in
// adm.go); adm_amd64.go says why it computes the same integers.

#include "textflag.h"

DATA admDwtLo<>+0(SB)/4, $15826
DATA admDwtLo<>+4(SB)/4, $27411
DATA admDwtLo<>+8(SB)/4, $7345
DATA admDwtLo<>+12(SB)/4, $-4240
GLOBL admDwtLo<>(SB), RODATA|NOPTR, $16

DATA admMask16<>+0(SB)/4, $0xffff
GLOBL admMask16<>(SB), RODATA|NOPTR, $4

// func admDwt0VertAVX2(r0, r1, r2, r3 *uint16, n int, addLo, addHi int32, sh uint, tlo, thi *int16)
TEXT ·admDwt0VertAVX2(SB), NOSPLIT, $0-72
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), BX
	MOVQ r2+16(FP), DX
	MOVQ r3+24(FP), DI
	MOVQ n+32(FP), CX
	MOVL addLo+40(FP), R8
	VMOVD R8, X12
	VPBROADCASTD X12, Y12
	MOVL addHi+44(FP), R8
	VMOVD R8, X13
	VPBROADCASTD X13, Y13
	VMOVQ sh+48(FP), X14
	MOVQ tlo+56(FP), R9
	MOVQ thi+64(FP), R10
	VPBROADCASTD admDwtLo<>+0(SB), Y8
	VPBROADCASTD admDwtLo<>+4(SB), Y9
	VPBROADCASTD admDwtLo<>+8(SB), Y10
	VPBROADCASTD admDwtLo<>+12(SB), Y11
	VPBROADCASTD admMask16<>(SB), Y15
	XORQ SI, SI

loop:
	CMPQ SI, CX
	JGE  done
	VPMOVZXWD (AX)(SI*2), Y0
	VPMOVZXWD (BX)(SI*2), Y1
	VPMOVZXWD (DX)(SI*2), Y2
	VPMOVZXWD (DI)(SI*2), Y3

	// lo = 15826*s0 + 27411*s1 + 7345*s2 - 4240*s3 + addLo
	VPMULLD Y8, Y0, Y4
	VPMULLD Y9, Y1, Y5
	VPADDD  Y5, Y4, Y4
	VPMULLD Y10, Y2, Y5
	VPADDD  Y5, Y4, Y4
	VPMULLD Y11, Y3, Y5
	VPADDD  Y5, Y4, Y4
	VPADDD  Y12, Y4, Y4
	VPSRAD  X14, Y4, Y4

	// hi = -4240*s0 - 7345*s1 + 27411*s2 - 15826*s3 + addHi
	VPMULLD Y11, Y0, Y6
	VPMULLD Y10, Y1, Y5
	VPSUBD  Y5, Y6, Y6
	VPMULLD Y9, Y2, Y5
	VPADDD  Y5, Y6, Y6
	VPMULLD Y8, Y3, Y5
	VPSUBD  Y5, Y6, Y6
	VPADDD  Y13, Y6, Y6
	VPSRAD  X14, Y6, Y6

	// Keep the low 16 bits of each lane (Go's int16 conversion).
	VPAND        Y15, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPACKUSDW    X5, X4, X4
	VMOVDQU      X4, (R9)(SI*2)
	VPAND        Y15, Y6, Y6
	VEXTRACTI128 $1, Y6, X5
	VPACKUSDW    X5, X6, X6
	VMOVDQU      X6, (R10)(SI*2)

	ADDQ $8, SI
	JMP  loop

done:
	VZEROUPPER
	RET

// Word pairs of the DWT taps for VPMADDWD: (15826, 27411), (7345, -4240),
// (-4240, -7345), (27411, -15826), low word first.
DATA admDwtPairs<>+0(SB)/4, $0x6B133DD2
DATA admDwtPairs<>+4(SB)/4, $0xEF701CB1
DATA admDwtPairs<>+8(SB)/4, $0xE34FEF70
DATA admDwtPairs<>+12(SB)/4, $0xC22E6B13
GLOBL admDwtPairs<>(SB), RODATA|NOPTR, $16

DATA admRnd2p15<>+0(SB)/4, $32768
GLOBL admRnd2p15<>(SB), RODATA|NOPTR, $4

// func admDwt0HorizAVX2(lo, hi *int16, n int, a, v, h, d *int16)
TEXT ·admDwt0HorizAVX2(SB), NOSPLIT, $0-56
	MOVQ lo+0(FP), AX
	MOVQ hi+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ a+24(FP), R9
	MOVQ v+32(FP), R10
	MOVQ h+40(FP), R11
	MOVQ d+48(FP), R12
	VPBROADCASTD admDwtPairs<>+0(SB), Y8
	VPBROADCASTD admDwtPairs<>+4(SB), Y9
	VPBROADCASTD admDwtPairs<>+8(SB), Y10
	VPBROADCASTD admDwtPairs<>+12(SB), Y11
	VPBROADCASTD admRnd2p15<>(SB), Y14
	VPBROADCASTD admMask16<>(SB), Y15
	XORQ SI, SI

hloop:
	CMPQ SI, CX
	JGE  hdone

	// Output m reads samples 2m..2m+3 from the pointer: (s0, s1) is word
	// pair m of the load at 0, (s2, s3) word pair m of the load at +2.
	VMOVDQU (AX)(SI*4), Y0
	VMOVDQU 4(AX)(SI*4), Y1
	VMOVDQU (BX)(SI*4), Y2
	VMOVDQU 4(BX)(SI*4), Y3

	VPMADDWD Y8, Y0, Y4
	VPMADDWD Y9, Y1, Y5
	VPADDD   Y5, Y4, Y4
	VPADDD   Y14, Y4, Y4
	VPSRAD   $16, Y4, Y4
	VPAND        Y15, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPACKUSDW    X5, X4, X4
	VMOVDQU      X4, (R9)(SI*2)

	VPMADDWD Y10, Y0, Y4
	VPMADDWD Y11, Y1, Y5
	VPADDD   Y5, Y4, Y4
	VPADDD   Y14, Y4, Y4
	VPSRAD   $16, Y4, Y4
	VPAND        Y15, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPACKUSDW    X5, X4, X4
	VMOVDQU      X4, (R10)(SI*2)

	VPMADDWD Y8, Y2, Y4
	VPMADDWD Y9, Y3, Y5
	VPADDD   Y5, Y4, Y4
	VPADDD   Y14, Y4, Y4
	VPSRAD   $16, Y4, Y4
	VPAND        Y15, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPACKUSDW    X5, X4, X4
	VMOVDQU      X4, (R11)(SI*2)

	VPMADDWD Y10, Y2, Y4
	VPMADDWD Y11, Y3, Y5
	VPADDD   Y5, Y4, Y4
	VPADDD   Y14, Y4, Y4
	VPSRAD   $16, Y4, Y4
	VPAND        Y15, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPACKUSDW    X5, X4, X4
	VMOVDQU      X4, (R12)(SI*2)

	ADDQ $8, SI
	JMP  hloop

hdone:
	VZEROUPPER
	RET

// Qword taps of the DWT for VPMULDQ: low-pass then high-pass.
DATA admDwtQ<>+0(SB)/8, $15826
DATA admDwtQ<>+8(SB)/8, $27411
DATA admDwtQ<>+16(SB)/8, $7345
DATA admDwtQ<>+24(SB)/8, $-4240
DATA admDwtQ<>+32(SB)/8, $-4240
DATA admDwtQ<>+40(SB)/8, $-7345
DATA admDwtQ<>+48(SB)/8, $27411
DATA admDwtQ<>+56(SB)/8, $-15826
GLOBL admDwtQ<>(SB), RODATA|NOPTR, $64

// DWTS4 sets Y4 (low-pass) and Y5 (high-pass) to the 64-bit sums of the
// taps on the low dwords of the qwords of Y0-Y3 (s0..s3), plus Y13.
// Y8-Y11 hold the low-pass taps; the high-pass ones are (c3, -c2, c1,
// -c0). Clobbers Y6.
#define DWTS4 \
	VPMULDQ Y8, Y0, Y4; \
	VPMULDQ Y11, Y0, Y5; \
	VPMULDQ Y9, Y1, Y6; \
	VPADDQ  Y6, Y4, Y4; \
	VPMULDQ Y10, Y1, Y6; \
	VPSUBQ  Y6, Y5, Y5; \
	VPMULDQ Y10, Y2, Y6; \
	VPADDQ  Y6, Y4, Y4; \
	VPMULDQ Y9, Y2, Y6; \
	VPADDQ  Y6, Y5, Y5; \
	VPMULDQ Y11, Y3, Y6; \
	VPADDQ  Y6, Y4, Y4; \
	VPMULDQ Y8, Y3, Y6; \
	VPSUBQ  Y6, Y5, Y5; \
	VPADDQ  Y13, Y4, Y4; \
	VPADDQ  Y13, Y5, Y5

// func admDwtSVertAVX2(r0, r1, r2, r3 *int32, n int, add int64, sh uint, tlo, thi *int32)
TEXT ·admDwtSVertAVX2(SB), NOSPLIT, $0-72
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), BX
	MOVQ r2+16(FP), DX
	MOVQ r3+24(FP), DI
	MOVQ n+32(FP), CX
	VPBROADCASTQ add+40(FP), Y13
	MOVQ sh+48(FP), R8
	VMOVQ R8, X14
	MOVQ $32, R11
	SUBQ R8, R11
	VMOVQ R11, X15
	MOVQ tlo+56(FP), R9
	MOVQ thi+64(FP), R10
	VPBROADCASTQ admDwtQ<>+0(SB), Y8
	VPBROADCASTQ admDwtQ<>+8(SB), Y9
	VPBROADCASTQ admDwtQ<>+16(SB), Y10
	VPBROADCASTQ admDwtQ<>+24(SB), Y11
	XORQ SI, SI

vloop:
	CMPQ SI, CX
	JGE  vdone

	// Even columns: bits sh..sh+31 of each sum shifted down into the
	// low dword; odd columns: shifted up into the high dword.
	VMOVDQU (AX)(SI*4), Y0
	VMOVDQU (BX)(SI*4), Y1
	VMOVDQU (DX)(SI*4), Y2
	VMOVDQU (DI)(SI*4), Y3
	DWTS4
	VPSRLQ X14, Y4, Y12
	VPSRLQ X14, Y5, Y7
	VPSRLQ $32, Y0, Y0
	VPSRLQ $32, Y1, Y1
	VPSRLQ $32, Y2, Y2
	VPSRLQ $32, Y3, Y3
	DWTS4
	VPSLLQ   X15, Y4, Y4
	VPSLLQ   X15, Y5, Y5
	VPBLENDD $0xAA, Y4, Y12, Y12
	VPBLENDD $0xAA, Y5, Y7, Y7
	VMOVDQU  Y12, (R9)(SI*4)
	VMOVDQU  Y7, (R10)(SI*4)

	ADDQ $8, SI
	JMP  vloop

vdone:
	VZEROUPPER
	RET

// DWTSH sets Y12 to 8 dwords: bits sh..sh+31 (X14) of the sums of the
// taps whose pairs are at 0(R)(SI*8) and 8(R)(SI*8) and of those 32
// bytes on, with T8-T11 the taps and Y13 the rounding. Qword m of the
// first load holds samples (2m, 2m+1) of output m, of the second
// (2m+2, 2m+3). Clobbers Y0-Y5 and Y7.
#define DWTSH(R, T8, T9, T10, T11) \
	VMOVDQU  0(R)(SI*8), Y0; \
	VMOVDQU  8(R)(SI*8), Y2; \
	VPSRLQ   $32, Y0, Y1; \
	VPSRLQ   $32, Y2, Y3; \
	VPMULDQ  T8, Y0, Y4; \
	VPMULDQ  T9, Y1, Y5; \
	VPADDQ   Y5, Y4, Y4; \
	VPMULDQ  T10, Y2, Y5; \
	VPADDQ   Y5, Y4, Y4; \
	VPMULDQ  T11, Y3, Y5; \
	VPADDQ   Y5, Y4, Y4; \
	VPADDQ   Y13, Y4, Y4; \
	VPSRLQ   X14, Y4, Y7; \
	VMOVDQU  32(R)(SI*8), Y0; \
	VMOVDQU  40(R)(SI*8), Y2; \
	VPSRLQ   $32, Y0, Y1; \
	VPSRLQ   $32, Y2, Y3; \
	VPMULDQ  T8, Y0, Y4; \
	VPMULDQ  T9, Y1, Y5; \
	VPADDQ   Y5, Y4, Y4; \
	VPMULDQ  T10, Y2, Y5; \
	VPADDQ   Y5, Y4, Y4; \
	VPMULDQ  T11, Y3, Y5; \
	VPADDQ   Y5, Y4, Y4; \
	VPADDQ   Y13, Y4, Y4; \
	VPSRLQ   X14, Y4, Y4; \
	VSHUFPS  $0x88, Y4, Y7, Y12; \
	VPERMQ   $0xD8, Y12, Y12

// func admDwtSHorizAVX2(lo, hi *int32, n int, add int64, sh uint, a, v, h, d *int32)
TEXT ·admDwtSHorizAVX2(SB), NOSPLIT, $0-72
	MOVQ lo+0(FP), AX
	MOVQ hi+8(FP), BX
	MOVQ n+16(FP), CX
	VPBROADCASTQ add+24(FP), Y13
	VMOVQ sh+32(FP), X14
	MOVQ a+40(FP), R9
	MOVQ v+48(FP), R10
	MOVQ h+56(FP), R11
	MOVQ d+64(FP), R12
	VPBROADCASTQ admDwtQ<>+0(SB), Y8
	VPBROADCASTQ admDwtQ<>+8(SB), Y9
	VPBROADCASTQ admDwtQ<>+16(SB), Y10
	VPBROADCASTQ admDwtQ<>+24(SB), Y11
	VPBROADCASTQ admDwtQ<>+40(SB), Y15
	VPBROADCASTQ admDwtQ<>+56(SB), Y6
	XORQ SI, SI

hsloop:
	CMPQ SI, CX
	JGE  hsdone
	DWTSH(AX, Y8, Y9, Y10, Y11)
	VMOVDQU Y12, (R9)(SI*4)
	DWTSH(BX, Y8, Y9, Y10, Y11)
	VMOVDQU Y12, (R11)(SI*4)

	// The high-pass taps: -4240, -7345, 27411, -15826.
	DWTSH(AX, Y11, Y15, Y9, Y6)
	VMOVDQU Y12, (R10)(SI*4)
	DWTSH(BX, Y11, Y15, Y9, Y6)
	VMOVDQU Y12, (R12)(SI*4)

	ADDQ $8, SI
	JMP  hsloop

hsdone:
	VZEROUPPER
	RET

// func admDwt0VertAVX512(r0, r1, r2, r3 *uint16, n int, addLo, addHi int32, sh uint, tlo, thi *int16)
// admDwt0VertAVX2 on 16 columns at a time; the truncating stores keep the
// low 16 bits of each lane.
TEXT ·admDwt0VertAVX512(SB), NOSPLIT, $0-72
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), BX
	MOVQ r2+16(FP), DX
	MOVQ r3+24(FP), DI
	MOVQ n+32(FP), CX
	MOVL addLo+40(FP), R8
	VPBROADCASTD R8, Z12
	MOVL addHi+44(FP), R8
	VPBROADCASTD R8, Z13
	VMOVQ sh+48(FP), X14
	MOVQ tlo+56(FP), R9
	MOVQ thi+64(FP), R10
	VPBROADCASTD admDwtLo<>+0(SB), Z8
	VPBROADCASTD admDwtLo<>+4(SB), Z9
	VPBROADCASTD admDwtLo<>+8(SB), Z10
	VPBROADCASTD admDwtLo<>+12(SB), Z11
	XORQ SI, SI

zloop:
	CMPQ SI, CX
	JGE  zdone
	VPMOVZXWD (AX)(SI*2), Z0
	VPMOVZXWD (BX)(SI*2), Z1
	VPMOVZXWD (DX)(SI*2), Z2
	VPMOVZXWD (DI)(SI*2), Z3

	VPMULLD Z8, Z0, Z4
	VPMULLD Z9, Z1, Z5
	VPADDD  Z5, Z4, Z4
	VPMULLD Z10, Z2, Z5
	VPADDD  Z5, Z4, Z4
	VPMULLD Z11, Z3, Z5
	VPADDD  Z5, Z4, Z4
	VPADDD  Z12, Z4, Z4
	VPSRAD  X14, Z4, Z4
	VPMOVDW Z4, (R9)(SI*2)

	VPMULLD Z11, Z0, Z6
	VPMULLD Z10, Z1, Z5
	VPSUBD  Z5, Z6, Z6
	VPMULLD Z9, Z2, Z5
	VPADDD  Z5, Z6, Z6
	VPMULLD Z8, Z3, Z5
	VPSUBD  Z5, Z6, Z6
	VPADDD  Z13, Z6, Z6
	VPSRAD  X14, Z6, Z6
	VPMOVDW Z6, (R10)(SI*2)

	ADDQ $16, SI
	JMP  zloop

zdone:
	VZEROUPPER
	RET

// func admDwt0HorizAVX512(lo, hi *int16, n int, a, v, h, d *int16)
// admDwt0HorizAVX2 on 16 output columns at a time.
TEXT ·admDwt0HorizAVX512(SB), NOSPLIT, $0-56
	MOVQ lo+0(FP), AX
	MOVQ hi+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ a+24(FP), R9
	MOVQ v+32(FP), R10
	MOVQ h+40(FP), R11
	MOVQ d+48(FP), R12
	VPBROADCASTD admDwtPairs<>+0(SB), Z8
	VPBROADCASTD admDwtPairs<>+4(SB), Z9
	VPBROADCASTD admDwtPairs<>+8(SB), Z10
	VPBROADCASTD admDwtPairs<>+12(SB), Z11
	VPBROADCASTD admRnd2p15<>(SB), Z14
	XORQ SI, SI

wloop:
	CMPQ SI, CX
	JGE  wdone
	VMOVDQU64 (AX)(SI*4), Z0
	VMOVDQU64 4(AX)(SI*4), Z1
	VMOVDQU64 (BX)(SI*4), Z2
	VMOVDQU64 4(BX)(SI*4), Z3

	VPMADDWD Z8, Z0, Z4
	VPMADDWD Z9, Z1, Z5
	VPADDD   Z5, Z4, Z4
	VPADDD   Z14, Z4, Z4
	VPSRAD   $16, Z4, Z4
	VPMOVDW  Z4, (R9)(SI*2)

	VPMADDWD Z10, Z0, Z4
	VPMADDWD Z11, Z1, Z5
	VPADDD   Z5, Z4, Z4
	VPADDD   Z14, Z4, Z4
	VPSRAD   $16, Z4, Z4
	VPMOVDW  Z4, (R10)(SI*2)

	VPMADDWD Z8, Z2, Z4
	VPMADDWD Z9, Z3, Z5
	VPADDD   Z5, Z4, Z4
	VPADDD   Z14, Z4, Z4
	VPSRAD   $16, Z4, Z4
	VPMOVDW  Z4, (R11)(SI*2)

	VPMADDWD Z10, Z2, Z4
	VPMADDWD Z11, Z3, Z5
	VPADDD   Z5, Z4, Z4
	VPADDD   Z14, Z4, Z4
	VPSRAD   $16, Z4, Z4
	VPMOVDW  Z4, (R12)(SI*2)

	ADDQ $16, SI
	JMP  wloop

wdone:
	VZEROUPPER
	RET

// DWTS8 is DWTS4 on zmm registers: Z4 (low-pass) and Z5 (high-pass) from
// the low dwords of the qwords of Z0-Z3, taps in Z8-Z11, rounding in Z13.
#define DWTS8 \
	VPMULDQ Z8, Z0, Z4; \
	VPMULDQ Z11, Z0, Z5; \
	VPMULDQ Z9, Z1, Z6; \
	VPADDQ  Z6, Z4, Z4; \
	VPMULDQ Z10, Z1, Z6; \
	VPSUBQ  Z6, Z5, Z5; \
	VPMULDQ Z10, Z2, Z6; \
	VPADDQ  Z6, Z4, Z4; \
	VPMULDQ Z9, Z2, Z6; \
	VPADDQ  Z6, Z5, Z5; \
	VPMULDQ Z11, Z3, Z6; \
	VPADDQ  Z6, Z4, Z4; \
	VPMULDQ Z8, Z3, Z6; \
	VPSUBQ  Z6, Z5, Z5; \
	VPADDQ  Z13, Z4, Z4; \
	VPADDQ  Z13, Z5, Z5

// func admDwtSVertAVX512(r0, r1, r2, r3 *int32, n int, add int64, sh uint, tlo, thi *int32)
// admDwtSVertAVX2 on 16 columns at a time; K4 selects the odd dwords.
TEXT ·admDwtSVertAVX512(SB), NOSPLIT, $0-72
	MOVQ r0+0(FP), AX
	MOVQ r1+8(FP), BX
	MOVQ r2+16(FP), DX
	MOVQ r3+24(FP), DI
	MOVQ n+32(FP), CX
	VPBROADCASTQ add+40(FP), Z13
	MOVQ sh+48(FP), R8
	VMOVQ R8, X14
	MOVQ $32, R11
	SUBQ R8, R11
	VMOVQ R11, X15
	MOVQ tlo+56(FP), R9
	MOVQ thi+64(FP), R10
	VPBROADCASTQ admDwtQ<>+0(SB), Z8
	VPBROADCASTQ admDwtQ<>+8(SB), Z9
	VPBROADCASTQ admDwtQ<>+16(SB), Z10
	VPBROADCASTQ admDwtQ<>+24(SB), Z11
	MOVL $0xAAAA, R8
	KMOVW R8, K4
	XORQ SI, SI

xloop:
	CMPQ SI, CX
	JGE  xdone
	VMOVDQU32 (AX)(SI*4), Z0
	VMOVDQU32 (BX)(SI*4), Z1
	VMOVDQU32 (DX)(SI*4), Z2
	VMOVDQU32 (DI)(SI*4), Z3
	DWTS8
	VPSRLQ X14, Z4, Z12
	VPSRLQ X14, Z5, Z7
	VPSRLQ $32, Z0, Z0
	VPSRLQ $32, Z1, Z1
	VPSRLQ $32, Z2, Z2
	VPSRLQ $32, Z3, Z3
	DWTS8
	VPSLLQ    X15, Z4, Z4
	VPSLLQ    X15, Z5, Z5
	VMOVDQA32 Z4, K4, Z12
	VMOVDQA32 Z5, K4, Z7
	VMOVDQU32 Z12, (R9)(SI*4)
	VMOVDQU32 Z7, (R10)(SI*4)

	ADDQ $16, SI
	JMP  xloop

xdone:
	VZEROUPPER
	RET

// DWTSH8 stores to 0(D)(SI*4) the 8 dwords of bits sh..sh+31 (X14) of
// the tap sums of outputs SI+OFF.. whose sample pairs are at OFF*8(R) and
// OFF*8+8(R) (qword m: samples (2m, 2m+1) and (2m+2, 2m+3)), with taps
// T8-T11 and rounding Z13. Clobbers Z0-Z5.
#define DWTSH8(R, OFF, D, T8, T9, T10, T11) \
	VMOVDQU64 (OFF*8)(R)(SI*8), Z0; \
	VMOVDQU64 (OFF*8+8)(R)(SI*8), Z2; \
	VPSRLQ    $32, Z0, Z1; \
	VPSRLQ    $32, Z2, Z3; \
	VPMULDQ   T8, Z0, Z4; \
	VPMULDQ   T9, Z1, Z5; \
	VPADDQ    Z5, Z4, Z4; \
	VPMULDQ   T10, Z2, Z5; \
	VPADDQ    Z5, Z4, Z4; \
	VPMULDQ   T11, Z3, Z5; \
	VPADDQ    Z5, Z4, Z4; \
	VPADDQ    Z13, Z4, Z4; \
	VPSRLQ    X14, Z4, Z4; \
	VPMOVQD   Z4, (OFF*4)(D)(SI*4)

// func admDwtSHorizAVX512(lo, hi *int32, n int, add int64, sh uint, a, v, h, d *int32)
// admDwtSHorizAVX2 on 16 output columns at a time; VPMOVQD keeps the low
// dword of each sum.
TEXT ·admDwtSHorizAVX512(SB), NOSPLIT, $0-72
	MOVQ lo+0(FP), AX
	MOVQ hi+8(FP), BX
	MOVQ n+16(FP), CX
	VPBROADCASTQ add+24(FP), Z13
	VMOVQ sh+32(FP), X14
	MOVQ a+40(FP), R9
	MOVQ v+48(FP), R10
	MOVQ h+56(FP), R11
	MOVQ d+64(FP), R12
	VPBROADCASTQ admDwtQ<>+0(SB), Z8
	VPBROADCASTQ admDwtQ<>+8(SB), Z9
	VPBROADCASTQ admDwtQ<>+16(SB), Z10
	VPBROADCASTQ admDwtQ<>+24(SB), Z11
	VPBROADCASTQ admDwtQ<>+40(SB), Z15
	VPBROADCASTQ admDwtQ<>+56(SB), Z6
	XORQ SI, SI

yloop:
	CMPQ SI, CX
	JGE  ydone
	DWTSH8(AX, 0, R9, Z8, Z9, Z10, Z11)
	DWTSH8(AX, 8, R9, Z8, Z9, Z10, Z11)
	DWTSH8(BX, 0, R11, Z8, Z9, Z10, Z11)
	DWTSH8(BX, 8, R11, Z8, Z9, Z10, Z11)

	// The high-pass taps: -4240, -7345, 27411, -15826.
	DWTSH8(AX, 0, R10, Z11, Z15, Z9, Z6)
	DWTSH8(AX, 8, R10, Z11, Z15, Z9, Z6)
	DWTSH8(BX, 0, R12, Z11, Z15, Z9, Z6)
	DWTSH8(BX, 8, R12, Z11, Z15, Z9, Z6)

	ADDQ $16, SI
	JMP  yloop

ydone:
	VZEROUPPER
	RET
