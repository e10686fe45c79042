package vmaf

import (
	"fmt"

	"github.com/reelmedia/reel/media"
)

// computeExtra computes one of the extra metrics (feature "psnr", "ssim" or
// "ms_ssim") for a frame pair and returns its values keyed by libvmaf's names.
// Placeholder: replaced by the PSNR/SSIM/MS-SSIM work.
func computeExtra(feature string, ref, dis *media.Frame) (map[string]float64, error) {
	return nil, fmt.Errorf("vmaf: feature %q: %w", feature, errNotBuilt)
}

var errNotBuilt = fmt.Errorf("not built yet")
