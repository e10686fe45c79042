package workflows

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// Report is the content of report.json: everything about a finished job.
type Report struct {
	Job        string            `json:"job"`
	Source     string            `json:"source"`
	Info       SourceInfo        `json:"source_info"`
	Written    time.Time         `json:"written"`
	Quality    QualityPolicy     `json:"quality"`
	Chunks     int               `json:"chunks"`
	Renditions []RenditionReport `json:"renditions"`
	Timings    ReportTimings     `json:"timings"`
	// Problems is everything wrong with the source that was worked around:
	// the probe's (source_info.problems) and what decoding the chunks found,
	// each line once, the source's first and then by chunk. ProblemsMore
	// counts lines the chunks left out (MaxChunkProblems).
	Problems     []string `json:"problems,omitempty"`
	ProblemsMore int      `json:"problems_more,omitempty"`
	// Package is the streaming package (its files, each rung's BANDWIDTH),
	// when the job asked for one.
	Package *PackageResult `json:"package,omitempty"`
	// PerShot is a per-shot job's grid, hulls, choices and BD-rates.
	PerShot *PerShotReport `json:"per_shot,omitempty"`
}

// RenditionReport is one rendition in report.json.
type RenditionReport struct {
	Name    string    `json:"name"`
	Profile Rendition `json:"profile"`
	Output  string    `json:"output"`
	Bytes   int64     `json:"bytes"`
	SHA256  string    `json:"sha256"`
	Frames  int64     `json:"frames"`
	// Duration in seconds and Bitrate in bits per second of the output.
	Duration float64 `json:"duration_seconds"`
	Bitrate  float64 `json:"bitrate_bps"`
	HasAudio bool    `json:"has_audio"`
	// Timing says what was done with the source's frame timing:
	// TimingVFRKept or TimingConstant.
	Timing string `json:"timing"`
	// VMAF and PSNR pool the final attempts' per-chunk means, frame-weighted.
	// Each is absent when the job did not measure it (quality.metrics), so a
	// dashboard never reads an unmeasured metric as a score of 0.
	VMAF *PooledScore `json:"vmaf,omitempty"`
	PSNR *PooledScore `json:"psnr_y,omitempty"`
	// Reencoded lists the chunks that took more than one attempt; BelowBar
	// those whose final attempt is still under the quality bar.
	Reencoded []int         `json:"reencoded_chunks"`
	BelowBar  []int         `json:"below_bar_chunks"`
	Chunks    []ChunkReport `json:"chunks"`
	// FrameScores is the URL of every output frame's scores, libvmaf JSON
	// as 'reel vmaf' writes it, frames numbered in the rendition; absent
	// when the chunks were not scored.
	FrameScores string `json:"frame_scores,omitempty"`
}

// PooledScore summarises a metric over the chunks of a rendition.
type PooledScore struct {
	Mean     float64 `json:"mean"`
	MinChunk float64 `json:"min_chunk"`
	MaxChunk float64 `json:"max_chunk"`
	// MinFrame is the worst single frame (VMAF only).
	MinFrame float64 `json:"min_frame,omitempty"`
}

// ChunkReport is one chunk of one rendition with every attempt made.
type ChunkReport struct {
	Index    int           `json:"index"`
	Start    int64         `json:"start"`
	End      int64         `json:"end"`
	Final    int           `json:"final_attempt"`
	Passed   bool          `json:"passed"`
	Attempts []ChunkResult `json:"attempts"`
}

// ReportTimings are seconds spent per phase. Encode and Score add up the
// chunk activities' own timings (CPU-parallel work, so they can exceed the
// wall clock); the others are wall-clock from the workflow.
type ReportTimings struct {
	Total    float64 `json:"total"`
	Probe    float64 `json:"probe"`
	Chunks   float64 `json:"chunks_wall"`
	Assemble float64 `json:"assemble_wall"`
	Encode   float64 `json:"encode_sum"`
	Score    float64 `json:"score_sum"`
	Reused   int     `json:"reused_attempts"`
}

// WriteReport builds report.json from the chunk sidecars and the assembled
// outputs, stores it in the output store and returns its URL.
func (a *Activities) WriteReport(ctx context.Context, t ReportTask) (string, error) {
	rep, err := a.buildReport(ctx, t)
	if err != nil {
		return "", err
	}
	b, err := marshalJSON(rep)
	if err != nil {
		return "", err
	}
	out, err := a.openStore(ctx, t.Output)
	if err != nil {
		return "", err
	}
	if _, err := out.PutBytes(ctx, "report.json", b); err != nil {
		return "", err
	}
	return out.URL("report.json"), nil
}

func (a *Activities) buildReport(ctx context.Context, t ReportTask) (Report, error) {
	work, err := a.openStore(ctx, t.Work)
	if err != nil {
		return Report{}, err
	}
	rep := Report{
		Job: t.Job, Source: t.Source, Info: t.Info, Written: time.Now().UTC(), Quality: t.Quality, Chunks: len(t.Chunks),
		Timings: ReportTimings{Total: t.Timings.Total, Probe: t.Timings.Probe, Chunks: t.Timings.Chunks, Assemble: t.Timings.Assemble},
		Package: t.Package,
	}
	// Every rendition and attempt decodes the same source ranges, so their
	// problems are gathered per chunk.
	chunkLines := make([][]string, len(t.Chunks))
	more := make([]int, len(t.Chunks))
	for _, rec := range t.Renditions {
		if len(rec.Final) != len(t.Chunks) || len(rec.Tried) != len(t.Chunks) || len(rec.Passed) != len(t.Chunks) {
			return Report{}, badInputErr(fmt.Errorf("report: rendition %s has %d/%d/%d chunk records for %d chunks",
				rec.Rendition.Name, len(rec.Final), len(rec.Tried), len(rec.Passed), len(t.Chunks)))
		}
		rr := RenditionReport{
			Name: rec.Rendition.Name, Profile: rec.Rendition, Output: rec.Output.URL, Bytes: rec.Output.Bytes,
			SHA256: rec.Output.SHA256, Frames: rec.Output.Frames, Duration: rec.Output.Duration,
			Bitrate: rec.Output.Bitrate, HasAudio: rec.Output.HasAudio, Timing: timingOf(t.Info, rec.Rendition),
			Reencoded: []int{}, BelowBar: []int{}, FrameScores: rec.Output.FrameScores,
		}
		var vsum, psum float64
		var frames int64
		var vmafScore, psnrScore PooledScore
		vmafScore.MinChunk, psnrScore.MinChunk, vmafScore.MinFrame = math.Inf(1), math.Inf(1), math.Inf(1)
		for i, c := range t.Chunks {
			cr := ChunkReport{Index: c.Index, Start: c.Start, End: c.End, Final: rec.Final[i], Passed: rec.Passed[i]}
			from := rec.Rendition
			if rec.Choice != nil {
				if i >= len(rec.Choice) || rec.Choice[i] < 0 || rec.Choice[i] >= len(t.Grid) {
					return Report{}, badInputErr(fmt.Errorf("report: rendition %s chunk %d has no grid point", rec.Rendition.Name, c.Index))
				}
				from = t.Grid[rec.Choice[i]]
			}
			for attempt := 1; attempt <= rec.Tried[i]; attempt++ {
				key := sidecarKey(chunkKey(t.Job, from, c.Index, attempt))
				b, err := work.GetBytes(ctx, key)
				if err != nil {
					return Report{}, fmt.Errorf("report: %w", err)
				}
				var res ChunkResult
				if err := unmarshalJSON(b, &res); err != nil {
					return Report{}, fmt.Errorf("report: %s: %w", work.URL(key), err)
				}
				cr.Attempts = append(cr.Attempts, res)
				chunkLines[i] = append(chunkLines[i], res.Problems...)
				more[i] = max(more[i], res.ProblemsMore)
				rep.Timings.Encode += res.EncodeSeconds
				rep.Timings.Score += res.ScoreSeconds
			}
			if rec.Final[i] < 1 || rec.Final[i] > len(cr.Attempts) {
				return Report{}, fmt.Errorf("report: rendition %s chunk %d: final attempt %d of %d", rec.Rendition.Name, c.Index, rec.Final[i], len(cr.Attempts))
			}
			fin := cr.Attempts[rec.Final[i]-1]
			n := float64(c.Frames())
			vsum += fin.VMAF * n
			psum += fin.PSNR * n
			frames += c.Frames()
			vmafScore.MinChunk = math.Min(vmafScore.MinChunk, fin.VMAF)
			vmafScore.MaxChunk = math.Max(vmafScore.MaxChunk, fin.VMAF)
			vmafScore.MinFrame = math.Min(vmafScore.MinFrame, fin.VMAFMin)
			psnrScore.MinChunk = math.Min(psnrScore.MinChunk, fin.PSNR)
			psnrScore.MaxChunk = math.Max(psnrScore.MaxChunk, fin.PSNR)
			if rec.Tried[i] > 1 {
				rr.Reencoded = append(rr.Reencoded, c.Index)
			}
			if !rec.Passed[i] {
				rr.BelowBar = append(rr.BelowBar, c.Index)
			}
			rr.Chunks = append(rr.Chunks, cr)
		}
		if frames > 0 {
			vmafScore.Mean = vsum / float64(frames)
			psnrScore.Mean = psum / float64(frames)
		}
		for _, p := range []*PooledScore{&vmafScore, &psnrScore} {
			for _, f := range []*float64{&p.MinChunk, &p.MinFrame} {
				if math.IsInf(*f, 0) {
					*f = 0
				}
			}
		}
		if measures(t.Quality, MetricVMAF) {
			rr.VMAF = &vmafScore
		}
		if measures(t.Quality, MetricPSNR) {
			rr.PSNR = &psnrScore
		}
		rep.Renditions = append(rep.Renditions, rr)
	}
	var ps problemList
	ps.add(t.Info.Problems)
	for i := range t.Chunks {
		ps.add(chunkLines[i])
		ps.more += more[i]
	}
	rep.Problems, rep.ProblemsMore = ps.lines, ps.more
	if t.PerShot != "" {
		b, err := work.GetBytes(ctx, t.PerShot)
		if err != nil {
			return Report{}, fmt.Errorf("report: %w", err)
		}
		rep.PerShot = new(PerShotReport)
		if err := unmarshalJSON(b, rep.PerShot); err != nil {
			return Report{}, fmt.Errorf("report: %s: %w", work.URL(t.PerShot), err)
		}
	}
	return rep, nil
}

// What a rendition did with the source's frame timing (its Timing in
// report.json and in the job's Result).
const (
	// TimingVFRKept: the source's frame durations vary, and every output
	// frame keeps its source frame's timestamp and duration (VFR in, VFR
	// out; VMAF pairs frames by index).
	TimingVFRKept = "vfr kept"
	// TimingConstant: the source has a constant frame rate, kept.
	TimingConstant = "constant rate"
	// TimingConverted: the rendition was converted to the constant rate
	// Rendition.FPS ("converted to 25 fps", "converted to 30000/1001 fps").
	TimingConverted = "converted to %s fps"
)

// timingOf is what the job does with the timing of a source like info:
// renditions keep the source's timestamps (encode.EncodeRange), so a
// variable rate stays variable, unless r converts to a constant rate.
func timingOf(info SourceInfo, r Rendition) string {
	if fps, err := ParseFPS(r.FPS); err == nil && fps.Num > 0 {
		return fmt.Sprintf(TimingConverted, formatFPS(fps))
	}
	if info.VFR {
		return TimingVFRKept
	}
	return TimingConstant
}

// problemList gathers problem lines from the probe and the chunks: each
// line once, in the order first seen (the probe's, then chunk by chunk,
// which is the source's frame order), and a count of lines left out.
type problemList struct {
	lines []string
	seen  map[string]bool
	more  int
}

func (l *problemList) add(lines []string) {
	for _, s := range lines {
		if l.seen[s] {
			continue
		}
		if l.seen == nil {
			l.seen = map[string]bool{}
		}
		l.seen[s] = true
		l.lines = append(l.lines, s)
	}
}

// capped returns at most n lines and how many more there are in all.
func (l *problemList) capped(n int) ([]string, int) {
	if len(l.lines) > n {
		return l.lines[:n], l.more + len(l.lines) - n
	}
	return l.lines, l.more
}

// measures says whether a job under q scores metric m. An empty list is the
// default, both metrics (histories from before the list was filled in).
func measures(q QualityPolicy, m string) bool {
	return len(q.Metrics) == 0 || slices.Contains(q.Metrics, m)
}

func marshalJSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return append(b, '\n'), nil
}

func unmarshalJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	return dec.Decode(v)
}
