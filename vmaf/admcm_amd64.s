// AVX2 kernels of ADM's contrast masking (admThrRow16, admPoolRow16,
// admThrRow32 and admPoolRow32 in adm.go); adm_amd64.go says why each
// computes the same integers as the Go loop.

#include "textflag.h"

DATA adm8738<>+0(SB)/4, $8738
GLOBL adm8738<>(SB), RODATA|NOPTR, $4

DATA admCm2048<>+0(SB)/4, $2048
GLOBL admCm2048<>(SB), RODATA|NOPTR, $4

DATA admThirty<>+0(SB)/8, $286331153
GLOBL admThirty<>(SB), RODATA|NOPTR, $8

DATA admMinus2p31<>+0(SB)/8, $-2147483648
GLOBL admMinus2p31<>(SB), RODATA|NOPTR, $8

DATA adm2p27<>+0(SB)/8, $134217728
GLOBL adm2p27<>(SB), RODATA|NOPTR, $8

// func admThr16AVX2(fu, fi, fd, a *int16, n int, thr *int32)
// Each f pointer is at the first output column; the kernel reads one
// element before and one past the n columns.
TEXT ·admThr16AVX2(SB), NOSPLIT, $0-48
	MOVQ fu+0(FP), AX
	MOVQ fi+8(FP), BX
	MOVQ fd+16(FP), DX
	MOVQ a+24(FP), DI
	MOVQ n+32(FP), CX
	MOVQ thr+40(FP), R9
	VPBROADCASTD adm8738<>(SB), Y14
	VPBROADCASTD admCm2048<>(SB), Y13
	XORQ SI, SI

tloop:
	CMPQ SI, CX
	JGE  tdone
	VPMOVSXWD -2(AX)(SI*2), Y0
	VPMOVSXWD (AX)(SI*2), Y1
	VPADDD    Y1, Y0, Y0
	VPMOVSXWD 2(AX)(SI*2), Y1
	VPADDD    Y1, Y0, Y0
	VPMOVSXWD -2(BX)(SI*2), Y1
	VPADDD    Y1, Y0, Y0
	VPMOVSXWD 2(BX)(SI*2), Y1
	VPADDD    Y1, Y0, Y0
	VPMOVSXWD -2(DX)(SI*2), Y1
	VPADDD    Y1, Y0, Y0
	VPMOVSXWD (DX)(SI*2), Y1
	VPADDD    Y1, Y0, Y0
	VPMOVSXWD 2(DX)(SI*2), Y1
	VPADDD    Y1, Y0, Y0

	// The centre: int16((8738*|a| + 2048) >> 12), its low 16 bits.
	VPMOVSXWD (DI)(SI*2), Y1
	VPABSD    Y1, Y1
	VPMULLD   Y14, Y1, Y1
	VPADDD    Y13, Y1, Y1
	VPSRLD    $12, Y1, Y1
	VPSLLD    $16, Y1, Y1
	VPSRAD    $16, Y1, Y1
	VPADDD    Y1, Y0, Y0

	VPADDD  (R9)(SI*4), Y0, Y0
	VMOVDQU Y0, (R9)(SI*4)
	ADDQ    $8, SI
	JMP     tloop

tdone:
	VZEROUPPER
	RET

// func admThr32AVX2(fu, fi, fd, a *int32, n int, thr *int32)
TEXT ·admThr32AVX2(SB), NOSPLIT, $0-48
	MOVQ fu+0(FP), AX
	MOVQ fi+8(FP), BX
	MOVQ fd+16(FP), DX
	MOVQ a+24(FP), DI
	MOVQ n+32(FP), CX
	MOVQ thr+40(FP), R9
	VPBROADCASTQ admThirty<>(SB), Y14
	VPBROADCASTQ admMinus2p31<>(SB), Y13
	XORQ SI, SI

uloop:
	CMPQ SI, CX
	JGE  udone
	VMOVDQU -4(AX)(SI*4), Y0
	VPADDD  (AX)(SI*4), Y0, Y0
	VPADDD  4(AX)(SI*4), Y0, Y0
	VPADDD  -4(BX)(SI*4), Y0, Y0
	VPADDD  4(BX)(SI*4), Y0, Y0
	VPADDD  -4(DX)(SI*4), Y0, Y0
	VPADDD  (DX)(SI*4), Y0, Y0
	VPADDD  4(DX)(SI*4), Y0, Y0

	// The centre: the high dword of 286331153*|a| - 2^31, with |INT_MIN|
	// staying INT_MIN as abs32 leaves it; even lanes, then odd lanes.
	VMOVDQU  (DI)(SI*4), Y1
	VPABSD   Y1, Y1
	VPSRLQ   $32, Y1, Y2
	VPMULDQ  Y14, Y1, Y1
	VPMULDQ  Y14, Y2, Y2
	VPADDQ   Y13, Y1, Y1
	VPADDQ   Y13, Y2, Y2
	VPSRLQ   $32, Y1, Y1
	VPBLENDD $0xAA, Y2, Y1, Y1
	VPADDD   Y1, Y0, Y0

	VPADDD  (R9)(SI*4), Y0, Y0
	VMOVDQU Y0, (R9)(SI*4)
	ADDQ    $8, SI
	JMP     uloop

udone:
	VZEROUPPER
	RET

// POOL adds, for the 8 masked values x (int32 lanes, >= 0) in Y0, the
// terms ((int32((x*x + sqAdd) >> sqSh))*x + cubAdd) >> cubSh to the four
// qword sums in Y9. Y13 holds sqAdd, X12 sqSh, Y11 cubAdd + 2^63 and X10
// cubSh: a logical shift of the biased sum is the arithmetic shift plus
// 2^(63-cubSh), which the caller takes off. Clobbers Y1-Y3.
#define POOL \
	VPSRLQ   $32, Y0, Y1; \
	VPMULUDQ Y0, Y0, Y2; \
	VPMULUDQ Y1, Y1, Y3; \
	VPADDQ   Y13, Y2, Y2; \
	VPADDQ   Y13, Y3, Y3; \
	VPSRLQ   X12, Y2, Y2; \
	VPSRLQ   X12, Y3, Y3; \
	VPMULDQ  Y0, Y2, Y2; \
	VPMULDQ  Y1, Y3, Y3; \
	VPADDQ   Y11, Y2, Y2; \
	VPADDQ   Y11, Y3, Y3; \
	VPSRLQ   X10, Y2, Y2; \
	VPSRLQ   X10, Y3, Y3; \
	VPADDQ   Y2, Y9, Y9; \
	VPADDQ   Y3, Y9, Y9

// SUM4 stores the sum of the four qwords of Y9 in AX.
#define SUM4 \
	VEXTRACTI128 $1, Y9, X1; \
	VPADDQ       X1, X9, X9; \
	VPSHUFD      $0x4E, X9, X1; \
	VPADDQ       X1, X9, X9; \
	VMOVQ        X9, AX

// func admPool16AVX2(r *int16, thr *int32, n int, rw int32, sub uint, p *admPoolConsts) uint64
TEXT ·admPool16AVX2(SB), NOSPLIT, $0-56
	MOVQ r+0(FP), AX
	MOVQ thr+8(FP), BX
	MOVQ n+16(FP), CX
	MOVL rw+24(FP), DX
	VMOVD DX, X15
	VPBROADCASTD X15, Y15
	VMOVQ sub+32(FP), X14
	MOVQ p+40(FP), DX
	VPBROADCASTQ 0(DX), Y13
	VMOVQ 8(DX), X12
	VPBROADCASTQ 16(DX), Y11
	VMOVQ 24(DX), X10
	VPXOR Y9, Y9, Y9
	VPXOR Y8, Y8, Y8
	XORQ SI, SI

ploop:
	CMPQ SI, CX
	JGE  pdone

	// x = max(|r*rw| - thr<<sub, 0), all in wrapping int32.
	VPMOVSXWD (AX)(SI*2), Y0
	VPMULLD   Y15, Y0, Y0
	VPABSD    Y0, Y0
	VMOVDQU   (BX)(SI*4), Y1
	VPSLLD    X14, Y1, Y1
	VPSUBD    Y1, Y0, Y0
	VPMAXSD   Y8, Y0, Y0
	POOL
	ADDQ $8, SI
	JMP  ploop

pdone:
	SUM4
	MOVQ AX, ret+48(FP)
	VZEROUPPER
	RET

// func admPool32AVX2(r, thr *int32, n int, rf int64, p *admPoolConsts) uint64
TEXT ·admPool32AVX2(SB), NOSPLIT, $0-48
	MOVQ r+0(FP), AX
	MOVQ thr+8(FP), BX
	MOVQ n+16(FP), CX
	VPBROADCASTQ rf+24(FP), Y15
	VPBROADCASTQ adm2p27<>(SB), Y14
	MOVQ p+32(FP), DX
	VPBROADCASTQ 0(DX), Y13
	VMOVQ 8(DX), X12
	VPBROADCASTQ 16(DX), Y11
	VMOVQ 24(DX), X10
	VPXOR Y9, Y9, Y9
	VPXOR Y8, Y8, Y8
	XORQ SI, SI

qloop:
	CMPQ SI, CX
	JGE  qdone

	// int32((r*rf + 2^27) >> 28) is bits 28-59 of the product: shifted
	// down into the low dword for even lanes, up into the high dword for
	// odd lanes.
	VMOVDQU  (AX)(SI*4), Y0
	VPSRLQ   $32, Y0, Y1
	VPMULDQ  Y15, Y0, Y0
	VPMULDQ  Y15, Y1, Y1
	VPADDQ   Y14, Y0, Y0
	VPADDQ   Y14, Y1, Y1
	VPSRLQ   $28, Y0, Y0
	VPSLLQ   $4, Y1, Y1
	VPBLENDD $0xAA, Y1, Y0, Y0

	// x = max(|x| - thr, 0) in wrapping int32.
	VPABSD  Y0, Y0
	VPSUBD  (BX)(SI*4), Y0, Y0
	VPMAXSD Y8, Y0, Y0
	POOL
	ADDQ $8, SI
	JMP  qloop

qdone:
	SUM4
	MOVQ AX, ret+40(FP)
	VZEROUPPER
	RET

// func admCubes16AVX2(b *int16, n int) uint64
TEXT ·admCubes16AVX2(SB), NOSPLIT, $0-24
	MOVQ b+0(FP), AX
	MOVQ n+8(FP), CX
	VPXOR Y9, Y9, Y9
	XORQ SI, SI

cloop:
	CMPQ SI, CX
	JGE  cdone

	// |x|² fits 31 bits, so |x|³ is a 32x32-bit unsigned product.
	VPMOVSXWD (AX)(SI*2), Y0
	VPABSD    Y0, Y0
	VPMULLD   Y0, Y0, Y1
	VPMULUDQ  Y0, Y1, Y2
	VPSRLQ    $32, Y0, Y0
	VPSRLQ    $32, Y1, Y1
	VPMULUDQ  Y0, Y1, Y3
	VPADDQ    Y2, Y9, Y9
	VPADDQ    Y3, Y9, Y9
	ADDQ      $8, SI
	JMP       cloop

cdone:
	SUM4
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET
