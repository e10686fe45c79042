package workflows

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/reelmedia/reel/bdrate"
	"github.com/reelmedia/reel/hull"
)

// PerShotSelectTask is the input of the PerShotSelect activity.
type PerShotSelectTask struct {
	Job        string        `json:"job"`
	Work       string        `json:"work"`
	Chunks     []Chunk       `json:"chunks"`
	Grid       []Rendition   `json:"grid"`
	Policy     PerShotPolicy `json:"policy"`
	Renditions []Rendition   `json:"renditions"`
	// FrameRate turns a shot's bits into a bitrate (frameRateOf).
	FrameRate float64  `json:"frame_rate"`
	Metrics   []string `json:"metrics"`
}

// PerShotSelection is PerShotSelect's answer: the key of the full
// selection (PerShotReport, in the work store) and each rung's choice.
type PerShotSelection struct {
	Key   string       `json:"key"`
	Rungs []RungChoice `json:"rungs"`
}

// RungChoice is one rung's grid point per shot and what it scores.
type RungChoice struct {
	Rendition string `json:"rendition"`
	// Choice[i] indexes the grid for chunk i.
	Choice []int `json:"choice"`
	// VMAF and PSNR are frame-weighted means over the shots; VMAFMinShot
	// the worst shot's mean.
	VMAF        float64 `json:"vmaf"`
	VMAFMinShot float64 `json:"vmaf_min_shot"`
	PSNR        float64 `json:"psnr_y,omitempty"`
	// BDRate is the rung's height's (SizeReport.BDRate).
	BDRate *float64 `json:"bd_rate_vmaf_pct,omitempty"`
}

// PerShotReport is a per-shot job's selection in full: report.json's
// per_shot, and <work>/<job>/pershot.json while the job runs.
type PerShotReport struct {
	RC        string            `json:"rc"`
	Pool      string            `json:"pool"`
	MaxSpread float64           `json:"max_spread,omitempty"`
	Grid      []GridPointReport `json:"grid"`
	// EncodeSeconds and ScoreSeconds add up every grid encode's own times
	// (report.json's timings count only the chosen encodes).
	EncodeSeconds float64      `json:"encode_seconds_sum"`
	ScoreSeconds  float64      `json:"score_seconds_sum"`
	Shots         []ShotReport `json:"shots"`
	Sizes         []SizeReport `json:"sizes"`
	Rungs         []RungReport `json:"rungs"`
}

// GridPointReport is one grid point: a height and a CRF (or QP).
type GridPointReport struct {
	Name   string `json:"name"`
	Height int    `json:"height"`
	Value  int    `json:"value"`
}

// ShotReport is one shot: its scores at every grid point, its hull and
// the point each rung took.
type ShotReport struct {
	Index int   `json:"index"`
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	// Points are in grid order.
	Points []ShotPoint `json:"points"`
	// Hull lists the grid points on the shot's convex hull, size by size
	// (within a size cheapest first).
	Hull []int `json:"hull"`
	// Chosen is the grid point of each rung, in rung order.
	Chosen []int `json:"chosen"`
}

// ShotPoint is one shot encoded at one grid point.
type ShotPoint struct {
	Bytes   int64   `json:"bytes"`
	Bitrate float64 `json:"bitrate_bps"`
	VMAF    float64 `json:"vmaf"`
	PSNR    float64 `json:"psnr_y,omitempty"`
}

// SizeReport compares, at one grid height, the per-shot curve (the title
// hull: every λ-optimal choice) with the fixed ladder the same grid makes
// (every shot at one CRF), both with the frame-weighted mean VMAF: no
// extra encode is needed for the baseline.
type SizeReport struct {
	Height  int          `json:"height"`
	Fixed   []CurvePoint `json:"fixed"`
	PerShot []CurvePoint `json:"per_shot"`
	// BDRate is the per-shot curve's BD-rate (VMAF, PCHIP) against the fixed
	// one, in percent: −20 means 20 % fewer bits at equal VMAF. Absent, with
	// BDRateError saying why, when the curves do not allow one (fewer than 4
	// points, not monotone, no overlap).
	BDRate      *float64 `json:"bd_rate_vmaf_pct,omitempty"`
	BDRateError string   `json:"bd_rate_error,omitempty"`
}

// CurvePoint is one point of a rate-quality curve.
type CurvePoint struct {
	Bitrate float64 `json:"bitrate_bps"`
	VMAF    float64 `json:"vmaf"`
	// Value is the fixed ladder's CRF (or QP); Lambda the per-shot point's
	// slope (frames·VMAF per bit; absent for the first, whose slope is +∞).
	Value  int     `json:"value,omitempty"`
	Lambda float64 `json:"lambda,omitempty"`
}

// RungReport is one rung: its target, what it got, and the BD-rate of its
// size.
type RungReport struct {
	Rendition     string  `json:"rendition"`
	Height        int     `json:"height"`
	TargetBitrate int64   `json:"target_bitrate_bps,omitempty"`
	TargetVMAF    float64 `json:"target_vmaf,omitempty"`
	// Bitrate is the chosen encodes' video bits per second; Pooled their
	// quality pooled as the job asks, VMAF their frame-weighted mean.
	Bitrate float64  `json:"bitrate_bps"`
	Pooled  float64  `json:"pooled_vmaf"`
	VMAF    float64  `json:"vmaf"`
	PSNR    float64  `json:"psnr_y,omitempty"`
	Spread  float64  `json:"spread"`
	Lambda  float64  `json:"lambda,omitempty"`
	BDRate  *float64 `json:"bd_rate_vmaf_pct,omitempty"`
}

// perShotKey is where a job's selection is kept in the work store.
func perShotKey(job string) string { return job + "/pershot.json" }

// PerShotSelect reads every (shot, grid point) sidecar, builds each grid
// height's title hull, picks each rung on its height's hull, compares the
// per-shot curves with the fixed ladders, and stores the whole selection.
// Unreachable targets are bad input: the message names the rung and what
// its height can reach.
func (a *Activities) PerShotSelect(ctx context.Context, t PerShotSelectTask) (PerShotSelection, error) {
	work, err := a.openStore(ctx, t.Work)
	if err != nil {
		return PerShotSelection{}, err
	}
	results := make([]ChunkResult, len(t.Grid)*len(t.Chunks))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range results {
		g.Go(func() error {
			key := sidecarKey(chunkKey(t.Job, t.Grid[i/len(t.Chunks)], t.Chunks[i%len(t.Chunks)].Index, 1))
			b, err := work.GetBytes(gctx, key)
			if err != nil {
				return fmt.Errorf("per-shot select: %w", err)
			}
			if err := unmarshalJSON(b, &results[i]); err != nil {
				return fmt.Errorf("per-shot select: %s: %w", work.URL(key), err)
			}
			if i%256 == 0 {
				beat(ctx, heartbeat{Phase: "select", Frames: int64(i)})
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return PerShotSelection{}, err
	}
	rep, sel, err := selectPerShot(t, func(point, shot int) ChunkResult { return results[point*len(t.Chunks)+shot] })
	if err != nil {
		return PerShotSelection{}, err
	}
	b, err := marshalJSON(rep)
	if err != nil {
		return PerShotSelection{}, err
	}
	sel.Key = perShotKey(t.Job)
	if _, err := work.PutBytes(ctx, sel.Key, b); err != nil {
		return PerShotSelection{}, err
	}
	return sel, nil
}

// selectPerShot is PerShotSelect's arithmetic, on the scores at(point,
// shot).
func selectPerShot(t PerShotSelectTask, at func(point, shot int) ChunkResult) (PerShotReport, PerShotSelection, error) {
	pool, err := hull.ParsePool(t.Policy.Pool)
	if err != nil {
		return PerShotReport{}, PerShotSelection{}, badInputErr(err)
	}
	fps := t.FrameRate
	if !(fps > 0) {
		return PerShotReport{}, PerShotSelection{}, badInputErr(fmt.Errorf("per-shot select: frame rate %v", fps))
	}
	rep := PerShotReport{RC: t.Policy.RC, Pool: pool.String(), MaxSpread: t.Policy.MaxSpread}
	for _, p := range t.Grid {
		rep.Grid = append(rep.Grid, GridPointReport{Name: p.Name, Height: p.Height, Value: max(p.CRF, p.QP)})
	}
	for si, c := range t.Chunks {
		sr := ShotReport{Index: c.Index, Start: c.Start, End: c.End}
		secs := float64(c.Frames()) / fps
		for pi := range t.Grid {
			r := at(pi, si)
			rep.EncodeSeconds += r.EncodeSeconds
			rep.ScoreSeconds += r.ScoreSeconds
			sr.Points = append(sr.Points, ShotPoint{Bytes: r.Bytes, Bitrate: float64(r.Bytes) * 8 / secs, VMAF: r.VMAF, PSNR: r.PSNR})
		}
		rep.Shots = append(rep.Shots, sr)
	}

	// One title hull per grid height.
	titles := map[int]hull.Title{}
	members := map[int][]int{} // height → grid indices
	for pi, p := range t.Grid {
		members[p.Height] = append(members[p.Height], pi)
	}
	for _, h := range t.Policy.Heights {
		idx := members[h]
		shots := make([]hull.Shot, len(t.Chunks))
		for si, c := range t.Chunks {
			shots[si].Frames = int(c.Frames())
			for _, pi := range idx {
				sp := rep.Shots[si].Points[pi]
				shots[si].Points = append(shots[si].Points, hull.Point{Bits: float64(sp.Bytes) * 8, VMAF: sp.VMAF, Label: t.Grid[pi].Name})
			}
			for _, k := range shots[si].Hull() {
				rep.Shots[si].Hull = append(rep.Shots[si].Hull, idx[k])
			}
		}
		title, err := hull.Sweep(shots)
		if err != nil {
			return PerShotReport{}, PerShotSelection{}, badInputErr(fmt.Errorf("per-shot select at %dp: %w", h, err))
		}
		titles[h] = title
		rep.Sizes = append(rep.Sizes, sizeReport(h, t, title, idx, fps))
	}

	targets := map[string]RungTarget{}
	for _, tg := range t.Policy.Targets {
		targets[tg.Rendition] = tg
	}
	var sel PerShotSelection
	for _, r := range t.Renditions {
		title, idx := titles[r.Height], members[r.Height]
		tg := targets[r.Name]
		var rung hull.Rung
		if tg.Bitrate > 0 {
			rung, err = hull.ByBitrate(title, float64(tg.Bitrate), fps, pool, t.Policy.MaxSpread)
		} else {
			rung, err = hull.ByQuality(title, tg.VMAF, pool, fps, t.Policy.MaxSpread)
		}
		if errors.Is(err, hull.ErrUnreachable) {
			first := title.Choice(0)
			last := title.Choice(len(title.Points) - 1)
			return PerShotReport{}, PerShotSelection{}, badInputErr(fmt.Errorf("per-shot rung %s: %w; at %dp the grid spans %.0f to %.0f b/s, %s VMAF %.2f to %.2f",
				r.Name, err, r.Height, title.Bitrate(first, fps), title.Bitrate(last, fps), pool, title.Pooled(first, pool), title.Pooled(last, pool)))
		}
		if err != nil {
			return PerShotReport{}, PerShotSelection{}, badInputErr(fmt.Errorf("per-shot rung %s: %w", r.Name, err))
		}
		rc := RungChoice{Rendition: r.Name, Choice: make([]int, len(t.Chunks))}
		var vsum, psum, frames float64
		rc.VMAFMinShot = math.Inf(1)
		for si, k := range rung.Choice {
			pi := idx[k]
			rc.Choice[si] = pi
			rep.Shots[si].Chosen = append(rep.Shots[si].Chosen, pi)
			sp := rep.Shots[si].Points[pi]
			n := float64(t.Chunks[si].Frames())
			vsum += sp.VMAF * n
			psum += sp.PSNR * n
			frames += n
			rc.VMAFMinShot = math.Min(rc.VMAFMinShot, sp.VMAF)
		}
		rc.VMAF, rc.PSNR = vsum/frames, psum/frames
		rr := RungReport{
			Rendition: r.Name, Height: r.Height, TargetBitrate: tg.Bitrate, TargetVMAF: tg.VMAF,
			Bitrate: rung.Bitrate, Pooled: rung.Quality, VMAF: rc.VMAF, PSNR: rc.PSNR, Spread: rung.Spread,
		}
		if l := title.Points[rung.Index].Lambda; !math.IsInf(l, 0) {
			rr.Lambda = l
		}
		for _, s := range rep.Sizes {
			if s.Height == r.Height {
				rr.BDRate = s.BDRate
			}
		}
		rc.BDRate = rr.BDRate
		sel.Rungs = append(sel.Rungs, rc)
		rep.Rungs = append(rep.Rungs, rr)
	}
	return rep, sel, nil
}

// sizeReport is one height's fixed ladder (a point per CRF: its total bits
// over the shots and frame-weighted mean VMAF) against its title hull.
func sizeReport(h int, t PerShotSelectTask, title hull.Title, idx []int, fps float64) SizeReport {
	sr := SizeReport{Height: h}
	secs := float64(title.Frames) / fps
	for k, pi := range idx {
		var bits, vsum float64
		for _, s := range title.Shots {
			bits += s.Points[k].Bits
			vsum += s.Points[k].VMAF * float64(s.Frames)
		}
		sr.Fixed = append(sr.Fixed, CurvePoint{Bitrate: bits / secs, VMAF: vsum / float64(title.Frames), Value: max(t.Grid[pi].CRF, t.Grid[pi].QP)})
	}
	slices.SortFunc(sr.Fixed, func(a, b CurvePoint) int { return cmpFloat(a.Bitrate, b.Bitrate) })
	// Walk the hull keeping the choice and its quality sum, rather than
	// rebuilding every choice: at 5 000 shots × 30 points that is 10⁴ points.
	cur := title.Choice(0)
	var vsum float64
	for si, s := range title.Shots {
		vsum += s.Points[cur[si]].VMAF * float64(s.Frames)
	}
	for _, p := range title.Points {
		for _, m := range p.Moves {
			s := title.Shots[m.Shot]
			vsum += (s.Points[m.To].VMAF - s.Points[cur[m.Shot]].VMAF) * float64(s.Frames)
			cur[m.Shot] = m.To
		}
		cp := CurvePoint{Bitrate: p.Bits / secs, VMAF: vsum / float64(title.Frames)}
		if !math.IsInf(p.Lambda, 0) {
			cp.Lambda = p.Lambda
		}
		sr.PerShot = append(sr.PerShot, cp)
	}
	pct, err := bdrate.Rate(curveOf(sr.Fixed), curveOf(sr.PerShot), bdrate.PCHIP)
	if err != nil {
		sr.BDRateError = err.Error()
	} else {
		sr.BDRate = &pct
	}
	return sr
}

func curveOf(pts []CurvePoint) []bdrate.Point {
	out := make([]bdrate.Point, len(pts))
	for i, p := range pts {
		out[i] = bdrate.Point{Rate: p.Bitrate, Quality: p.VMAF}
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Per-shot curves a report offers besides its renditions (PerShotCurve).
const (
	CurveFixed   = "fixed"
	CurvePerShot = "per-shot"
)

// PerShotCurve is one of a per-shot job's curves at one grid height, for
// BD-rate: CurveFixed (every shot at one CRF or QP) or CurvePerShot (the
// title hull), rates in kb/s and quality the frame-weighted mean VMAF.
func (r Report) PerShotCurve(which string, height int) ([]bdrate.Point, error) {
	if r.PerShot == nil {
		return nil, fmt.Errorf("%w: job %s is not a per-shot job", bdrate.ErrInvalidInput, r.Job)
	}
	var heights []string
	for _, s := range r.PerShot.Sizes {
		heights = append(heights, fmt.Sprint(s.Height))
		if s.Height != height {
			continue
		}
		pts := s.Fixed
		switch which {
		case CurveFixed:
		case CurvePerShot:
			pts = s.PerShot
		default:
			return nil, fmt.Errorf("%w: curve %q (want %s or %s)", bdrate.ErrInvalidInput, which, CurveFixed, CurvePerShot)
		}
		out := curveOf(pts)
		for i := range out {
			out[i].Rate /= 1000
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: job %s has no grid height %d (it has %s)", bdrate.ErrInvalidInput, r.Job, height, strings.Join(heights, ", "))
}
