package workflows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/vmaf"
)

// Per-frame scores. Every scored chunk attempt stores its frames' scores
// beside the chunk (<chunk key>.frames.json, libvmaf JSON, frame numbers
// from 0 in the chunk, every digit kept); Assemble joins those of the final
// attempts into <output>/<rendition>.vmaf.json, the shape 'reel vmaf'
// writes, with frame numbers in the rendition's timeline, and report.json
// points at it (RenditionReport.FrameScores).

// FrameScoresSuffix ends the output key of a rendition's per-frame scores:
// <rendition>.vmaf.json.
const FrameScoresSuffix = ".vmaf.json"

func frameScoresKey(chunk string) string { return chunk + ".frames.json" }

// keptMetric says whether a per-frame metric is kept: the model's score and
// the asked features (PSNR's three planes), not the model's elementary
// features (integer_vif_scale0, ...), which would triple the file of a
// long film for no reader.
func keptMetric(name string) bool {
	return strings.HasPrefix(name, vmaf.KeyVMAF) || strings.HasPrefix(name, "psnr")
}

// chunkFrameScores is r's frames with only the kept metrics, as libvmaf JSON
// with every digit, so the rendition's pooled scores read from it are those
// the report pools.
func chunkFrameScores(r *vmaf.Result) ([]byte, error) {
	kept := &vmaf.Result{Version: r.Version, Frames: make([]vmaf.FrameScore, 0, len(r.Frames))}
	for _, f := range r.Frames {
		m := make(map[string]float64, 4)
		for k, v := range f.Metrics {
			if keptMetric(k) {
				m[k] = v
			}
		}
		kept.Frames = append(kept.Frames, vmaf.FrameScore{Index: f.Index, Metrics: m})
	}
	kept.PoolAll()
	var buf bytes.Buffer
	if err := vmaf.WriteJSONWith(&buf, kept, vmaf.ReportOptions{Digits: vmaf.DigitsMax}); err != nil {
		return nil, fmt.Errorf("per-frame scores: %w", err)
	}
	return buf.Bytes(), nil
}

// assembleFrameScores joins the per-frame scores of the final attempts
// (chunkKeys, in order) into one report in the rendition's timeline and
// stores it as <rendition>.vmaf.json in out. It returns "" and no error when
// an attempt has no per-frame scores (the job scored nothing, or its chunks
// were encoded by a worker from before they were kept) or no sidecar (a
// chunk stored by hand).
func (a *Activities) assembleFrameScores(ctx context.Context, work, out mezzfs.Store, rendition string, chunkKeys []string) (string, error) {
	joined := &vmaf.Result{}
	var offset int64
	for _, k := range chunkKeys {
		b, err := work.GetBytes(ctx, sidecarKey(k))
		if errors.Is(err, mezzfs.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("per-frame scores: %w", err)
		}
		var res ChunkResult
		if err := unmarshalJSON(b, &res); err != nil {
			return "", fmt.Errorf("per-frame scores: %s: %w", work.URL(sidecarKey(k)), err)
		}
		if res.FramesKey == "" {
			return "", nil
		}
		fb, err := work.GetBytes(ctx, res.FramesKey)
		if err != nil {
			return "", fmt.Errorf("per-frame scores: %w", err)
		}
		r, err := vmaf.ReadJSON(bytes.NewReader(fb))
		if err != nil {
			return "", fmt.Errorf("per-frame scores: %s: %w", work.URL(res.FramesKey), err)
		}
		if joined.Version == "" {
			joined.Version = r.Version
		}
		for _, f := range r.Frames {
			if f.Index >= res.Frames {
				return "", fmt.Errorf("per-frame scores: %s: frame %d of a %d-frame chunk", work.URL(res.FramesKey), f.Index, res.Frames)
			}
			joined.Frames = append(joined.Frames, vmaf.FrameScore{Index: f.Index + offset, Metrics: f.Metrics})
		}
		offset += res.Frames
	}
	joined.PoolAll()
	var buf bytes.Buffer
	if err := vmaf.WriteJSON(&buf, joined); err != nil {
		return "", fmt.Errorf("per-frame scores: %w", err)
	}
	key := rendition + FrameScoresSuffix
	if _, err := out.PutBytes(ctx, key, buf.Bytes()); err != nil {
		return "", err
	}
	return key, nil
}
