#include "textflag.h"

// func vifStatsAVX512(s1, s2, s12 *int32, n int, egl float64, tab *uint32, out *vifStatsOut)
//
// vifStatsRow on 8 pixels at a time (n a multiple of 8); see
// vifstats_amd64.go. Lanes are split by masks instead of branches: K1 the
// flat pixels (sigma1 < sigmaNsq), K2 the others, K3 those of K2 with
// sigma12 > 0 and sigma2 > 0. Integer sums go into 64-bit lanes and are
// added up in Go (integer addition does not depend on the order).
TEXT ·vifStatsAVX512(SB), NOSPLIT, $0-56
	MOVQ s1+0(FP), SI
	MOVQ s2+8(FP), DX
	MOVQ s12+16(FP), BX
	MOVQ n+24(FP), CX
	MOVQ tab+40(FP), R8
	MOVQ out+48(FP), DI

	MOVL $131072, AX
	VPBROADCASTD AX, Y10         // sigmaNsq
	MOVL $16, AX
	VPBROADCASTD AX, Y11         // 16
	MOVQ $48, AX
	VPBROADCASTQ AX, Z12         // 48
	MOVQ $0x3edb7cdfd9d7bdbb, AX // 65536 * 1.0e-10
	VPBROADCASTQ AX, Z13
	VBROADCASTSD egl+32(FP), Z14
	VPXORD Y15, Y15, Y15         // 0 (int32)
	MOVL $34816, AX              // 2048 * 17
	VPBROADCASTD AX, Y9
	VPXORQ Z20, Z20, Z20         // numLog
	VPXORQ Z21, Z21, Z21         // denLog
	VPXORQ Z22, Z22, Z22         // numNonLog
	XORQ R9, R9                  // denNonLog
	XORQ R10, R10                // i

loop:
	CMPQ R10, CX
	JGE  done
	VMOVDQU32 (SI)(R10*4), Y0    // sigma1
	VMOVDQU32 (DX)(R10*4), Y1
	VPMAXSD Y15, Y1, Y1          // sigma2 = max(sigma2, 0)
	VMOVDQU32 (BX)(R10*4), Y2    // sigma12
	VPCMPD $1, Y10, Y0, K1       // sigma1 < sigmaNsq
	KNOTB K1, K2

	// Flat pixels: numNonLog += sigma2, denNonLog += count.
	VPMOVSXDQ Y1, Z3
	VPADDQ Z3, Z22, K1, Z22
	KMOVB K1, AX
	POPCNTL AX, AX
	ADDQ AX, R9

	// denLog += log2_32(sigmaNsq + sigma1) - 2048*17.
	VPADDD Y10, Y0, Y3           // x
	VPLZCNTD Y3, Y4
	VPSUBD Y4, Y11, Y5           // k = 16 - lz
	VPSRLVD Y5, Y3, Y6           // x >> k, in [32768, 65535] for K2 lanes
	KMOVB K2, K4
	VPXORD Y7, Y7, Y7
	VPGATHERDD -131072(R8)(Y6*4), K4, Y7
	VPSLLD $11, Y5, Y5
	VPADDD Y5, Y7, Y7
	VPSUBD Y9, Y7, Y7
	VPMOVSXDQ Y7, Z7
	VPADDQ Z7, Z21, K2, Z21

	// K3: K2 lanes with sigma12 > 0 and sigma2 > 0.
	VPCMPD $6, Y15, Y2, K2, K3   // sigma12 > 0
	VPCMPD $6, Y15, Y1, K3, K3   // sigma2 > 0
	KORTESTB K3, K3
	JZ   next

	VCVTDQ2PD Y0, Z8             // sigma1
	VCVTDQ2PD Y1, Z16            // sigma2
	VCVTDQ2PD Y2, Z17            // sigma12
	VADDPD Z13, Z8, Z18
	VDIVPD Z18, Z17, Z18         // g = sigma12 / (sigma1 + eps)
	VMULPD Z17, Z18, Z19         // g * sigma12
	VSUBPD Z19, Z16, Z19         // sigma2 - g*sigma12
	VCVTTPD2DQ Z19, Y19
	VPMAXSD Y15, Y19, Y19        // svSq
	VMINPD Z14, Z18, Z18         // g = min(g, egl)
	VPADDD Y10, Y19, Y19         // n1 = svSq + sigmaNsq
	VMULPD Z18, Z18, Z23         // g*g
	VMULPD Z8, Z23, Z23          // g*g*sigma1
	VCVTTPD2QQ Z23, Z23
	VPMOVZXDQ Y19, Z24
	VPADDQ Z24, Z23, Z23         // n2

	// log2_64(n2): k = 48 - lz, table[n2 >> k] + 2048*k.
	VPLZCNTQ Z23, Z25
	VPSUBQ Z25, Z12, Z25
	VPSRLVQ Z25, Z23, Z26
	KMOVB K3, K4
	VPXORD Y27, Y27, Y27
	VPGATHERQD -131072(R8)(Z26*4), K4, Y27
	VPMOVQD Z25, Y25
	VPSLLD $11, Y25, Y25
	VPADDD Y25, Y27, Y27

	// log2_32(n1).
	VPLZCNTD Y19, Y4
	VPSUBD Y4, Y11, Y5
	VPSRLVD Y5, Y19, Y6
	KMOVB K3, K4
	VPXORD Y7, Y7, Y7
	VPGATHERDD -131072(R8)(Y6*4), K4, Y7
	VPSLLD $11, Y5, Y5
	VPADDD Y5, Y7, Y7

	VPSUBD Y7, Y27, Y27
	VPMOVSXDQ Y27, Z27
	VPADDQ Z27, Z20, K3, Z20

next:
	ADDQ $8, R10
	JMP  loop

done:
	VMOVDQU64 Z20, 0(DI)
	VMOVDQU64 Z21, 64(DI)
	VMOVDQU64 Z22, 128(DI)
	MOVQ R9, 192(DI)
	VZEROUPPER
	RET
