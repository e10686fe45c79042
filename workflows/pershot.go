package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/reelmedia/reel/hull"
)

// Optimisation modes (Job.Optimize).
const (
	// OptimizeNone encodes each rendition at its own settings (default).
	OptimizeNone = ""
	// OptimizePerShot encodes every shot over a grid of heights × CRF (or
	// QP) and builds each rendition from the points the shots' convex hulls
	// choose (PerShotPolicy).
	OptimizePerShot = "per-shot"
)

// Rate-control modes of a per-shot grid (PerShotPolicy.RC).
const (
	RCCRF = "crf"
	RCQP  = "qp"
)

// PerShotPolicy is how a per-shot job (Job.Optimize = OptimizePerShot)
// builds its grid and picks its rungs. Every rendition of the job is a
// rung: its Height is one of the grid's heights, its codec, preset and
// pixel format are the grid's (all rungs share them), and Targets gives
// each rung a target bitrate or a target pooled VMAF.
type PerShotPolicy struct {
	// Heights are the grid's output heights (widths keep the source's
	// aspect). Default: the rungs' heights.
	Heights []int `json:"heights,omitempty"`
	// Values are the grid's CRFs (or QPs with RC qp). Default: per codec,
	// DefaultGridValues.
	Values []int `json:"values,omitempty"`
	// RC is RCCRF (default) or RCQP: constant QP, the baseline Netflix
	// compared per-shot encoding to (libx264 and libx265 only).
	RC string `json:"rc,omitempty"`
	// Targets has one entry per rendition.
	Targets []RungTarget `json:"targets"`
	// Pool is how shot qualities pool into a rung's quality: mean
	// (frame-weighted, default), harmonic_mean or p5 (hull.ParsePool).
	Pool string `json:"pool,omitempty"`
	// MaxSpread, above 0, caps the spread of shot VMAFs within a rung
	// (hull.Title.Capped): the best shots are lowered.
	MaxSpread float64 `json:"max_spread,omitempty"`
}

// RungTarget is what one rung aims at: the best pooled quality within
// Bitrate, or the cheapest choice whose pooled VMAF reaches VMAF.
type RungTarget struct {
	Rendition string `json:"rendition"`
	// Bitrate in bits per second, the rung's ceiling (video only).
	Bitrate int64 `json:"bitrate,omitempty"`
	// VMAF is the rung's pooled quality floor.
	VMAF float64 `json:"vmaf,omitempty"`
}

// DefaultGridValues are a codec's grid CRFs (or QPs) when the job names
// none: wide enough that a shot's hull has points from blocky to
// transparent, spaced so a 30-point grid stays affordable.
func DefaultGridValues(codec string) ([]int, bool) {
	switch gridCodec(codec) {
	case "x264":
		return intRange(18, 42, 3), true
	case "x265":
		return intRange(20, 44, 3), true
	case "svtav1", "vp9":
		return intRange(20, 56, 4), true
	}
	return nil, false
}

// gridCodec is reel's name for codec among those a grid knows (the names
// the encode core takes for them), "" for the others.
func gridCodec(codec string) string {
	switch strings.ToLower(codec) {
	case "", "x264", "libx264", "h264":
		return "x264"
	case "x265", "libx265", "hevc":
		return "x265"
	case "svtav1", "libsvtav1", "av1":
		return "svtav1"
	case "vp9", "libvpx-vp9", "libvpx":
		return "vp9"
	}
	return ""
}

func intRange(from, to, step int) []int {
	var out []int
	for v := from; v <= to; v += step {
		out = append(out, v)
	}
	return out
}

// perShotDefaults fills a per-shot job's grid and rate control, and makes
// sure VMAF is scored (the hulls are built on it). Chunking defaults to
// shots.
func perShotDefaults(job Job) Job {
	p := &job.PerShot
	if p.RC == "" {
		p.RC = RCCRF
	}
	if p.Pool == "" {
		p.Pool = "mean"
	}
	if len(p.Heights) == 0 {
		for _, r := range job.Renditions {
			if !slices.Contains(p.Heights, r.Height) {
				p.Heights = append(p.Heights, r.Height)
			}
		}
	}
	if len(p.Values) == 0 && len(job.Renditions) > 0 {
		p.Values, _ = DefaultGridValues(job.Renditions[0].Codec)
	}
	if !slices.Contains(job.Quality.Metrics, MetricVMAF) {
		job.Quality.Metrics = append(slices.DeleteFunc(slices.Clone(job.Quality.Metrics), func(m string) bool { return m == "none" }), MetricVMAF)
	}
	return job
}

// MaxGridPoints bounds heights × values of one per-shot job.
const MaxGridPoints = 64

// validatePerShot reports the first problem of a per-shot job (after
// perShotDefaults).
func validatePerShot(job Job) error {
	p := job.PerShot
	if p.RC != RCCRF && p.RC != RCQP {
		return fmt.Errorf("per-shot rc %q: want %q or %q", p.RC, RCCRF, RCQP)
	}
	if _, err := hull.ParsePool(p.Pool); err != nil {
		return fmt.Errorf("per-shot pool %q: want mean, harmonic_mean or p5", p.Pool)
	}
	if p.MaxSpread < 0 {
		return fmt.Errorf("per-shot max spread %v: must not be negative", p.MaxSpread)
	}
	first := job.Renditions[0]
	codec := gridCodec(first.Codec)
	if p.RC == RCQP && codec != "x264" && codec != "x265" {
		return fmt.Errorf("per-shot rc qp: codec %s has no constant-QP mode here (libx264 or libx265)", first.Codec)
	}
	if len(p.Values) == 0 {
		return fmt.Errorf("per-shot: no default grid for codec %s: give the CRFs", first.Codec)
	}
	if len(p.Values) < 2 {
		return errors.New("per-shot: the grid needs at least 2 CRFs per height")
	}
	maxValue := 51
	if codec == "svtav1" || codec == "vp9" {
		maxValue = 63
	}
	for _, v := range p.Values {
		if v < 0 || v > maxValue {
			return fmt.Errorf("per-shot grid value %d: want 0 to %d", v, maxValue)
		}
	}
	if hasDuplicate(p.Values) || hasDuplicate(p.Heights) {
		return errors.New("per-shot grid: a height or CRF is listed twice")
	}
	for _, h := range p.Heights {
		if h < 16 || h > 8640 || h%2 != 0 {
			return fmt.Errorf("per-shot grid height %d: want an even height from 16 to 8640", h)
		}
	}
	if n := len(p.Heights) * len(p.Values); n > MaxGridPoints {
		return fmt.Errorf("per-shot grid of %d points: at most %d (heights × CRFs)", n, MaxGridPoints)
	}
	targets := map[string]RungTarget{}
	for _, t := range p.Targets {
		if _, dup := targets[t.Rendition]; dup {
			return fmt.Errorf("per-shot rung %s has two targets", t.Rendition)
		}
		if (t.Bitrate > 0) == (t.VMAF > 0) || t.Bitrate < 0 || t.VMAF < 0 || t.VMAF > 100 {
			return fmt.Errorf("per-shot rung %s: give one target, a bitrate or a VMAF from 0 to 100", t.Rendition)
		}
		targets[t.Rendition] = t
	}
	for _, r := range job.Renditions {
		switch {
		case r.Codec != first.Codec || r.Preset != first.Preset || r.PixFmt != first.PixFmt || r.GOP != first.GOP || r.Deinterlace != first.Deinterlace:
			return fmt.Errorf("per-shot rung %s: every rung shares the grid's codec, preset, pixel format, GOP and deinterlacer (those of %s)", r.Name, first.Name)
		case r.FPS != "":
			return fmt.Errorf("per-shot rung %s: a frame-rate conversion is not supported per shot", r.Name)
		case r.Width != 0:
			return fmt.Errorf("per-shot rung %s: give only a height (the width keeps the source's aspect)", r.Name)
		case !slices.Contains(p.Heights, r.Height):
			return fmt.Errorf("per-shot rung %s: height %d is not in the grid %v", r.Name, r.Height, p.Heights)
		}
		if _, ok := targets[r.Name]; !ok {
			return fmt.Errorf("per-shot rung %s has no target (a bitrate or a VMAF)", r.Name)
		}
		delete(targets, r.Name)
	}
	for name := range targets {
		return fmt.Errorf("per-shot target for %s, which is not a rendition", name)
	}
	if job.Quality.MinVMAF > 0 {
		return errors.New("per-shot: the quality gate does not apply (each rung takes a target VMAF instead)")
	}
	return nil
}

func hasDuplicate(v []int) bool {
	s := slices.Clone(v)
	slices.Sort(s)
	return len(slices.Compact(s)) != len(v)
}

// gridPoints are a per-shot job's grid as renditions, heights first in
// the order given, then values: the grid's point i is encoded under its
// own name, so its chunks have their own keys (chunkKey).
func gridPoints(job Job) []Rendition {
	p := job.PerShot
	base := job.Renditions[0]
	var out []Rendition
	for _, h := range p.Heights {
		for _, v := range p.Values {
			r := Rendition{
				Name: fmt.Sprintf("grid-%dp-%s%d", h, p.RC, v), Height: h, Codec: base.Codec,
				Preset: base.Preset, PixFmt: base.PixFmt, GOP: base.GOP, Threads: base.Threads, Deinterlace: base.Deinterlace,
			}
			if p.RC == RCQP {
				r.QP = v
			} else {
				r.CRF = v
			}
			out = append(out, r)
		}
	}
	return out
}

// How a per-shot job's grid is cut into child workflows. One (shot, point)
// encode costs its child at most eventsPerEncode history events: activity
// scheduled, started and completed, and at worst one workflow task
// (scheduled, started, completed) for each completion. A child holds at
// most MaxEncodesPerChild encodes, so its history stays under
// MaxChildEvents, below Temporal's warning threshold of 10 240 events
// (the hard limit is 51 200).
const (
	MaxEncodesPerChild = 1500
	eventsPerEncode    = 6
	childEventsFixed   = 16 // start, the first and last workflow tasks, completion
	MaxChildEvents     = MaxEncodesPerChild*eventsPerEncode + childEventsFixed
	// A child costs its parent: initiated, started, completed, and at worst a
	// workflow task for each of the last two.
	eventsPerChild = 9
	// The parent's own steps (probe, the shots child and its activity,
	// select, report, cleanup), each at worst an activity or child and a
	// workflow task.
	parentEventsFixed = 64
	eventsPerRung     = 6 // the rung's Assemble activity and its workflow task
)

// MaxPerShotChildren bounds a per-shot job's grid children, so that a small
// Limits.BatchSize cannot fill the parent's history.
const MaxPerShotChildren = 1000

// shotSlices cuts n shots into runs of whole shots, each one child workflow
// that encodes its shots at every grid point: batch shots a run (the job's
// Limits.BatchSize), but at most MaxEncodesPerChild/points (at least one)
// and no fewer than MaxPerShotChildren runs need.
func shotSlices(n, points, batch int) [][2]int {
	upper := max(1, MaxEncodesPerChild/max(1, points))
	per := min(max(1, batch), upper)
	per = min(max(per, (n+MaxPerShotChildren-1)/MaxPerShotChildren), upper)
	var out [][2]int
	for lo := 0; lo < n; lo += per {
		out = append(out, [2]int{lo, min(n, lo+per)})
	}
	return out
}

// PerShotEvents is the most history events a per-shot job of shots ×
// points over rungs renditions, batch shots a child, writes: the parent's
// and the largest child's. Tests hold them under Temporal's limits for the
// issue's scale.
func PerShotEvents(shots, points, rungs, batch int) (parent, child int) {
	slices := shotSlices(shots, points, batch)
	biggest := 0
	for _, s := range slices {
		biggest = max(biggest, (s[1]-s[0])*points)
	}
	return parentEventsFixed + eventsPerChild*len(slices) + eventsPerRung*rungs, childEventsFixed + eventsPerEncode*biggest
}

// MinShotSeconds is the shortest shot a per-shot job encodes on its own: a
// shorter one (a flash, a detector's double cut) joins the shot before.
const MinShotSeconds = 0.25

// shotChunks makes a per-shot job's chunks: one per shot, cut exactly at
// the cuts, not merged towards a length the way archer.PlanChunks does
// for parallel work (each shot must be free to take its own point). A shot
// under MinShotSeconds joins the one before; a shot over 2×target
// seconds, or a source without cuts, is split into equal pieces of at
// most that length.
func shotChunks(cuts []int64, frames int64, fps, target float64) []Chunk {
	minLen := max(1, int64(MinShotSeconds*fps+0.5))
	maxLen := max(minLen, int64(2*target*fps+0.5))
	starts := []int64{0}
	for _, c := range cuts {
		if c-starts[len(starts)-1] >= minLen && frames-c >= minLen {
			starts = append(starts, c)
		}
	}
	var out []Chunk
	for i, a := range starts {
		b := frames
		if i+1 < len(starts) {
			b = starts[i+1]
		}
		if b <= a {
			continue
		}
		n := (b - a + maxLen - 1) / maxLen
		for k := int64(0); k < n; k++ {
			out = append(out, Chunk{Index: len(out), Start: a + (b-a)*k/n, End: a + (b-a)*(k+1)/n})
		}
	}
	return out
}
