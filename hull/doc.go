// Package hull picks per-shot encodes the way the Dynamic Optimizer does:
// each shot's upper-left convex hull of (log bits, VMAF), the title hull made
// by sweeping one Lagrangian slope λ over every shot, and ladder rungs chosen
// from that title hull by a target bitrate or a target pooled quality, with an
// optional cap on how far shot qualities may spread.
//
// It is pure logic on numbers: no FFmpeg, no Temporal. The per-shot workflow
// encodes the grid, scores it, and hands the results here as Shots.
//
// # The model
//
// A Shot has a frame count and its encodes as Points (size in bits, VMAF).
// The title's quality is the frame-weighted mean of the shots' VMAF and its
// cost the sum of their bits, so at slope λ shot i takes the point that
// maximises Frames_i·VMAF − λ·Bits: the "VMAF − λ·bits" of the literature with
// each shot's quality counted once per frame. Only points on the shot's hull
// take part ([Shot.Hull]); of those, the λ-choice keeps the ones on the
// linear-domain upper hull. When two points tie at a slope the cheaper one is
// taken, and shots whose slopes are equal move together, so the result never
// depends on the order of shots or points.
//
// The sweep optimises the frame-weighted mean. A rung asked for by harmonic
// mean or 5th percentile is the cheapest title point that reaches it (every
// pool rises along the title hull), not a separate optimisation for that
// pool; a spread cap then lowers the best shots (see Title.Capped).
//
// [Sweep] returns every point of the title hull, cheapest first: the first
// point is every shot at its cheapest hull point (λ = +∞), each next point is
// reached at the next lower slope where one or more shots step up.
//
// # Example
//
//	shots := []hull.Shot{
//		{Frames: 48, Points: []hull.Point{{Bits: 1e5, VMAF: 60}, {Bits: 4e5, VMAF: 90}}},
//		{Frames: 24, Points: []hull.Point{{Bits: 2e5, VMAF: 70}, {Bits: 3e5, VMAF: 80}}},
//	}
//	title, err := hull.Sweep(shots)
//	if err != nil { ... }
//	rung, err := hull.ByBitrate(title, 2000e3, 24, hull.Mean, 0)     // at most 2 Mb/s, no cap
//	rung, err = hull.ByQuality(title, 85, hull.HarmonicMean, 24, 5) // pooled HM ≥ 85, spread ≤ 5
//
// The chosen rung's Choice[i] indexes shot i's Points as given.
//
// # Cost
//
// A title point stores only the shots that move there (Title.Choice
// rebuilds a whole choice), and an uncapped rung is found by binary search,
// since bits and every pool rise along the hull. At the scale,
// 5 000 shots × 30 points (10 943 title points), Sweep plus ByQuality takes
// 125 ms and 6.3 MB (BenchmarkSweep, `go test -run '^$' -bench Sweep
// -benchtime 3x -benchmem ./hull`, on a 2-core VM shared with other builds,
// so an upper figure). A cap on the spread walks every title point instead:
// O(points × shots).
package hull
