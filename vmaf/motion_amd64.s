// AVX2 kernels of the motion SAD (motion.go); motion_amd64.go says why
// they compute the same integers as the Go loops.

#include "textflag.h"

DATA motionTaps<>+0(SB)/4, $3571
DATA motionTaps<>+4(SB)/4, $16004
DATA motionTaps<>+8(SB)/4, $26386
GLOBL motionTaps<>(SB), RODATA|NOPTR, $12

// 2^47 + 2^15: the rounding of >> 16 plus a bias that makes every sum
// non-negative, so that a logical shift is the arithmetic one plus 2^31.
DATA motionBias<>+0(SB)/8, $0x0000800000008000
GLOBL motionBias<>(SB), RODATA|NOPTR, $8

DATA motionLow32<>+0(SB)/8, $0x00000000ffffffff
GLOBL motionLow32<>(SB), RODATA|NOPTR, $8

// func motionVertAVX2(rows *[10]*uint16, n int, rnd int32, sh uint, out *int64) (any bool)
TEXT ·motionVertAVX2(SB), NOSPLIT, $0-41
	MOVQ rows+0(FP), DI
	MOVQ n+8(FP), CX
	MOVL rnd+16(FP), R8
	VMOVD R8, X13
	VPBROADCASTD X13, Y13
	VMOVQ sh+24(FP), X14
	MOVQ out+32(FP), R9
	VPBROADCASTD motionTaps<>+0(SB), Y10
	VPBROADCASTD motionTaps<>+4(SB), Y11
	VPBROADCASTD motionTaps<>+8(SB), Y12
	MOVQ 0(DI), AX
	MOVQ 8(DI), BX
	MOVQ 16(DI), DX
	MOVQ 24(DI), R10
	MOVQ 32(DI), R11
	MOVQ 40(DI), R12
	MOVQ 48(DI), R13
	MOVQ 56(DI), R14
	MOVQ 64(DI), R8
	MOVQ 72(DI), DI
	VPXOR Y15, Y15, Y15
	XORQ SI, SI

vloop:
	CMPQ SI, CX
	JGE  vdone
	// d_k = prev_k - cur_k; acc = Σ tap_k·d_k
	VPMOVZXWD (AX)(SI*2), Y0
	VPMOVZXWD (R12)(SI*2), Y1
	VPSUBD    Y1, Y0, Y0
	VPMOVZXWD (R11)(SI*2), Y1
	VPMOVZXWD (DI)(SI*2), Y2
	VPSUBD    Y2, Y1, Y1
	VPADDD    Y1, Y0, Y0
	VPMULLD   Y10, Y0, Y0
	VPMOVZXWD (BX)(SI*2), Y1
	VPMOVZXWD (R13)(SI*2), Y2
	VPSUBD    Y2, Y1, Y1
	VPMOVZXWD (R10)(SI*2), Y2
	VPMOVZXWD (R8)(SI*2), Y3
	VPSUBD    Y3, Y2, Y2
	VPADDD    Y2, Y1, Y1
	VPMULLD   Y11, Y1, Y1
	VPADDD    Y1, Y0, Y0
	VPMOVZXWD (DX)(SI*2), Y1
	VPMOVZXWD (R14)(SI*2), Y2
	VPSUBD    Y2, Y1, Y1
	VPMULLD   Y12, Y1, Y1
	VPADDD    Y1, Y0, Y0
	VPADDD    Y13, Y0, Y0
	VPSRAD    X14, Y0, Y0
	VPOR      Y0, Y15, Y15
	VPMOVSXDQ X0, Y1
	VEXTRACTI128 $1, Y0, X2
	VPMOVSXDQ X2, Y2
	VMOVDQU   Y1, (R9)(SI*8)
	VMOVDQU   Y2, 32(R9)(SI*8)
	ADDQ $8, SI
	JMP  vloop

vdone:
	VPTEST Y15, Y15
	SETNE  any+40(FP)
	VZEROUPPER
	RET

// func motionHorizAVX2(row *int64, n int) (sad uint32)
TEXT ·motionHorizAVX2(SB), NOSPLIT, $0-20
	MOVQ row+0(FP), AX
	MOVQ n+8(FP), CX
	VPBROADCASTD motionTaps<>+0(SB), Y10
	VPBROADCASTD motionTaps<>+4(SB), Y11
	VPBROADCASTD motionTaps<>+8(SB), Y12
	VPBROADCASTQ motionBias<>(SB), Y13
	VPBROADCASTQ motionLow32<>(SB), Y14
	VPXOR Y15, Y15, Y15
	XORQ SI, SI

hloop:
	CMPQ SI, CX
	JGE  hdone
	// Four outputs j..j+3 from row[j..j+7]; each value fits an int32, the
	// low dword of its lane, which VPMULDQ sign-extends.
	VPMULDQ (AX)(SI*8), Y10, Y0
	VPMULDQ 8(AX)(SI*8), Y11, Y1
	VPADDQ  Y1, Y0, Y0
	VPMULDQ 16(AX)(SI*8), Y12, Y1
	VPADDQ  Y1, Y0, Y0
	VPMULDQ 24(AX)(SI*8), Y11, Y1
	VPADDQ  Y1, Y0, Y0
	VPMULDQ 32(AX)(SI*8), Y10, Y1
	VPADDQ  Y1, Y0, Y0
	VPADDQ  Y13, Y0, Y0
	VPSRLQ  $16, Y0, Y0
	// The low dword is now int32((acc + 32768) >> 16) + 2^31 (mod 2^32).
	VPXOR   motionSign<>(SB), Y0, Y0
	VPABSD  Y0, Y0
	VPAND   Y14, Y0, Y0
	VPADDD  Y0, Y15, Y15
	ADDQ $4, SI
	JMP  hloop

hdone:
	VEXTRACTI128 $1, Y15, X0
	VPADDD X0, X15, X15
	VPSHUFD $0x4E, X15, X0
	VPADDD X0, X15, X15
	VPSHUFD $0xB1, X15, X0
	VPADDD X0, X15, X15
	VMOVD X15, AX
	MOVL AX, sad+16(FP)
	VZEROUPPER
	RET

// 2^31 in the low dword of each lane: XOR subtracts the bias modulo 2^32.
DATA motionSign<>+0(SB)/8, $0x0000000080000000
DATA motionSign<>+8(SB)/8, $0x0000000080000000
DATA motionSign<>+16(SB)/8, $0x0000000080000000
DATA motionSign<>+24(SB)/8, $0x0000000080000000
GLOBL motionSign<>(SB), RODATA|NOPTR, $32
