package archer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/reelmedia/reel/media"
)

// Reduce is the package's Reduce for partials made with r's configuration,
// except that where a still crosses a chunk edge and the chunk after it
// measured against another reference picture, it reads the frames from src
// (the source the partials were made from, delivering frames as the chunks'
// readers did) and measures them again against the clip's reference, one
// frame after the other, until the chunk's own run agrees with the clip's.
// The result is then the same whatever the chunking.
func (r *Runner) Reduce(ctx context.Context, src Source, fps float64, partials []*Partial) (*Analysis, error) {
	w, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release(w)
	w.prep.reset()
	m := &remeasurer{src: src, prep: w.prep, freeze: newFreezeAnalyzer(r.cfg.FreezeNoise), ref: -1}
	for _, p := range partials {
		if p != nil {
			m.end = max(m.end, p.End)
		}
	}
	defer m.close()
	return reduce(r.cfg, fps, partials, func(ref, i int64) (float64, error) { return m.measure(ctx, ref, i) })
}

// remeasurer measures frames against a freeze reference frame for Reduce:
// it keeps one reader open while the frames it is asked for follow each
// other, and the reference frame's planes in a freeze analyzer.
type remeasurer struct {
	src    Source
	prep   *preparer
	freeze *freezeAnalyzer
	ref    int64 // the frame freeze holds; -1: none
	end    int64 // one past the last frame a reader opens

	fr   media.FrameReader
	next int64 // the index fr delivers next
}

func (m *remeasurer) measure(ctx context.Context, ref, i int64) (float64, error) {
	var rec FrameRecord
	if ref != m.ref {
		f, err := m.read(ctx, ref)
		if err != nil {
			return 0, err
		}
		m.freeze.Reset()
		if err := m.freeze.Process(f, &rec); err != nil {
			return 0, err
		}
		m.ref = ref
	}
	f, err := m.read(ctx, i)
	if err != nil {
		return 0, err
	}
	if err := m.freeze.Process(f, &rec); err != nil {
		return 0, err
	}
	if changed(rec.Diff, m.freeze.noise) {
		m.ref = i
	}
	return rec.Diff, nil
}

// read returns frame i prepared as the chunks' analyzers saw it.
func (m *remeasurer) read(ctx context.Context, i int64) (*Frame, error) {
	if m.fr == nil || m.next != i {
		m.close()
		fr, err := m.src.OpenRange(ctx, i, m.end)
		if err != nil {
			return nil, fmt.Errorf("opening frames from %d: %w", i, err)
		}
		m.fr, m.next = fr, i
	}
	for {
		mf, err := m.fr.ReadFrame(ctx)
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("frame %d: the source ended: %w", i, ErrIncomplete)
		}
		if err != nil {
			return nil, fmt.Errorf("reading frame %d: %w", i, err)
		}
		if mf.Index < i {
			continue // pre-roll the reader delivered
		}
		if mf.Index != i {
			return nil, fmt.Errorf("reading frame %d: got frame %d: %w", i, mf.Index, ErrInvalidInput)
		}
		m.next = i + 1
		return m.prep.prepare(mf)
	}
}

func (m *remeasurer) close() {
	if cl, ok := m.fr.(io.Closer); ok {
		cl.Close()
	}
	m.fr = nil
}
