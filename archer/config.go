package archer

import (
	"fmt"
	"runtime"
	"strings"
)

// Names of the built-in analyzers, in the order they appear in an Analysis.
const (
	Shots     = "shots"     // hard cuts and gradual transitions (fades, dissolves)
	Black     = "black"     // black frames and black segments
	Freeze    = "freeze"    // frozen frames and freeze segments
	Sharpness = "sharpness" // variance of the Laplacian per frame and per shot
	Crop      = "crop"      // letterbox / pillarbox: one stable crop rectangle
	SITI      = "siti"      // spatial and temporal information, ITU-T P.910
	Thumbs    = "thumbs"    // one representative frame per shot (+ contact sheet)
	Faces     = "faces"     // Haar-cascade face counts per shot
)

// AllAnalyzers lists every built-in analyzer.
var AllAnalyzers = []string{Shots, Black, Freeze, Sharpness, Crop, SITI, Thumbs, Faces}

// DefaultAnalyzers is what runs when Config.Analyzers is empty: everything
// but faces, which needs the opencv-data cascades and costs the most.
var DefaultAnalyzers = []string{Shots, Black, Freeze, Sharpness, Crop, SITI, Thumbs}

// DefaultCascade is the frontal-face Haar cascade shipped by Debian's
// opencv-data package.
const DefaultCascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

// Config selects analyzers and their thresholds. The zero value is useful:
// every zero field takes the default documented next to it.
type Config struct {
	// Analyzers to run, by name (see AllAnalyzers). Default DefaultAnalyzers.
	// Thumbs needs Shots and Sharpness and adds them; Faces is counted per
	// shot when Shots runs, per clip otherwise.
	Analyzers []string `json:"analyzers"`

	// AnalysisHeight is the height frames are downscaled to, once, before
	// the per-frame analyses (width keeps the aspect ratio, rounded to even).
	// Sources smaller than this are analysed at their own size. SI/TI and
	// crop detection work on the full-resolution luma instead, as P.910 and
	// cropdetect do. Default 270 (1080p / 4).
	AnalysisHeight int `json:"analysis_height"`

	// Threads bounds how many chunks are analysed at once by Run. Default: CPUs.
	Threads int `json:"threads"`
	// ChunkFrames is the length of the chunks Run splits a range into for
	// parallel analysis. Default 500.
	ChunkFrames int `json:"chunk_frames"`

	// BlackPixel is the luma level, as a fraction of the nominal range, at or
	// under which a pixel counts as black (blackdetect's pix_th). Default 0.10.
	BlackPixel float64 `json:"black_pixel"`
	// BlackRatio is the fraction of black pixels that makes a black frame
	// (blackdetect's pic_th). Default 0.98.
	BlackRatio float64 `json:"black_ratio"`
	// BlackMinDuration is the shortest black segment reported, seconds. Default 1.
	BlackMinDuration float64 `json:"black_min_duration"`
	// FullRange says the source luma uses the full 0..255 range (yuvj / pc);
	// otherwise limited 16..235 is assumed, as blackdetect does.
	FullRange bool `json:"full_range,omitempty"`

	// FreezeNoise is the mean absolute difference (fraction of full scale)
	// at or under which a frame is the same as the freeze reference frame,
	// the first frame of the still (freezedetect's n). Default 0.001 (-60 dB).
	FreezeNoise float64 `json:"freeze_noise"`
	// FreezeMinDuration is the shortest freeze segment reported, seconds. Default 1.
	FreezeMinDuration float64 `json:"freeze_min_duration"`

	// CutThreshold is the frame-to-frame signature distance (0..1) above which
	// a hard cut is considered. Default 0.30.
	CutThreshold float64 `json:"cut_threshold"`
	// GradualThreshold is the distance (0..1) between the two ends of a
	// candidate dissolve needed to call it a transition. Default 0.25.
	GradualThreshold float64 `json:"gradual_threshold"`
	// MinShotFrames is the shortest shot: boundaries closer than this merge
	// (the stronger one wins). Default 6.
	MinShotFrames int `json:"min_shot_frames"`

	// CropLimit is the mean row/column luma (8-bit) at or under which a
	// border line counts as black (cropdetect's limit). Default 24.
	CropLimit float64 `json:"crop_limit"`

	// FaceEvery runs the face detector on every n-th frame (by source index,
	// so the result does not depend on chunking). Default 6.
	FaceEvery int `json:"face_every"`
	// Cascade is the Haar cascade file. Default DefaultCascade.
	Cascade string `json:"cascade,omitempty"`

	// ThumbWidth is the width of thumbnails in pixels. Default 320.
	ThumbWidth int `json:"thumb_width"`
}

// withDefaults returns c with every zero field set to its default and the
// analyzer list normalised (deduplicated, in AllAnalyzers order, with the
// analyzers thumbnails depend on).
func (c Config) withDefaults() (Config, error) {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defi := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defi(&c.AnalysisHeight, 270)
	defi(&c.Threads, runtime.NumCPU())
	defi(&c.ChunkFrames, 500)
	def(&c.BlackPixel, 0.10)
	def(&c.BlackRatio, 0.98)
	def(&c.BlackMinDuration, 1)
	def(&c.FreezeNoise, 0.001)
	def(&c.FreezeMinDuration, 1)
	def(&c.CutThreshold, 0.30)
	def(&c.GradualThreshold, 0.25)
	defi(&c.MinShotFrames, 6)
	def(&c.CropLimit, 24)
	defi(&c.FaceEvery, 6)
	defi(&c.ThumbWidth, 320)
	if c.Cascade == "" {
		c.Cascade = DefaultCascade
	}
	switch {
	case c.AnalysisHeight < 16:
		return c, fmt.Errorf("archer: analysis height %d: %w (want >= 16)", c.AnalysisHeight, ErrInvalidInput)
	case c.Threads < 1 || c.ChunkFrames < 2:
		return c, fmt.Errorf("archer: threads %d, chunk frames %d: %w", c.Threads, c.ChunkFrames, ErrInvalidInput)
	case c.BlackPixel < 0 || c.BlackPixel > 1 || c.BlackRatio <= 0 || c.BlackRatio > 1:
		return c, fmt.Errorf("archer: black thresholds %g/%g: %w (want 0..1)", c.BlackPixel, c.BlackRatio, ErrInvalidInput)
	case c.FreezeNoise < 0 || c.FreezeNoise > 1 || c.CutThreshold <= 0 || c.CutThreshold > 1 || c.GradualThreshold <= 0 || c.GradualThreshold > 1:
		return c, fmt.Errorf("archer: thresholds out of 0..1: %w", ErrInvalidInput)
	case c.BlackMinDuration < 0 || c.FreezeMinDuration < 0 || c.MinShotFrames < 1 || c.FaceEvery < 1 || c.ThumbWidth < 16:
		return c, fmt.Errorf("archer: negative duration or too small a count: %w", ErrInvalidInput)
	}
	names, err := ParseAnalyzers(c.Analyzers)
	if err != nil {
		return c, err
	}
	c.Analyzers = names
	return c, nil
}

// ParseAnalyzers validates analyzer names (each element may itself be a
// comma-separated list) and returns them deduplicated in AllAnalyzers order,
// adding what they depend on (thumbs needs shots and sharpness). An empty
// list gives DefaultAnalyzers.
func ParseAnalyzers(list []string) ([]string, error) {
	want := map[string]bool{}
	for _, item := range list {
		for _, n := range strings.Split(item, ",") {
			n = strings.ToLower(strings.TrimSpace(n))
			if n == "" {
				continue
			}
			if n == "all" {
				for _, a := range AllAnalyzers {
					want[a] = true
				}
				continue
			}
			known := false
			for _, a := range AllAnalyzers {
				known = known || a == n
			}
			if !known {
				return nil, fmt.Errorf("archer: analyzer %q: %w (known: %s)", n, ErrUnknownAnalyzer, strings.Join(AllAnalyzers, ","))
			}
			want[n] = true
		}
	}
	if len(want) == 0 {
		for _, a := range DefaultAnalyzers {
			want[a] = true
		}
	}
	if want[Thumbs] {
		want[Shots], want[Sharpness] = true, true
	}
	var out []string
	for _, a := range AllAnalyzers {
		if want[a] {
			out = append(out, a)
		}
	}
	return out, nil
}

func (c Config) has(name string) bool {
	for _, a := range c.Analyzers {
		if a == name {
			return true
		}
	}
	return false
}

// blackLevel is the 8-bit luma at or under which a pixel is black, computed
// as blackdetect does (integer truncation included).
func (c Config) blackLevel() int {
	if c.FullRange {
		return int(c.BlackPixel * 255)
	}
	return int(16 + c.BlackPixel*(235-16))
}

// NeedsFullResolution reports whether an analyzer of c works on the
// full-resolution luma (SI/TI, crop). When it does not, a caller may decode
// straight to AnalysisSize, which is much cheaper; the Analysis then
// describes the scaled frames (its Width and Height are the scaled size).
func (c Config) NeedsFullResolution() bool {
	names, err := ParseAnalyzers(c.Analyzers)
	if err != nil {
		return true
	}
	for _, n := range names {
		if n == SITI || n == Crop {
			return true
		}
	}
	return false
}

// AnalysisSize is the size frames of w×h are analysed at under c (see
// Config.AnalysisHeight).
func (c Config) AnalysisSize(w, h int) (int, int) {
	target := c.AnalysisHeight
	if target == 0 {
		target = 270
	}
	p := analysisSize(w, h, target)
	return p.X, p.Y
}
