package vmaf

import "golang.org/x/sys/cpu"

// The motion SAD has AVX2 kernels in motion_amd64.s for samples of up to
// 12 bits, where they compute the same integers as the Go loops of sad:
//
//   - vertical: |Σc·(prev-cur)| <= 65536·4095 < 2³¹, so the int64 sum of
//     the Go code is the int32 sum of the kernel, and >> on it is VPSRAD;
//   - horizontal: each row value v has |v| <= 65535, so |Σc·v| < 2³³ and
//     VPMULDQ's 64-bit lanes hold it; >> 16 of the int64 is done as a
//     logical shift of the sum plus 2⁴⁷ (a multiple of 2¹⁶), whose low
//     dword is int32((Σ + 32768) >> 16) + 2³¹; the absolute values add up
//     in 32-bit lanes, wrapping as the Go uint32 rowSAD does.
//
// TestMotionAVX2MatchesGo holds them to the Go loops.

// motionAVX2 reports whether the AVX2 kernels run; tests turn it off to
// compare.
var motionAVX2 = cpu.X86.HasAVX2

// motionVertAVX2 is the vertical pass of sad on the first n columns (n a
// multiple of 8): rows holds prev rows 0..4 then cur rows 0..4. It reports
// whether any output is non-zero.
//
//go:noescape
func motionVertAVX2(rows *[10]*uint16, n int, rnd int32, sh uint, out *int64) (any bool)

// motionHorizAVX2 is the horizontal pass of sad for the first n outputs
// (n a multiple of 4) of the padded row: the uint32 sum of |v|.
//
//go:noescape
func motionHorizAVX2(row *int64, n int) (sad uint32)
