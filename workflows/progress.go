package workflows

import "time"

// Query names answered by the workflows.
const (
	// QueryProgress returns a Progress with per-chunk states (EncodeWorkflow:
	// the chunks of finished batches; ChunkBatchWorkflow: its own chunks).
	QueryProgress = "progress"
	// QuerySummary returns a Progress without per-chunk states.
	QuerySummary = "progress-summary"
)

// Job phases.
const (
	PhaseProbing    = "probing"
	PhaseEncoding   = "encoding"
	PhaseAssembling = "assembling"
	PhasePackaging  = "packaging" // writing the streaming package (Job.Package)
	PhaseReporting  = "reporting"
	PhaseCleanup    = "cleanup"
	PhaseDone       = "done"
	PhaseFailed     = "failed"
	PhaseCanceled   = "canceled"
)

// Chunk states.
const (
	StatePending  = "pending"
	StateEncoding = "encoding"
	// StateRetrying: an attempt scored under the bar and a re-encode runs.
	StateRetrying = "retrying"
	StateDone     = "done"
	// StateBelowBar: finished, but no attempt reached the bar.
	StateBelowBar = "below_bar"
	StateFailed   = "failed"
)

// Progress is the answer to the progress queries.
type Progress struct {
	Job     string    `json:"job"`
	Phase   string    `json:"phase"`
	Started time.Time `json:"started"`
	// Chunks is the number of chunks per rendition (0 until planned).
	Chunks int `json:"chunks"`
	// Frames is the source's frame count.
	Frames     int64               `json:"frames"`
	FrameRate  float64             `json:"frame_rate,omitempty"`
	Renditions []RenditionProgress `json:"renditions,omitempty"`
	Batches    []BatchRef          `json:"batches,omitempty"`
	// ChunkStates lists chunk states in (rendition, index) order.
	ChunkStates []ChunkState `json:"chunk_states,omitempty"`
	Error       string       `json:"error,omitempty"`
}

// RenditionProgress counts one rendition's finished chunks.
type RenditionProgress struct {
	Name string `json:"name"`
	// Done counts chunks whose batch has finished.
	Done       int     `json:"done"`
	FramesDone int64   `json:"frames_done"`
	Reencoded  int     `json:"reencoded"`
	BelowBar   int     `json:"below_bar"`
	VMAF       float64 `json:"vmaf,omitempty"` // frame-weighted mean so far
	Output     string  `json:"output,omitempty"`
}

// BatchRef points at a child workflow that encodes some chunks.
type BatchRef struct {
	WorkflowID string `json:"workflow_id"`
	Rendition  string `json:"rendition"`
	First      int    `json:"first"`
	Count      int    `json:"count"`
	Done       bool   `json:"done"`
}

// ChunkState is one chunk of one rendition.
type ChunkState struct {
	Rendition string  `json:"rendition"`
	Index     int     `json:"index"`
	State     string  `json:"state"`
	Attempt   int     `json:"attempt"`
	Frames    int64   `json:"frames"`
	CRF       int     `json:"crf,omitempty"`
	VMAF      float64 `json:"vmaf,omitempty"`
	PSNR      float64 `json:"psnr_y,omitempty"`
	Bytes     int64   `json:"bytes,omitempty"`
}

// FramesDone adds up finished chunk frames over all renditions.
func (p *Progress) FramesDone() int64 {
	var n int64
	for _, c := range p.ChunkStates {
		if c.State == StateDone || c.State == StateBelowBar {
			n += c.Frames
		}
	}
	return n
}

// ChunksDone counts finished chunks over all renditions.
func (p *Progress) ChunksDone() int {
	n := 0
	for _, c := range p.ChunkStates {
		if c.State == StateDone || c.State == StateBelowBar {
			n++
		}
	}
	return n
}
