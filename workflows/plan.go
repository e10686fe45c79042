package workflows

import (
	"fmt"
	"math"
	"sort"
)

// PlanChunks cuts a source of info.Frames frames into chunks of about
// policy.TargetSeconds. With GOP alignment (the default) and a keyframe
// index, every cut is at a keyframe: the first keyframe at or after the
// target length. A tail shorter than half a target is merged into the last
// chunk. The plan depends only on its inputs, so it is safe in workflow code.
func PlanChunks(info SourceInfo, policy ChunkPolicy) ([]Chunk, error) {
	if info.Frames <= 0 {
		return nil, fmt.Errorf("source has no video frames to encode")
	}
	target := policy.TargetSeconds
	if target <= 0 {
		target = 4
	}
	fps := info.FrameRate
	if fps <= 0 || math.IsNaN(fps) || math.IsInf(fps, 0) {
		return nil, fmt.Errorf("source frame rate %v is not usable for planning", info.FrameRate)
	}
	step := int64(math.Round(target * fps))
	if step < 1 {
		step = 1
	}
	aligned := policy.GOPAligned == nil || *policy.GOPAligned
	keys := info.Keyframes
	if !aligned || len(keys) == 0 {
		keys = nil
	}

	var cuts []int64 // chunk start frames after the first
	for start := int64(0); ; {
		next := start + step
		if keys != nil {
			i := sort.Search(len(keys), func(i int) bool { return keys[i] >= next })
			if i == len(keys) {
				break
			}
			next = keys[i]
		}
		if next >= info.Frames || info.Frames-next < step/2 {
			break
		}
		cuts = append(cuts, next)
		start = next
	}

	chunks := make([]Chunk, 0, len(cuts)+1)
	start := int64(0)
	for i, c := range cuts {
		chunks = append(chunks, Chunk{Index: i, Start: start, End: c})
		start = c
	}
	chunks = append(chunks, Chunk{Index: len(cuts), Start: start, End: info.Frames})
	return chunks, nil
}

// batches splits chunks into runs of at most size.
func batches(chunks []Chunk, size int) [][]Chunk {
	var out [][]Chunk
	for i := 0; i < len(chunks); i += size {
		out = append(out, chunks[i:min(i+size, len(chunks))])
	}
	return out
}
