package vmaf

import (
	"errors"
	"fmt"

	"github.com/reelmedia/reel/media"
)

// Errors of the extra metrics (PSNR, SSIM, MS-SSIM). They are declared here
// rather than in errors.go, which belongs to the VMAF core's work; errors
// for bad frames also wrap errors.go's ErrSizeMismatch, ErrBitDepthMismatch
// or ErrInvalidFrame.
var (
	// ErrUnknownFeature: a feature name that is not "psnr", "ssim" or "ms_ssim".
	ErrUnknownFeature = errors.New("unknown feature")
	// ErrFeatureInput: the frame pair cannot be scored by this feature
	// (mismatched sizes or formats, a bit depth libvmaf does not take,
	// planes shorter than their size says, or a frame too small, such as
	// MS-SSIM below 176 samples on the short side).
	ErrFeatureInput = errors.New("frames unusable for feature")
)

// Extra feature names as the scorer and the CLI take them.
const (
	FeaturePSNR   = "psnr"
	FeatureSSIM   = "ssim"
	FeatureMSSSIM = "ms_ssim"
)

// ExtraFeatures lists the names computeExtra accepts, in libvmaf's output
// order.
var ExtraFeatures = []string{FeaturePSNR, FeatureSSIM, FeatureMSSSIM}

// computeExtra computes one of the extra metrics (feature "psnr", "ssim" or
// "ms_ssim") for a frame pair and returns its values keyed by libvmaf's
// names: psnr_y, psnr_cb, psnr_cr (psnr_y only for gray input); float_ssim;
// float_ms_ssim. "float_ssim" and "float_ms_ssim" are accepted as aliases of
// "ssim" and "ms_ssim", as libvmaf's CLI names them.
//
// It keeps no state between calls, so frames may be scored concurrently.
func computeExtra(feature string, ref, dis *media.Frame) (map[string]float64, error) {
	switch feature {
	case FeaturePSNR:
		if err := checkPair(feature, ref, dis, true); err != nil {
			return nil, err
		}
		return psnrFrame(ref, dis), nil
	case FeatureSSIM, "float_ssim":
		if err := checkPair(feature, ref, dis, false); err != nil {
			return nil, err
		}
		v, err := ssimFrame(ref, dis)
		if err != nil {
			return nil, fmt.Errorf("vmaf: %s of frame %d: %w", feature, ref.Index, err)
		}
		return map[string]float64{"float_ssim": v}, nil
	case FeatureMSSSIM, "float_ms_ssim":
		if err := checkPair(feature, ref, dis, false); err != nil {
			return nil, err
		}
		v, err := msssimFrame(ref, dis)
		if err != nil {
			return nil, fmt.Errorf("vmaf: %s of frame %d: %w", feature, ref.Index, err)
		}
		return map[string]float64{"float_ms_ssim": v}, nil
	}
	return nil, fmt.Errorf("vmaf: feature %q (want psnr, ssim or ms_ssim): %w", feature, ErrUnknownFeature)
}

// checkPair makes sure both frames have the same geometry and that every
// plane the feature reads is really there, so that hostile frames give an
// error rather than a panic. Chroma planes are checked only when chroma is
// read.
func checkPair(feature string, ref, dis *media.Frame, chroma bool) error {
	// Errors wrap ErrFeatureInput and, where one fits, the scorer's
	// sentinel for the same problem.
	badAs := func(kind error, format string, a ...any) error {
		return fmt.Errorf("vmaf: %s: %s: %w: %w", feature, fmt.Sprintf(format, a...), ErrFeatureInput, kind)
	}
	bad := func(format string, a ...any) error { return badAs(ErrInvalidFrame, format, a...) }
	if ref == nil || dis == nil {
		return bad("missing frame")
	}
	if ref.Width != dis.Width || ref.Height != dis.Height {
		return badAs(ErrSizeMismatch, "frame %d: reference is %dx%d, distorted is %dx%d", ref.Index, ref.Width, ref.Height, dis.Width, dis.Height)
	}
	if ref.Format.BitDepth != dis.Format.BitDepth {
		return badAs(ErrBitDepthMismatch, "frame %d: reference is %v, distorted is %v", ref.Index, ref.Format, dis.Format)
	}
	if ref.Format != dis.Format {
		return bad("frame %d: reference is %v, distorted is %v", ref.Index, ref.Format, dis.Format)
	}
	switch ref.Format.BitDepth {
	case 8, 10, 12, 16:
	default:
		return bad("frame %d: bit depth %d (want 8, 10, 12 or 16)", ref.Index, ref.Format.BitDepth)
	}
	if ref.Width <= 0 || ref.Height <= 0 {
		return bad("frame %d: empty frame %dx%d", ref.Index, ref.Width, ref.Height)
	}
	n := 1
	if chroma && ref.Format.Chroma != media.Chroma400 {
		n = 3
	}
	for i := 0; i < n; i++ {
		w, h := planeSize(ref, i)
		for _, f := range []*media.Frame{ref, dis} {
			if err := checkPlane(f, i, w, h); err != nil {
				return bad("frame %d: %v", f.Index, err)
			}
		}
	}
	return nil
}

// planeSize is the area of plane i that libvmaf scores. libvmaf sizes
// subsampled chroma by rounding down (w>>1), while FFmpeg's planes round up;
// the extra column or row of an odd-sized frame is left out, as libvmaf does.
func planeSize(f *media.Frame, i int) (w, h int) {
	w, h = f.Width, f.Height
	if i == 0 {
		return w, h
	}
	switch f.Format.Chroma {
	case media.Chroma420:
		return w >> 1, h >> 1
	case media.Chroma422:
		return w >> 1, h
	}
	return w, h
}

func checkPlane(f *media.Frame, i, w, h int) error {
	if i >= len(f.Planes) {
		return fmt.Errorf("plane %d missing", i)
	}
	p := f.Planes[i]
	bps := f.Format.BytesPerSample()
	if p.Width < w || p.Height < h {
		return fmt.Errorf("plane %d is %dx%d, need at least %dx%d", i, p.Width, p.Height, w, h)
	}
	if p.BitDepth != f.Format.BitDepth {
		return fmt.Errorf("plane %d has bit depth %d, frame says %d", i, p.BitDepth, f.Format.BitDepth)
	}
	if p.Stride < w*bps {
		return fmt.Errorf("plane %d stride %d is less than its row (%d bytes)", i, p.Stride, w*bps)
	}
	if h > 0 && len(p.Pix) < (h-1)*p.Stride+w*bps {
		return fmt.Errorf("plane %d holds %d bytes, need %d", i, len(p.Pix), (h-1)*p.Stride+w*bps)
	}
	return nil
}
