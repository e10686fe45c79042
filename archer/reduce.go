package archer

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Version is the format version of Analysis JSON.
const Version = "archer/1"

// Analysis is the reduced result for a frame range: JSON-serialisable and
// identical whatever the chunking or thread count that produced it.
type Analysis struct {
	Version   string   `json:"version"`
	Source    string   `json:"source,omitempty"`
	Start     int64    `json:"start"` // first frame analysed
	End       int64    `json:"end"`   // one past the last
	FPS       float64  `json:"fps"`
	Width     int      `json:"width"`
	Height    int      `json:"height"`
	Analyzers []string `json:"analyzers"`

	Boundaries []Boundary `json:"boundaries,omitempty"` // shots
	Shots      []Shot     `json:"shots,omitempty"`      // shots
	Black      []Segment  `json:"black,omitempty"`      // black
	Freeze     []Segment  `json:"freeze,omitempty"`     // freeze
	Crop       *CropInfo  `json:"crop,omitempty"`       // crop
	SITI       *SITIInfo  `json:"siti,omitempty"`       // siti
	Sharpness  *Stats     `json:"sharpness,omitempty"`  // sharpness
	Faces      int        `json:"faces_max,omitempty"`  // faces: most faces in one sampled frame
	// Thumbnails holds one representative frame per shot (thumbs); the JPEG
	// bytes are not part of the JSON.
	Thumbnails []Thumbnail `json:"thumbnails,omitempty"`
	// Frames are the per-frame measurements, without shot signatures.
	Frames []FrameRecord `json:"frames"`
}

// Boundary is a shot boundary: a hard cut, or a gradual transition whose
// frames are [Start, End). Frame is where the new shot begins (for a cut,
// the first frame after it; for a gradual transition, its middle).
type Boundary struct {
	Frame      int64   `json:"frame"`
	Start      int64   `json:"start"`
	End        int64   `json:"end"`
	Kind       string  `json:"kind"` // "cut", "fade" or "dissolve"
	Confidence float64 `json:"confidence"`
	Time       float64 `json:"time"` // Frame in seconds
}

// Kinds of Boundary.
const (
	KindCut      = "cut"
	KindFade     = "fade"
	KindDissolve = "dissolve"
)

// Shot is the range [Start, End) between two boundaries, with statistics
// over its frames.
type Shot struct {
	Index     int     `json:"index"`
	Start     int64   `json:"start"`
	End       int64   `json:"end"`
	StartTime float64 `json:"start_time"`
	Duration  float64 `json:"duration"`
	Sharpness float64 `json:"sharpness,omitempty"` // mean variance of the Laplacian
	SI        float64 `json:"si,omitempty"`        // max
	TI        float64 `json:"ti,omitempty"`        // max, without the shot's first frame
	Faces     int     `json:"faces,omitempty"`     // most faces in one sampled frame
	// Thumbnail is the representative frame: the sharpest frame that is
	// neither black nor inside a transition; -1 when every frame is.
	Thumbnail int64 `json:"thumbnail"`
}

// Segment is a run of frames [Start, End) (black or frozen).
type Segment struct {
	Start     int64   `json:"start"`
	End       int64   `json:"end"`
	StartTime float64 `json:"start_time"`
	EndTime   float64 `json:"end_time"`
	Duration  float64 `json:"duration"`
}

// CropInfo is the stable crop rectangle of the clip.
type CropInfo struct {
	Rect
	Letterbox bool `json:"letterbox"` // black bars top and bottom
	Pillarbox bool `json:"pillarbox"` // black bars left and right
	Frames    int  `json:"frames"`    // non-black frames it was measured on
}

// SITIInfo summarises P.910 spatial and temporal information: the maxima
// are what P.910 reports for a clip.
type SITIInfo struct {
	SIMax  float64 `json:"si_max"`
	SIMean float64 `json:"si_mean"`
	TIMax  float64 `json:"ti_max"`
	TIMean float64 `json:"ti_mean"`
}

// Stats summarises a per-frame value.
type Stats struct {
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Reduce merges the partials of consecutive chunks into one Analysis: it
// orders them, checks they cover a contiguous range (ErrIncomplete when not),
// drops frames two partials both hold, then finds the findings that span
// chunk edges (shots, black and freeze segments, the clip's crop) on the
// merged frame sequence. cfg must be the configuration the partials were
// made with; fps converts frames to seconds.
//
// A chunk measures freeze differences against its own reference frame
// (its run starts on its first frame), which is the clip's only where no
// still crosses the chunk's start edge, or where the two references are the
// same picture (an exact still). Where they differ, the frames after the
// edge must be measured again against the clip's reference until the two
// runs agree: Reduce cannot read frames and fails with ErrNeedsFrames;
// Runner.Reduce reads them from the source.
func Reduce(cfg Config, fps float64, partials []*Partial) (*Analysis, error) {
	return reduce(cfg, fps, partials, nil)
}

// edge is where a partial's frames start in the merged sequence: frames[at]
// is its first frame no earlier partial holds; local is the index of its
// freeze reference frame after the frame before that.
type edge struct {
	at    int
	local int64
	p     *Partial
}

// measureFunc returns the freeze difference of frame i to frame ref, as the
// freeze analyzer measures it. Calls come in increasing i; ref is either
// the last ref or a frame measured since.
type measureFunc func(ref, i int64) (float64, error)

func reduce(cfg Config, fps float64, partials []*Partial, measure measureFunc) (*Analysis, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if fps <= 0 {
		return nil, fmt.Errorf("frame rate %g: %w", fps, ErrInvalidInput)
	}
	var ps []*Partial
	for _, p := range partials {
		if p == nil || len(p.Frames) == 0 {
			return nil, fmt.Errorf("reduce: missing or empty partial: %w", ErrIncomplete)
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("reduce: no partials: %w", ErrEmptyRange)
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Start < ps[j].Start })
	a := &Analysis{Version: Version, Start: ps[0].Start, FPS: fps, Width: ps[0].Width, Height: ps[0].Height, Analyzers: c.Analyzers}
	var frames []FrameRecord
	var edges []edge
	next := ps[0].Start
	for k, p := range ps {
		if p.Width != a.Width || p.Height != a.Height || !slices.Equal(p.Analyzers, c.Analyzers) {
			return nil, fmt.Errorf("reduce: chunk [%d,%d) has %dx%d %v, want %dx%d %v: %w", p.Start, p.End, p.Width, p.Height, p.Analyzers, a.Width, a.Height, c.Analyzers, ErrIncomplete)
		}
		if p.Start > next {
			return nil, fmt.Errorf("reduce: frames [%d,%d) missing: %w", next, p.Start, ErrIncomplete)
		}
		if p.NoContext && p != ps[0] && p.Start >= next {
			// Its first record lacks the comparison with the frame before.
			return nil, fmt.Errorf("reduce: chunk [%d,%d) starts without context and the chunk before does not cover frame %d: %w", p.Start, p.End, p.Start, ErrIncomplete)
		}
		// The chunk's freeze run starts on its first frame read: the
		// context frame, unless its first record has nothing to compare with.
		e := edge{at: len(frames), local: p.Frames[0].Index - 1, p: p}
		for _, f := range p.Frames {
			if f.Index < next {
				if changed(f.Diff, c.FreezeNoise) {
					e.local = f.Index
				}
				continue // held by the previous partial too
			}
			if f.Index != next {
				return nil, fmt.Errorf("reduce: frame %d missing: %w", next, ErrIncomplete)
			}
			frames = append(frames, f)
			next++
		}
		if k > 0 && len(frames) > e.at {
			edges = append(edges, e)
		}
	}
	a.End = next
	a.Frames = frames
	if c.has(Freeze) {
		if err := freezeReferences(frames, edges, c.FreezeNoise, measure); err != nil {
			return nil, err
		}
	}
	a.End = next
	a.Frames = frames

	fr := func(i int64) float64 { return float64(i) / fps }
	if c.has(Black) {
		a.Black = runs(frames, int(math.Ceil(c.BlackMinDuration*fps-1e-9)), func(f *FrameRecord) bool { return f.BlackRatio >= c.BlackRatio }, fr)
	}
	if c.has(Freeze) {
		a.Freeze = freezeRuns(frames, c.FreezeNoise, c.FreezeMinDuration*fps, fr)
	}
	if c.has(Shots) {
		a.Boundaries = detectBoundaries(c, frames, fps)
	}
	a.Shots = shots(c, a, frames)
	if c.has(Crop) {
		a.Crop = stableCrop(frames, a.Width, a.Height)
	}
	if c.has(SITI) {
		// TI of the range's first frame is left out: without a previous
		// frame in the range it is 0 (or measures the frame before it).
		a.SITI = &SITIInfo{}
		for i, f := range frames {
			a.SITI.SIMax = max(a.SITI.SIMax, f.SI)
			a.SITI.SIMean += f.SI / float64(len(frames))
			if i > 0 {
				a.SITI.TIMax = max(a.SITI.TIMax, f.TI)
				a.SITI.TIMean += f.TI / float64(len(frames)-1)
			}
		}
	}
	if c.has(Sharpness) {
		s := &Stats{Min: math.Inf(1)}
		for _, f := range frames {
			s.Min, s.Max = min(s.Min, f.Sharpness), max(s.Max, f.Sharpness)
			s.Mean += f.Sharpness / float64(len(frames))
		}
		a.Sharpness = s
	}
	if c.has(Faces) {
		for _, f := range frames {
			a.Faces = max(a.Faces, f.Faces)
		}
	}
	for i := range a.Frames {
		a.Frames[i].Hist, a.Frames[i].Grid = nil, nil
	}
	return a, nil
}

// runs returns the maximal runs of frames for which is holds, at least
// minLen frames long.
func runs(frames []FrameRecord, minLen int, is func(*FrameRecord) bool, sec func(int64) float64) []Segment {
	var out []Segment
	start := -1
	flush := func(end int) {
		if start >= 0 && end-start >= max(1, minLen) {
			s, e := frames[start].Index, frames[end-1].Index+1
			out = append(out, Segment{Start: s, End: e, StartTime: sec(s), EndTime: sec(e), Duration: sec(e) - sec(s)})
		}
		start = -1
	}
	for i := range frames {
		if is(&frames[i]) {
			if start < 0 {
				start = i
			}
		} else {
			flush(i)
		}
	}
	flush(len(frames))
	return out
}

// freezeRuns finds frozen segments as freezedetect does: a segment starts on
// a reference frame and holds the frames after it that stay within the
// noise of it (Diff, measured against the reference). freezedetect measures
// the duration at every frame, the one that ends the segment included, so
// a segment ended by a changed frame is reported when that frame is at
// least minFrames after the reference, and one the range ends in when its
// last frame is. A segment whose reference is the range's context frame
// starts on the range's first frame.
func freezeRuns(frames []FrameRecord, noise, minFrames float64, sec func(int64) float64) []Segment {
	var out []Segment
	start := -1 // index in frames of the reference frame
	flush := func(end int) {
		last := end // the frame that changed
		if end == len(frames) {
			last = end - 1 // the range ends frozen
		}
		if start >= 0 && float64(last-start) >= minFrames-1e-9 {
			s, e := frames[start].Index, frames[end-1].Index+1
			out = append(out, Segment{Start: s, End: e, StartTime: sec(s), EndTime: sec(e), Duration: sec(e) - sec(s)})
		}
		start = -1
	}
	for i := range frames {
		if frames[i].Diff >= 0 && frames[i].Diff <= noise {
			if start < 0 {
				start = max(0, i-1)
			}
		} else {
			flush(i)
		}
	}
	flush(len(frames))
	return out
}

// freezeReferences makes the freeze differences of frames those against
// the clip's reference frames. Each partial's run is the clip's from the
// edge where it starts while both have the same reference frame, or two
// references with the same pixels (a difference of exactly 0, so every
// later frame measures the same against either). Elsewhere, from such an
// edge until the two runs agree again, measure gives the clip's difference
// (ErrNeedsFrames when measure is nil). The first partial's run is the
// clip's by definition.
func freezeReferences(frames []FrameRecord, edges []edge, noise float64, measure measureFunc) error {
	if len(frames) == 0 {
		return nil
	}
	base := frames[0].Index
	clip := base - 1 // the clip's reference frame (base-1: the context frame)
	local := clip    // the reference frame of the partial frames[i] comes from
	same := true     // local's differences are the clip's
	for i := range frames {
		f := &frames[i]
		if len(edges) > 0 && edges[0].at == i {
			e := edges[0]
			edges = edges[1:]
			local = e.local
			switch {
			case local == clip:
				same = true
			case local > clip: // frames[local] was measured against clip
				same = frames[local-base].Diff == 0
			default: // the partial measured clip against local
				k := clip - e.p.Frames[0].Index
				same = k >= 0 && k < int64(len(e.p.Frames)) && e.p.Frames[k].Index == clip && e.p.Frames[k].Diff == 0
			}
		}
		own := f.Diff
		if !same {
			if measure == nil {
				return fmt.Errorf("reduce: the still at frame %d crosses a chunk edge: %w", clip, ErrNeedsFrames)
			}
			d, err := measure(clip, f.Index)
			if err != nil {
				return fmt.Errorf("reduce: measuring frame %d against frame %d: %w", f.Index, clip, err)
			}
			f.Diff = d
		}
		clipChanged, localChanged := changed(f.Diff, noise), changed(own, noise)
		if clipChanged {
			clip = f.Index
		}
		if localChanged {
			local = f.Index
		}
		// Agreement again: one reference, or a new one with the other's pixels.
		same = same || local == clip || clipChanged && own == 0 || localChanged && f.Diff == 0
	}
	return nil
}

// shots cuts [a.Start, a.End) at the boundaries and summarises each shot.
func shots(c Config, a *Analysis, frames []FrameRecord) []Shot {
	if !c.has(Shots) {
		return nil
	}
	at := func(i int64) *FrameRecord { return &frames[i-a.Start] }
	inTransition := func(i int64) bool {
		for _, b := range a.Boundaries {
			if b.Kind != KindCut && i >= b.Start && i < b.End {
				return true
			}
		}
		return false
	}
	var out []Shot
	edges := []int64{a.Start}
	for _, b := range a.Boundaries {
		edges = append(edges, b.Frame)
	}
	edges = append(edges, a.End)
	for k := 0; k+1 < len(edges); k++ {
		s := Shot{Index: k, Start: edges[k], End: edges[k+1], Thumbnail: -1}
		s.StartTime = float64(s.Start) / a.FPS
		s.Duration = float64(s.End-s.Start) / a.FPS
		best := math.Inf(-1)
		for i := s.Start; i < s.End; i++ {
			f := at(i)
			s.Sharpness += f.Sharpness / float64(s.End-s.Start)
			s.SI = max(s.SI, f.SI)
			if i > s.Start {
				s.TI = max(s.TI, f.TI) // the first frame's TI measures the cut
			}
			s.Faces = max(s.Faces, f.Faces)
			if f.BlackRatio < c.BlackRatio && !inTransition(i) && f.Sharpness > best {
				best, s.Thumbnail = f.Sharpness, i
			}
		}
		out = append(out, s)
	}
	return out
}

// stableCrop is the crop rectangle that keeps what 98% of the non-black
// frames show: per edge, a robust extreme of the per-frame rectangles, so a
// dark scene does not shrink it and a stray bright frame does not grow it.
func stableCrop(frames []FrameRecord, w, h int) *CropInfo {
	var x0, y0, x1, y1 []int
	for _, f := range frames {
		if f.Crop == nil {
			continue
		}
		x0, y0 = append(x0, f.Crop.X), append(y0, f.Crop.Y)
		x1, y1 = append(x1, f.Crop.X+f.Crop.W), append(y1, f.Crop.Y+f.Crop.H)
	}
	if len(x0) == 0 {
		return nil
	}
	lo := func(v []int) int { slices.Sort(v); return v[len(v)*2/100] }
	hi := func(v []int) int { slices.Sort(v); return v[len(v)-1-len(v)*2/100] }
	r := Rect{X: lo(x0), Y: lo(y0)}
	r.W, r.H = hi(x1)-r.X, hi(y1)-r.Y
	ci := &CropInfo{Rect: r, Frames: len(x0)}
	// Bars count when both sides lose at least 1% of the picture.
	ci.Letterbox = r.Y*100 >= h && (h-r.Y-r.H)*100 >= h
	ci.Pillarbox = r.X*100 >= w && (w-r.X-r.W)*100 >= w
	return ci
}
