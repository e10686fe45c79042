// Package vmaf computes VMAF (Netflix's Video Multi-method Assessment
// Fusion) in pure Go, reproducing libvmaf 3.2's integer feature extractors
// and SVM models to the last digit.
//
// The features are the ones the vmaf_v0.6.1 family of models uses:
// integer VIF at four scales (vif.go), integer ADM, adm2 and its four
// scales (adm.go), and integer motion, motion2 from the reference only
// (motion.go). They are computed on the luma plane of 8-, 10- or 12-bit
// frames of any chroma layout and any size of at least MinDimension in
// each direction, odd sizes included. The built-in models are vmaf_v0.6.1
// (the default), vmaf_v0.6.1neg and vmaf_4k_v0.6.1, embedded from
// models/ (BSD-2-Clause-Patent, see models/LICENSE); any model JSON of the
// same format can be loaded from a path (model.go).
//
// Scoring is a stream: a Scorer takes frame pairs with Push, computes up to
// Options.Threads frames at once (each frame's VIF, ADM and motion SAD run
// on one goroutine; motion2, which needs the next frame's SAD, is put
// together in frame order), delivers per-frame scores in frame order to
// Options.OnFrame, and Finish returns the Result with pooled scores. Push
// copies the luma it needs, so decoders may reuse their frames. Memory is
// bounded whatever the stream length: each of the Threads workers keeps its
// scratch (about 18 MiB at 1080p, reused frame after frame), and about
// 2·Threads+3 luma copies (4 MiB each at 1080p) are alive at once; a window
// of 2·Threads+2 frames bounds the scores waiting to be delivered.
// Score is the convenience wrapper over two media.FrameReaders:
//
//	res, err := vmaf.Score(ctx, refReader, distReader, vmaf.Options{})
//	if err != nil {
//		return err
//	}
//	fmt.Printf("VMAF %.6f\n", res.Pooled["vmaf"].Mean)
//
// Metric keys are libvmaf's: "vmaf" for the first model and the model's
// name for the others, integer_vif_scale0..3, integer_adm2,
// integer_adm_scale0..3, integer_motion2, integer_motion (the SAD, also
// under libvmaf's VMAF_integer_feature_motion_sad_score), the "_egl_1"
// variants when the NEG model is used, and psnr_y/cb/cr, float_ssim and
// float_ms_ssim when Options.Features asks for them.
//
// Results do not depend on Options.Threads. VIF, ADM and motion match
// libvmaf 3.2's C code bit for bit, so VMAF matches to about 1e-12;
// reference_test.go checks every case of the shared reference corpus
// (../shared/vmaf-reference, decoded with the ffmpeg CLI) and
// tenbit_reference_test.go two 10-bit x265/SVT-AV1 pairs at 17 digits.
// ADM's cube roots are glibc's powf, which is not correctly rounded
// (powf.go): with a correctly rounded root one input in about 1500 is a
// float ulp off, and the frame's VMAF up to about 1e-5. Options.MotionV3_0
// reproduces libvmaf 3.0.0's motion instead, the version most FFmpeg builds
// still ship.
//
// Speed: on amd64 the filter passes of VIF, ADM's wavelet, decouple/CSF
// and contrast masking at every scale, and motion run in AVX2 assembly
// (vif_amd64.s, adm_amd64.s, admdecouple_amd64.s, admcm_amd64.s,
// motion_amd64.s), ADM's wavelets and decouple in AVX-512 where the CPU
// has F/CD/DQ/BW, VIF's log-domain statistics in AVX-512
// (vifstats_amd64.s, where the CPU has F/CD/DQ/VL), and SSIM's and
// MS-SSIM's filters and per-pixel terms in AVX-512 or AVX2 (ssim_amd64.s),
// each chosen at run time and computing exactly the numbers of the Go
// loops, which remain the fallback everywhere else; tests compare the two
// output by output. MS-SSIM, with its AVX-512 pipeline (msssim_amd64.s and
// the generated msssim_amd64_filters.s: each product of the symmetric filters'
// weights computed once for the two sums that use it, in bands of rows that
// stay in cache, 8-bit frames read from their bytes), costs about a sixth
// of its Go loops' time: 41-43 against 246-256 CPU-ms (41-46 against
// 249-258 ms wall) a 1080p 8-bit frame on 1 thread, and 426-430 CPU-ms for
// the first version (d5e155d), in the same runs alternated (`go test -run
// '^$' -bench MSSSIM1080p -benchtime 20x ./vmaf/`, Intel Xeon with
// AVX-512, the 2-core VM contended by other builds); ADM costs about a
// sixth. Without AVX-512 the same pipeline runs on AVX2 kernels (4
// float64 lanes where AVX-512 has 8, generated beside them, the same
// floats): forced on that Xeon (BenchmarkMSSSIM1080p/avx2), 53-59
// against 248-265 CPU-ms for the Go loops, about 4.6 times faster, in the
// same contended runs alternated (alone: 51-53 against 246-255, 4.7-4.9
// times); the old AVX2 fallback was about 3. See bench_test.go, and BenchmarkSideBySide for figures
// next to libvmaf's vmaf tool. Measured alone on the 2-core AMD EPYC VM
// with AVX-512 ("Oxide Virtual Turin-like Processor"), 1080p, 24 frames,
// median of 3 (`REEL_LIBVMAF=.../vmaf go test -count=3 -run '^$' -bench
// SideBySide -benchtime 1x ./vmaf/`), in fps, reel / libvmaf 3.2.0
// AVX-512 / libvmaf AVX2 (--cpumask 48): 8-bit 1 thread 24.0 / 26.8 /
// 16.9; 8-bit 2 threads 39.1 / 35.1 / 23.1; 10-bit 1 thread 20.0 / 20.9 /
// 11.3; 10-bit 2 threads 30.7 / 24.6 / 17.9. In frames per CPU-second
// at 1 thread: 8-bit 22.4 / 25.9 / 16.5, 10-bit 18.1 / 19.7 / 11.0. The
// same command alone on a 2-core Intel Xeon VM with AVX-512 ("Intel(R)
// Xeon(R) Processor"): 8-bit 1 thread 18.4 / 19.7 / 10.7; 8-bit 2
// threads 32.7 / 35.4 / 21.7; 10-bit 1 thread 13.5 / 14.2 / 7.9; 10-bit
// 2 threads 22.2 / 22.9 / 15.4 (MS-SSIM alone there: 41.5-41.8 ms a
// frame, the Go loops 249-253).
//
// Reports are written and read in libvmaf's JSON, CSV and XML shapes
// (report.go). ReadJSON and ReadJSONSeries (which gives a report's frames
// by metric, one slice each, for plots of long films) read the JSON that
// libvmaf and WriteJSON write with a scanner made for that shape
// (reportscan.go) and hand anything else to encoding/json, so both give
// encoding/json's result or error; FuzzScanReport checks that they agree.
// On a 200,000-frame report (36 MB, BenchmarkReadJSON200k, the 2-core VM
// loaded by other builds) encoding/json took 1.7-2.2 s, ReadJSON 0.2-0.45 s
// (most of it the map per frame and the pooling its Result carries) and
// ReadJSONSeries 0.05-0.1 s.
package vmaf
