package archer

import (
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"io"
	"os"

	"gocv.io/x/gocv"
)

// FrameRecord holds what the analyzers found in one frame. Fields of
// analyzers that did not run keep their zero value. Hist and Grid are the
// frame's signature for shot detection; they travel in Partials and are
// dropped from the final Analysis.
type FrameRecord struct {
	Index int64   `json:"i"`
	PTS   float64 `json:"pts"`
	// Luma is the mean 8-bit luma; BlackRatio the fraction of pixels at or
	// under the black level (always computed: shots, black and thumbs use them).
	Luma       float64 `json:"luma"`
	BlackRatio float64 `json:"black_ratio"`
	// Diff is the mean absolute difference, over all planes at the analysis
	// size and as a fraction of full scale (freezedetect's MAFD), to the
	// freeze reference frame: the last frame that differed from its own
	// reference by more than Config.FreezeNoise (so the first frame of a
	// still). -1 when there is none (the first frame). In a Partial the
	// reference is the chunk's own (its run starts at its first frame);
	// Reduce puts in the clip's.
	Diff      float64 `json:"diff,omitempty"`
	Sharpness float64 `json:"sharpness,omitempty"` // variance of the Laplacian at the analysis size
	SI        float64 `json:"si,omitempty"`        // P.910 spatial information (full-resolution, full-range luma)
	TI        float64 `json:"ti,omitempty"`        // P.910 temporal information; 0 without a previous frame
	Crop      *Rect   `json:"crop,omitempty"`      // non-black area; nil for a black frame
	// Faces is the number of faces found; -1 when the frame was not sampled.
	Faces int      `json:"faces,omitempty"`
	Hist  []uint16 `json:"hist,omitempty"` // Y (32 bins), U, V (16 bins each), each summing to ~65535
	Grid  []byte   `json:"grid,omitempty"` // 32×18 area-averaged luma
}

// Rect is a rectangle in source pixels.
type Rect struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Analyzer looks at the consecutive frames of one chunk, in order. It is not
// safe for concurrent use and may hold native memory: a Factory makes one per
// worker, and the runner calls Close when the worker is done.
type Analyzer interface {
	// Name is the analyzer's name, one of AllAnalyzers.
	Name() string
	// Reset forgets the previous frame: the next Process call starts a new
	// run of consecutive frames (a new chunk).
	Reset()
	// Process looks at f and writes its findings into rec.
	Process(f *Frame, rec *FrameRecord) error
	// Close releases native resources.
	Close() error
}

// Factory makes a new Analyzer; the runner calls it once per worker.
type Factory func(cfg Config) (Analyzer, error)

// factories are the built-in per-frame analyzers. Thumbs has no per-frame
// work of its own: it uses the base statistics, sharpness and shots.
var factories = map[string]Factory{
	Shots:     func(Config) (Analyzer, error) { return newShotsAnalyzer(), nil },
	Freeze:    func(c Config) (Analyzer, error) { return newFreezeAnalyzer(c.FreezeNoise), nil },
	Sharpness: func(Config) (Analyzer, error) { return newSharpnessAnalyzer(), nil },
	Crop:      func(c Config) (Analyzer, error) { return newCropAnalyzer(c.CropLimit), nil },
	SITI:      func(c Config) (Analyzer, error) { return newSITIAnalyzer(c.FullRange), nil },
	Faces:     newFacesAnalyzer,
}

// baseAnalyzer computes mean luma and the black-pixel ratio of every frame.
type baseAnalyzer struct{ level int }

func (a *baseAnalyzer) Name() string { return "base" }
func (a *baseAnalyzer) Reset()       {}
func (a *baseAnalyzer) Close() error { return nil }
func (a *baseAnalyzer) Process(f *Frame, rec *FrameRecord) error {
	var sum, black, n int
	lvl := min(255, a.level)
	for v, c := range f.LumaHist {
		sum += v * int(c)
		if v <= lvl {
			black += int(c)
		}
		n += int(c)
	}
	if n == 0 {
		return fmt.Errorf("empty analysis frame: %w", ErrInvalidInput)
	}
	rec.Luma = float64(sum) / float64(n)
	rec.BlackRatio = float64(black) / float64(n)
	return nil
}

// Signature sizes for shot detection.
const (
	histY, histC = 32, 16
	gridW, gridH = 32, 18
)

// appendBins appends h merged into bins equal bins (bins divides 256), each
// as a fraction of the total scaled to 65535, rounded.
func appendBins(dst []uint16, h *[256]uint32, bins int) []uint16 {
	width := 256 / bins
	var total int
	for _, c := range h {
		total += int(c)
	}
	for b := 0; b < bins; b++ {
		var c int
		for _, v := range h[b*width : (b+1)*width] {
			c += int(v)
		}
		dst = append(dst, uint16((c*65535+total/2)/max(total, 1)))
	}
	return dst
}

// shotsAnalyzer computes each frame's signature; boundaries are found in
// Reduce over the whole sequence, so no state crosses frames here.
type shotsAnalyzer struct {
	grid gocv.Mat
	hist [256]uint32
}

func newShotsAnalyzer() *shotsAnalyzer { return &shotsAnalyzer{grid: gocv.NewMat()} }

func (a *shotsAnalyzer) Name() string { return Shots }
func (a *shotsAnalyzer) Reset()       {}
func (a *shotsAnalyzer) Close() error { return a.grid.Close() }
func (a *shotsAnalyzer) Process(f *Frame, rec *FrameRecord) error {
	rec.Hist = make([]uint16, 0, histY+2*histC)
	rec.Hist = appendBins(rec.Hist, &f.LumaHist, histY)
	if f.Chroma {
		for _, m := range []gocv.Mat{f.U, f.V} {
			pix, err := m.DataPtrUint8()
			if err != nil {
				return err
			}
			histogram(pix, &a.hist)
			rec.Hist = appendBins(rec.Hist, &a.hist, histC)
		}
	}
	gocv.Resize(f.Gray, &a.grid, image.Pt(gridW, gridH), 0, 0, gocv.InterpolationArea)
	g, err := a.grid.DataPtrUint8()
	if err != nil {
		return err
	}
	rec.Grid = append([]byte(nil), g...)
	return nil
}

// freezeAnalyzer measures each frame against the freeze reference frame,
// as freezedetect does: the SAD of every plane (at the analysis size; the
// filter works at full size) over the number of samples, over 256. A frame
// that differs from the reference by more than the noise becomes the
// reference, so a still is measured against its first frame and a slow
// drift does not pass for one.
type freezeAnalyzer struct {
	noise float64
	ref   [3][]byte // the reference frame's planes
	n     int       // planes held in ref; 0 before the first frame
}

func newFreezeAnalyzer(noise float64) *freezeAnalyzer { return &freezeAnalyzer{noise: noise} }

func (a *freezeAnalyzer) Name() string { return Freeze }
func (a *freezeAnalyzer) Reset()       { a.n = 0 }
func (a *freezeAnalyzer) Close() error { return nil }
func (a *freezeAnalyzer) Process(f *Frame, rec *FrameRecord) error {
	planes := []gocv.Mat{f.Gray}
	if f.Chroma {
		planes = append(planes, f.U, f.V)
	}
	var pix [3][]byte
	comparable := a.n == len(planes)
	for i, p := range planes {
		b, err := p.DataPtrUint8()
		if err != nil {
			return err
		}
		pix[i] = b[:p.Rows()*p.Cols()]
		comparable = comparable && len(pix[i]) == len(a.ref[i])
	}
	rec.Diff = -1
	if comparable {
		var sum, count uint64
		for i := range planes {
			sum += sad(pix[i], a.ref[i], true)
			count += uint64(len(pix[i]))
		}
		rec.Diff = float64(sum) / float64(count) / 256
	}
	if changed(rec.Diff, a.noise) {
		for i := range planes {
			a.ref[i] = append(a.ref[i][:0], pix[i]...)
		}
		a.n = len(planes)
	}
	return nil
}

// changed says whether a frame measured diff against the freeze reference
// becomes the new reference: it has none to compare with, or differs by
// more than the noise.
func changed(diff, noise float64) bool { return diff < 0 || diff > noise }

// sharpnessAnalyzer computes the variance of the Laplacian of Gray
// (OpenCV's ksize=1 kernel, replicated borders), in one pass (sharpness.go).
type sharpnessAnalyzer struct{}

func newSharpnessAnalyzer() *sharpnessAnalyzer { return &sharpnessAnalyzer{} }

func (a *sharpnessAnalyzer) Name() string { return Sharpness }
func (a *sharpnessAnalyzer) Reset()       {}
func (a *sharpnessAnalyzer) Close() error { return nil }
func (a *sharpnessAnalyzer) Process(f *Frame, rec *FrameRecord) error {
	gray, err := f.Gray.DataPtrUint8()
	if err != nil {
		return err
	}
	w, h := f.Gray.Cols(), f.Gray.Rows()
	s, q, err := laplacianSums(gray, w, w, h, true)
	if err != nil {
		return err
	}
	rec.Sharpness = varianceFromSums(s, q, w*h)
	return nil
}

// cropAnalyzer finds the non-black area of the full-resolution luma, the
// way cropdetect does: a border row or column is black when its mean luma
// is at or under the limit.
type cropAnalyzer struct {
	limit      float64
	rows, cols gocv.Mat
}

func newCropAnalyzer(limit float64) *cropAnalyzer {
	return &cropAnalyzer{limit: limit, rows: gocv.NewMat(), cols: gocv.NewMat()}
}

func (a *cropAnalyzer) Name() string { return Crop }
func (a *cropAnalyzer) Reset()       {}
func (a *cropAnalyzer) Close() error {
	a.rows.Close()
	return a.cols.Close()
}
func (a *cropAnalyzer) Process(f *Frame, rec *FrameRecord) error {
	gocv.Reduce(f.Luma, &a.rows, 1, gocv.ReduceAvg, gocv.MatTypeCV32F) // H×1: mean of each row
	gocv.Reduce(f.Luma, &a.cols, 0, gocv.ReduceAvg, gocv.MatTypeCV32F) // 1×W: mean of each column
	rows, err := a.rows.DataPtrFloat32()
	if err != nil {
		return err
	}
	cols, err := a.cols.DataPtrFloat32()
	if err != nil {
		return err
	}
	top, bottom, ok := span(rows, a.limit)
	if !ok {
		return nil // black frame: no crop information
	}
	left, right, _ := span(cols, a.limit)
	rec.Crop = &Rect{X: left, Y: top, W: right - left, H: bottom - top}
	return nil
}

// span returns the first and one past the last index whose value exceeds limit.
func span(v []float32, limit float64) (lo, hi int, ok bool) {
	lo, hi = -1, -1
	for i, x := range v {
		if float64(x) > limit {
			if lo < 0 {
				lo = i
			}
			hi = i + 1
		}
	}
	return lo, hi, lo >= 0
}

// sitiAnalyzer computes ITU-T P.910 spatial and temporal information on the
// full-resolution luma, as FFmpeg's siti filter does: limited-range samples
// are first stretched to full range; SI is the standard deviation of the
// Sobel gradient magnitude over the picture without its one-pixel border
// (where the filter is undefined), TI that of the difference to the previous
// frame over the whole picture (0 without a previous frame).
type sitiAnalyzer struct {
	lut                                           gocv.Mat // limited to full range, or none
	full, f32, prev, gx, gy, mag, diff, mean, std gocv.Mat
	have                                          bool
}

func newSITIAnalyzer(fullRange bool) *sitiAnalyzer {
	a := &sitiAnalyzer{full: gocv.NewMat(), f32: gocv.NewMat(), prev: gocv.NewMat(), gx: gocv.NewMat(), gy: gocv.NewMat(),
		mag: gocv.NewMat(), diff: gocv.NewMat(), mean: gocv.NewMat(), std: gocv.NewMat()}
	if fullRange {
		a.lut = gocv.NewMat()
		return a
	}
	a.lut = gocv.NewMatWithSize(1, 256, gocv.MatTypeCV8UC1)
	for v := 0; v < 256; v++ {
		y := min(max(v-16, 0), 219)
		a.lut.SetUCharAt(0, v, uint8(255*y/219))
	}
	return a
}

func (a *sitiAnalyzer) Name() string { return SITI }
func (a *sitiAnalyzer) Reset()       { a.have = false }
func (a *sitiAnalyzer) Close() error {
	for _, m := range []*gocv.Mat{&a.lut, &a.full, &a.f32, &a.prev, &a.gx, &a.gy, &a.mag, &a.diff, &a.mean, &a.std} {
		m.Close()
	}
	return nil
}

func (a *sitiAnalyzer) stddev(m gocv.Mat, border bool) float64 {
	inner := m
	if border && m.Rows() > 2 && m.Cols() > 2 {
		inner = m.Region(image.Rect(1, 1, m.Cols()-1, m.Rows()-1))
		defer inner.Close()
	}
	gocv.MeanStdDev(inner, &a.mean, &a.std)
	return a.std.GetDoubleAt(0, 0)
}

func (a *sitiAnalyzer) Process(f *Frame, rec *FrameRecord) error {
	src := f.Luma
	if !a.lut.Empty() {
		gocv.LUT(f.Luma, a.lut, &a.full)
		src = a.full
	}
	src.ConvertTo(&a.f32, gocv.MatTypeCV32F)
	gocv.Sobel(a.f32, &a.gx, gocv.MatTypeCV32F, 1, 0, 3, 1, 0, gocv.BorderReplicate)
	gocv.Sobel(a.f32, &a.gy, gocv.MatTypeCV32F, 0, 1, 3, 1, 0, gocv.BorderReplicate)
	gocv.Magnitude(a.gx, a.gy, &a.mag)
	rec.SI = a.stddev(a.mag, true)
	if a.have {
		gocv.Subtract(a.f32, a.prev, &a.diff)
		rec.TI = a.stddev(a.diff, false)
	}
	a.f32, a.prev = a.prev, a.f32
	a.have = true
	return nil
}

// facesAnalyzer counts frontal faces with a Haar cascade on every n-th frame.
type facesAnalyzer struct {
	every int
	cc    gocv.CascadeClassifier
}

func newFacesAnalyzer(c Config) (Analyzer, error) {
	if err := checkCascade(c.Cascade); err != nil {
		return nil, err
	}
	cc := gocv.NewCascadeClassifier()
	if !cc.Load(c.Cascade) {
		cc.Close()
		return nil, fmt.Errorf("archer: %s: %w (not a Haar cascade OpenCV can load)", c.Cascade, ErrCascadeNotFound)
	}
	return &facesAnalyzer{every: c.FaceEvery, cc: cc}, nil
}

func (a *facesAnalyzer) Name() string { return Faces }
func (a *facesAnalyzer) Reset()       {}
func (a *facesAnalyzer) Close() error { return a.cc.Close() }
func (a *facesAnalyzer) Process(f *Frame, rec *FrameRecord) error {
	rec.Faces = -1
	if f.Index%int64(a.every) != 0 {
		return nil
	}
	found := a.cc.DetectMultiScaleWithParams(f.Gray, 1.1, 4, 0, image.Pt(20, 20), image.Pt(0, 0))
	rec.Faces = len(found)
	return nil
}

// checkCascade makes sure path is a well-formed OpenCV cascade XML before
// OpenCV reads it: OpenCV throws a C++ exception on malformed files, which
// would abort the process instead of returning an error.
func checkCascade(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("archer: %s: %w (install opencv-data or set the cascade path): %v", path, ErrCascadeNotFound, err)
	}
	defer f.Close()
	dec := xml.NewDecoder(io.LimitReader(f, 64<<20))
	depth, root, cascade := 0, "", false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("archer: %s: %w (malformed XML: %v)", path, ErrCascadeNotFound, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				root = t.Name.Local
			}
			if depth == 2 {
				for _, a := range t.Attr {
					if a.Name.Local == "type_id" && (a.Value == "opencv-cascade-classifier" || a.Value == "opencv-haar-classifier") {
						cascade = true
					}
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if root != "opencv_storage" || !cascade {
		return fmt.Errorf("archer: %s: %w (not an OpenCV cascade file)", path, ErrCascadeNotFound)
	}
	return nil
}
