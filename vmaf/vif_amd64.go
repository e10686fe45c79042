package vmaf

import "golang.org/x/sys/cpu"

// The scale-0 passes of VIF at 8 bits per sample have AVX2 kernels in
// vif_amd64.s (written by vif_amd64_gen.py). They compute the same integers
// as vifVert17 and vifHorizRow17 because, at 8 bits, every sum of scale 0
// fits an unsigned 32-bit lane:
//
//   - vertical: mu = Σc·x <= 65536·255 and xx, yy, xy = Σc·x·y <= 65536·255²
//     = 4 261 478 400 < 2³², with no rounding shift (shSq = 0);
//   - horizontal: Σc·mu <= 65536·65280 < 2³²; the squares of the means and
//     Σc·xx are formed in 64-bit lanes (VPMULUDQ), as the Go code does.
//
// The kernel stops at the per-pixel sigmas; the branchy log-domain part
// stays in Go (vifStatsRow). TestVIFAVX2MatchesGo holds the kernels to the
// Go passes.

// vifAVX2 reports whether the AVX2 kernels run; tests turn it off to
// compare.
var vifAVX2 = cpu.X86.HasAVX2

// vifVert17AVX2 is vifVert17 for 8-bit samples on the first n columns
// (n a multiple of 8). rows holds the 17 ref rows then the 17 dis rows.
//
//go:noescape
func vifVert17AVX2(rows *[34][]uint16, n int, mu1, mu2, xx, yy, xy *uint32)

// vifHoriz17AVX2 filters the padded rows of vifVert17AVX2 horizontally for
// the first n output columns (n a multiple of 8) and writes sigma1, sigma2
// (before the clamp at 0) and sigma12. It reads up to 8 elements past
// index n+15 of each input, which grow allocates.
//
//go:noescape
func vifHoriz17AVX2(mu1, mu2, xx, yy, xy *uint32, n int, s1, s2, s12 *int32)
