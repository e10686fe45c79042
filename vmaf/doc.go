// Package vmaf computes VMAF (Netflix's Video Multi-method Assessment
// Fusion) in pure Go, reproducing libvmaf 3.2's integer feature extractors
// and SVM models to the last digit.
//
// The features are the ones the vmaf_v0.6.1 family of models uses:
// integer VIF at four scales, integer ADM (adm2 and its four scales) and
// integer motion (motion2, from the reference only). They are computed on
// the luma plane of 8-, 10- or 12-bit frames of any chroma layout and any
// size of at least MinDimension in each direction, odd sizes included. The
// built-in models are vmaf_v0.6.1 (the default), vmaf_v0.6.1neg and
// vmaf_4k_v0.6.1; any model JSON of the same format can be loaded from a
// path.
//
// Scoring is a stream: a Scorer takes frame pairs with Push, computes
// frames in parallel on a bounded number of goroutines, delivers per-frame
// scores in frame order, and Finish returns the pooled Result. Score is the
// convenience wrapper over two media.FrameReaders:
//
//	res, err := vmaf.Score(ctx, refReader, distReader, vmaf.Options{})
//	if err != nil {
//		return err
//	}
//	fmt.Printf("VMAF %.6f\n", res.Pooled["vmaf"].Mean)
//
// Results do not depend on Options.Threads. The numbers match libvmaf 3.2's
// C code bit for bit for VIF, ADM and motion, so VMAF matches to about
// 1e-12 (see reference_test.go, which checks every case of the shared
// reference corpus). Options.MotionV3_0 reproduces libvmaf 3.0.0's motion
// instead, the version most FFmpeg builds still ship.
package vmaf
