// Package bdrate computes Bjøntegaard deltas between two rate-quality
// curves: BD-rate, the average difference in bitrate at equal quality (as a
// percentage of the anchor's), and BD-quality, the average difference in
// quality at equal bitrate (BD-PSNR when the metric is PSNR).
//
// Both integrate over the range where the curves overlap, on log rate
// (VCEG-M33). Two interpolations are offered:
//
//   - PCHIP (the default): piecewise cubic Hermite with Fritsch–Carlson
//     slopes and the three-point end slopes of Matlab's and SciPy's pchip,
//     the method of the JCT-VC/JVET common test conditions spreadsheets
//     (JCTVC-L1100, JVET-T2010). It passes through every point and never
//     overshoots, so it needs curves whose quality rises with rate.
//   - Cubic: the classic VCEG-M33 least-squares cubic polynomial (numpy's
//     polyfit of degree 3), integrated exactly.
//
// Each curve needs at least 4 points with distinct rates and quality
// strictly rising with rate; the overlap must not be empty. Errors wrap
// ErrTooFewPoints, ErrNotMonotone and ErrNoOverlap.
//
// # How the numbers are checked
//
// testdata/reference.py is an independent implementation in plain Python
// (no numpy or scipy, neither is on the build machine): the same
// interpolants evaluated point by point, integrated by composite Simpson's
// rule over 200 000 intervals rather than in closed form, and the cubic fit
// solved exactly in rational arithmetic. It was run once; its output is
// testdata/reference.txt and the test compares to it to 1e-6. The first case
// is the x265 example of the FAU-LMS bjontegaard package's README.
//
// # Example
//
//	anchor := []bdrate.Point{{Rate: 1358.24, Quality: 34.851}, ...}
//	test := []bdrate.Point{...}
//	pct, err := bdrate.Rate(anchor, test, bdrate.PCHIP) // −3.1 means 3.1 % fewer bits
//	dq, err := bdrate.Quality(anchor, test, bdrate.PCHIP)
package bdrate
