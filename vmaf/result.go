package vmaf

// FrameScore holds every metric computed for one frame, keyed by libvmaf's
// names ("vmaf", "integer_vif_scale0", "integer_adm2", "integer_motion2",
// "psnr_y", "float_ssim", "float_ms_ssim", ...). For a second model the
// key is the model's name (e.g. "vmaf_4k_v0.6.1") as libvmaf does.
type FrameScore struct {
	Index   int64              `json:"frameNum"`
	Metrics map[string]float64 `json:"metrics"`
}

// Pooled summarises one metric over all scored frames.
type Pooled struct {
	Min          float64 `json:"min"`
	Max          float64 `json:"max"`
	Mean         float64 `json:"mean"`
	HarmonicMean float64 `json:"harmonic_mean"`
	P1           float64 `json:"p1"`   // 1st percentile
	P5           float64 `json:"p5"`   // 5th percentile
	P10          float64 `json:"p10"`  // 10th percentile
	Low1         float64 `json:"low1"` // "1% low": mean of the worst 1% of frames
}

// Result is the outcome of scoring a reference/distorted pair.
type Result struct {
	Version   string             `json:"version"`
	Frames    []FrameScore       `json:"frames"`
	Pooled    map[string]Pooled  `json:"pooled_metrics"`
	Aggregate map[string]float64 `json:"aggregate_metrics"`

	// Width and Height are the scored frame size (libvmaf's XML writes
	// them as params); 0 when unknown.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// FPS is how fast the frames were scored, in frames per second, as
	// libvmaf's reports give it ("fps"); 0 when unknown.
	FPS float64 `json:"fps,omitempty"`
}
