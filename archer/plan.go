package archer

import (
	"math"
	"slices"
)

// CutFrames returns the frames where the boundaries start new shots, in
// order: the input PlanChunks wants.
func CutFrames(bs []Boundary) []int64 {
	out := make([]int64, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.Frame)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// PlanChunks splits frames [0, totalFrames) into chunks for parallel work
// (encoding, analysis) that start on shot boundaries where it can: every
// chunk lasts at least minSec and at most maxSec seconds at fps, and ends
// at the latest cut that keeps it within those limits. Where no cut falls in
// the window the chunk is maxSec long (fixed-length fallback; with no cuts at
// all every chunk but the last is maxSec). The last chunk may be shorter than
// minSec only when the whole range is; a remainder that would be too short
// is avoided by ending the previous chunk earlier.
//
// cuts are frame indices where shots begin (see CutFrames); values outside
// (0, totalFrames) are ignored. minSec <= 0 means no minimum; maxSec <= 0
// or maxSec < minSec means maxSec = max(minSec, 10).
func PlanChunks(cuts []int64, totalFrames int64, fps, minSec, maxSec float64) []ChunkSpan {
	if totalFrames <= 0 {
		return nil
	}
	if fps <= 0 || math.IsNaN(fps) {
		fps = 25
	}
	if maxSec <= 0 || maxSec < minSec {
		maxSec = max(minSec, 10)
	}
	minF := max(1, int64(math.Round(max(0, minSec)*fps)))
	maxF := max(minF, int64(math.Round(maxSec*fps)))
	cs := slices.Clone(cuts)
	slices.Sort(cs)
	isCut := func(f int64) bool { _, ok := slices.BinarySearch(cs, f); return ok }

	var out []ChunkSpan
	for start := int64(0); start < totalFrames; {
		rest := totalFrames - start
		if rest <= maxF {
			out = append(out, ChunkSpan{Index: len(out), Start: start, End: totalFrames, AtCut: start > 0 && isCut(start)})
			break
		}
		lo, hi := start+minF, start+maxF
		// Keep at least minF frames for what follows.
		hi = min(hi, totalFrames-minF)
		end := int64(-1)
		if hi >= lo {
			// Latest cut in [lo, hi].
			i, _ := slices.BinarySearch(cs, hi+1)
			if i > 0 && cs[i-1] >= lo {
				end = cs[i-1]
			}
		}
		if end < 0 {
			end = start + maxF
			if totalFrames-end < minF && hi >= lo {
				end = hi
			}
		}
		out = append(out, ChunkSpan{Index: len(out), Start: start, End: end, AtCut: start > 0 && isCut(start)})
		start = end
	}
	return out
}
