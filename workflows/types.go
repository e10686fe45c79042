package workflows

// Job is the input of EncodeWorkflow: what to encode, into which
// renditions, how to cut it, how good every chunk must be, and where the
// results go. Only URLs and numbers travel through Temporal, never media.
type Job struct {
	// Source is the mezzanine: a local path, file:///path, s3://bucket/key or
	// http(s):// URL, read through mezzfs by byte ranges.
	Source string `json:"source"`
	// Output is the store URL (file:///dir or s3://bucket/prefix) that gets one
	// file per rendition (<name>.mp4) and report.json.
	Output string `json:"output"`
	// Work is the store URL for intermediates (encoded chunks and their metric
	// sidecars), under <Work>/<job ID>/. Default: <Output>/.work.
	Work string `json:"work,omitempty"`

	Renditions []Rendition    `json:"renditions"`
	Chunking   ChunkPolicy    `json:"chunking"`
	Quality    QualityPolicy  `json:"quality"`
	Audio      AudioPolicy    `json:"audio"`
	Limits     Limits         `json:"limits"`
	Timeouts   ActivityTiming `json:"timeouts"`
	// Package asks for HLS/DASH (CMAF) under <Output>/package/ (package.go).
	Package PackagePolicy `json:"package,omitzero"`

	// KeepIntermediates leaves the chunks under Work after a successful job
	// (they are always removed when the job is cancelled).
	KeepIntermediates bool `json:"keep_intermediates,omitempty"`

	// Strict fails the job, as bad input, on a damaged source (cut short,
	// frames missing or undecodable) with the core's message, instead of
	// encoding what is there and listing the problems in the report: for
	// QC gates.
	Strict bool `json:"strict,omitempty"`

	// Optimize is OptimizeNone or OptimizePerShot, whose grid and rung
	// targets PerShot holds (pershot.go).
	Optimize string        `json:"optimize,omitempty"`
	PerShot  PerShotPolicy `json:"per_shot,omitempty"`
}

// Rendition is one output of the ladder.
type Rendition struct {
	// Name identifies the rendition in keys, reports and the output file name.
	Name string `json:"name"`
	// Width and Height of the output; 0 keeps the source's (one 0 keeps aspect).
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Codec is the FFmpeg encoder name (libx264, libx265, libsvtav1, ...).
	Codec string `json:"codec"`
	// CRF selects constant-quality mode; the quality gate lowers it on retry.
	CRF int `json:"crf,omitempty"`
	// QP, when above 0, encodes at this constant quantiser instead of CRF
	// (libx264 and libx265: a per-shot grid with rc qp).
	QP int `json:"qp,omitempty"`
	// Bitrate in bits per second selects rate-controlled mode when CRF is 0;
	// the quality gate raises it on retry.
	Bitrate int64 `json:"bitrate,omitempty"`
	// Preset is the encoder's speed preset (e.g. medium).
	Preset string `json:"preset,omitempty"`
	// PixFmt of the output (e.g. yuv420p). Empty keeps the encoder's default.
	PixFmt string `json:"pix_fmt,omitempty"`
	// GOP is the maximum keyframe interval in frames; 0 lets the encoder choose.
	GOP int `json:"gop,omitempty"`
	// Threads per encode; 0 lets FFmpeg choose.
	Threads int `json:"threads,omitempty"`
	// MinVMAF, when above 0, is this rendition's quality bar in place of
	// QualityPolicy.MinVMAF: a small rung, scored against the full-size
	// source, does not reach the bar of a large one.
	MinVMAF float64 `json:"min_vmaf,omitempty"`
	// Deinterlace is auto ("": bwdif for an interlaced source, none for a
	// progressive one), bwdif, yadif or off (encode.Profile.Deinterlace).
	// Chunks are scored against the source deinterlaced the same way.
	Deinterlace string `json:"deinterlace,omitempty"`
	// FPS converts the rendition to a constant frame rate, "N" or "N/D"
	// frames per second (25, 30000/1001), duplicating and dropping frames
	// as FFmpeg's fps filter does; "" keeps the source's timestamps. Each
	// chunk holds the converted frames whose times fall in its source
	// span, and is scored against the source range converted the same way.
	FPS string `json:"fps,omitempty"`
}

// Bar is the lowest acceptable mean chunk VMAF for r under q (0: no gate).
func (r Rendition) Bar(q QualityPolicy) float64 {
	if r.MinVMAF > 0 {
		return r.MinVMAF
	}
	return q.MinVMAF
}

// Chunking modes.
const (
	// ChunkFixed cuts chunks of about TargetSeconds at source keyframes.
	ChunkFixed = "fixed"
	// ChunkShots cuts at shot boundaries found by archer (needs the analyze
	// activities on the worker).
	ChunkShots = "shots"
)

// ChunkPolicy says how the source is cut into independently encoded chunks.
type ChunkPolicy struct {
	// Mode is ChunkFixed (default) or ChunkShots.
	Mode string `json:"mode,omitempty"`
	// TargetSeconds is the wanted chunk length. Default: 4.
	TargetSeconds float64 `json:"target_seconds,omitempty"`
	// GOPAligned cuts only at source keyframes (when the source has an index
	// of them), so every chunk starts decoding without reading back. Default
	// (nil) true.
	GOPAligned *bool `json:"gop_aligned,omitempty"`
}

// Metric names the quality gate and report can use.
const (
	MetricVMAF = "vmaf"
	MetricPSNR = "psnr"
)

// QualityPolicy is the bar every chunk must clear before assembly.
type QualityPolicy struct {
	// MinVMAF is the lowest acceptable mean VMAF of a chunk; 0 disables the
	// gate (chunks are still scored when Metrics asks for it).
	MinVMAF float64 `json:"min_vmaf,omitempty"`
	// MaxAttempts bounds the encodes of one chunk, first included. Default: 3.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// CRFStep is how much the CRF drops on each re-encode. Default: 4.
	CRFStep int `json:"crf_step,omitempty"`
	// BitrateStep multiplies the bitrate on each re-encode of a bitrate-mode
	// rendition. Default: 1.3.
	BitrateStep float64 `json:"bitrate_step,omitempty"`
	// Metrics to compute per chunk: "vmaf", "psnr". Default: both. An empty
	// list with MinVMAF 0 still needs one value, so use []string{"none"} to
	// skip scoring entirely.
	Metrics []string `json:"metrics,omitempty"`
	// Subsample scores every Nth frame only (1 = all). Default: 1.
	Subsample int `json:"subsample,omitempty"`
}

// Audio modes.
const (
	// AudioCopy copies one audio stream of the source (AudioPolicy.Track or
	// .Language; the first by default) into each rendition.
	AudioCopy = "copy"
	// AudioCopyAll copies every audio stream, in source order, with its
	// language and title; the first is the default track.
	AudioCopyAll = "copy-all"
	// AudioNone writes video only.
	AudioNone = "none"
)

// AudioPolicy says what each rendition carries besides video.
type AudioPolicy struct {
	// Mode is AudioCopy (default), AudioCopyAll or AudioNone.
	Mode string `json:"mode,omitempty"`
	// Track is the index among the source's audio streams that AudioCopy
	// takes (default 0, the first).
	Track int `json:"track,omitempty"`
	// Language, instead of Track, picks the first audio stream tagged with
	// this ISO 639 language (e.g. "eng"); a source without one fails the
	// job as bad input, naming the languages it has.
	Language string `json:"language,omitempty"`
}

// Limits bound how much of the cluster one job takes and how its history is
// split.
type Limits struct {
	// MaxInFlight is the number of chunk encodes of this job running at once,
	// over all renditions. Default: 64.
	MaxInFlight int `json:"max_in_flight,omitempty"`
	// BatchSize is the number of chunks one child workflow handles; it keeps
	// every workflow history far below Temporal's limits. Default: 200.
	BatchSize int `json:"batch_size,omitempty"`
}

// ActivityTiming tunes how fast a lost worker is noticed.
type ActivityTiming struct {
	// HeartbeatSeconds: an encode that reports no progress for this long is
	// retried elsewhere. Default: 60.
	HeartbeatSeconds float64 `json:"heartbeat_seconds,omitempty"`
	// ChunkMinutes bounds one chunk encode and score. Default: 120.
	ChunkMinutes float64 `json:"chunk_minutes,omitempty"`
}

// Chunk is a range of source frames [Start, End) encoded on its own.
type Chunk struct {
	Index int   `json:"index"`
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// Frames is the chunk's length in frames.
func (c Chunk) Frames() int64 { return c.End - c.Start }

// ProbeOptions is the Probe activity's second argument (absent in
// histories from before it: the zero value).
type ProbeOptions struct {
	// Strict refuses a damaged source (Job.Strict).
	Strict bool `json:"strict,omitempty"`
	// Writes are the URLs the job will write (its output and work stores):
	// the worker checks them against its storage confinement with the
	// source, so that a job outside it fails before any work.
	Writes []string `json:"writes,omitempty"`
	// Work and Job name where the source's frame index is kept when
	// building it read the whole file (SourceInfo.IndexKey); empty in
	// histories from before it: not kept.
	Work string `json:"work,omitempty"`
	Job  string `json:"job,omitempty"`
}

// SourceInfo is what the Probe activity learns about the source.
type SourceInfo struct {
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	FrameRate float64 `json:"frame_rate"`
	Frames    int64   `json:"frames"`
	Duration  float64 `json:"duration_seconds"`
	Codec     string  `json:"codec"`
	PixFmt    string  `json:"pix_fmt"`
	BitDepth  int     `json:"bit_depth"`
	HasAudio  bool    `json:"has_audio"`
	Size      int64   `json:"size"`
	// AudioLanguages has one entry per audio stream, in order: its ISO 639
	// tag, "" when it has none.
	AudioLanguages []string `json:"audio_languages,omitempty"`
	// AudioCodecs has one entry per audio stream, in order: its FFmpeg
	// codec name (aac, pcm_s16le, ...).
	AudioCodecs []string `json:"audio_codecs,omitempty"`
	// Keyframes are the frame numbers of the source's keyframes, ascending.
	Keyframes []int64 `json:"keyframes,omitempty"`
	// VFR: the frame durations vary; chunks keep the source's timestamps.
	VFR bool `json:"vfr,omitempty"`
	// Interlaced: the source's frames are fields (encode.VideoStream).
	Interlaced bool `json:"interlaced,omitempty"`
	// Problems lists the damage found in the source and worked around
	// (encode.Problem, as "kind: message"); it reaches the job report.
	Problems []string `json:"problems,omitempty"`
	// IndexKey is the work store key of the source's frame index
	// (encode.Index in its binary form), kept by Probe when building it
	// read every packet (AVI, VFR with B-frames, MPEG-TS with timestamp
	// jumps) so that chunks do not read the whole source again; empty
	// otherwise. Kept out of the history: it can be megabytes.
	IndexKey string `json:"index_key,omitempty"`
}

// ChunkTask is the input of the EncodeChunk activity.
type ChunkTask struct {
	Job       string    `json:"job"`
	Source    string    `json:"source"`
	Work      string    `json:"work"`
	Rendition Rendition `json:"rendition"` // with this attempt's CRF or bitrate
	Chunk     Chunk     `json:"chunk"`
	Attempt   int       `json:"attempt"`
	Metrics   []string  `json:"metrics,omitempty"`
	Subsample int       `json:"subsample,omitempty"`
	// SourceWidth and SourceHeight are the scoring resolution: the encoded
	// chunk is scaled back to the source's size, as a viewer would see it.
	SourceWidth    int `json:"source_width"`
	SourceHeight   int `json:"source_height"`
	SourceBitDepth int `json:"source_bit_depth"`
	// Strict refuses a damaged source range (Job.Strict).
	Strict bool `json:"strict,omitempty"`
	// SourceIndex is SourceInfo.IndexKey: the source's frame index in the
	// work store, "" when there is none to load.
	SourceIndex string `json:"source_index,omitempty"`
}

// ChunkResult is what one chunk attempt produced: a stored file and its
// scores, never the media itself. It is also stored as the chunk's sidecar.
type ChunkResult struct {
	Index   int    `json:"index"`
	Attempt int    `json:"attempt"`
	CRF     int    `json:"crf,omitempty"`
	Bitrate int64  `json:"bitrate,omitempty"`
	Key     string `json:"key"`
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"`
	Frames  int64  `json:"frames"`
	// VMAF is the chunk's mean VMAF (0 when not computed); VMAFMin its worst frame.
	VMAF    float64 `json:"vmaf,omitempty"`
	VMAFMin float64 `json:"vmaf_min,omitempty"`
	// PSNR is the mean luma PSNR in dB.
	PSNR float64 `json:"psnr_y,omitempty"`
	// FramesKey is the work-store key of the attempt's per-frame scores
	// (libvmaf JSON, frames numbered from 0 in the chunk); empty when it
	// was not scored.
	FramesKey string `json:"frames_key,omitempty"`
	// EncodeSeconds is the attempt's encode, its scoring included (the
	// chunk is scored as it is encoded, encode.Pairs); ScoreSeconds the
	// scoring left after it: the scorer's last frames, or the second pass
	// over the stored chunk of a rendition with FPS.
	EncodeSeconds float64 `json:"encode_seconds"`
	ScoreSeconds  float64 `json:"score_seconds"`
	// Worker identifies the process that encoded it (host/pid).
	Worker string `json:"worker,omitempty"`
	// Reused is true when a retried activity found this attempt already done.
	Reused bool `json:"reused,omitempty"`
	// Problems lists the damage in the chunk's source range that decoding
	// worked around ("kind: message"; a frame count says which source
	// frames), at most MaxChunkProblems; ProblemsMore counts the rest.
	Problems     []string `json:"problems,omitempty"`
	ProblemsMore int      `json:"problems_more,omitempty"`
}

// BatchTask is the input of ChunkBatchWorkflow: some chunks of one rendition.
type BatchTask struct {
	Job            string         `json:"job"`
	Source         string         `json:"source"`
	Work           string         `json:"work"`
	Rendition      Rendition      `json:"rendition"`
	Chunks         []Chunk        `json:"chunks"`
	Quality        QualityPolicy  `json:"quality"`
	Window         int            `json:"window"`
	SourceWidth    int            `json:"source_width"`
	SourceHeight   int            `json:"source_height"`
	SourceBitDepth int            `json:"source_bit_depth"`
	Timeouts       ActivityTiming `json:"timeouts"`
	Strict         bool           `json:"strict,omitempty"`
	SourceIndex    string         `json:"source_index,omitempty"` // SourceInfo.IndexKey
}

// ChunkOutcome is the gate's verdict on one chunk after all its attempts.
type ChunkOutcome struct {
	Index int `json:"index"`
	// Final is the attempt that goes into the rendition: the first that
	// passed, or the best-scoring one if none did.
	Final ChunkResult `json:"final"`
	// Attempts is how many encodes the chunk took; AttemptVMAF their scores.
	Attempts    int       `json:"attempts"`
	AttemptVMAF []float64 `json:"attempt_vmaf,omitempty"`
	// Passed is false when no attempt reached the bar.
	Passed bool `json:"passed"`
}

// BatchResult is ChunkBatchWorkflow's result, in chunk order.
type BatchResult struct {
	Rendition string         `json:"rendition"`
	Chunks    []ChunkOutcome `json:"chunks"`
}

// AssembleTask is the input of the Assemble activity.
type AssembleTask struct {
	Job       string    `json:"job"`
	Source    string    `json:"source"`
	Work      string    `json:"work"`
	Output    string    `json:"output"`
	Rendition Rendition `json:"rendition"`
	// ChunkKeys are the work-store keys of the final attempts, in order.
	ChunkKeys    []string `json:"chunk_keys"`
	ExpectFrames int64    `json:"expect_frames"`
	// Audio is the job's AudioPolicy.Mode, none for a source without
	// audio, or aac where the copied track does not fit the rendition's
	// container (assembleAudio).
	Audio string `json:"audio"`
	// AudioTrack and AudioLanguage choose the copied track (AudioPolicy).
	AudioTrack    int    `json:"audio_track,omitempty"`
	AudioLanguage string `json:"audio_language,omitempty"`
}

// AssembleResult describes one finished rendition.
type AssembleResult struct {
	Rendition string  `json:"rendition"`
	URL       string  `json:"url"`
	Key       string  `json:"key"`
	Bytes     int64   `json:"bytes"`
	SHA256    string  `json:"sha256"`
	Frames    int64   `json:"frames"`
	Duration  float64 `json:"duration_seconds"`
	Bitrate   float64 `json:"bitrate_bps"`
	HasAudio  bool    `json:"has_audio"`
	Seconds   float64 `json:"assemble_seconds"`
	Reused    bool    `json:"reused,omitempty"`
	// FrameScores is the URL of the rendition's per-frame scores
	// (<rendition>.vmaf.json); empty when its chunks were not scored.
	FrameScores string `json:"frame_scores,omitempty"`
}

// ReportTask is the input of the WriteReport activity. Per-chunk metrics are
// read back from the chunk sidecars, so this stays small for any job size.
type ReportTask struct {
	Job        string            `json:"job"`
	Source     string            `json:"source"`
	Info       SourceInfo        `json:"info"`
	Work       string            `json:"work"`
	Output     string            `json:"output"`
	Quality    QualityPolicy     `json:"quality"`
	Chunks     []Chunk           `json:"chunks"`
	Renditions []RenditionRecord `json:"renditions"`
	Timings    Timings           `json:"timings"`
	Package    *PackageResult    `json:"package,omitempty"`
	// Grid and PerShot are a per-shot job's grid points and the work-store
	// key of its selection (PerShotReport); empty otherwise.
	Grid    []Rendition `json:"grid,omitempty"`
	PerShot string      `json:"per_shot,omitempty"`
}

// RenditionRecord is what the workflow knows about a rendition when it asks
// for the report: the assembled file and which attempt of each chunk won.
type RenditionRecord struct {
	Rendition Rendition      `json:"rendition"`
	Output    AssembleResult `json:"output"`
	// Final and Tried hold, per chunk, the attempt used and the attempts made.
	Final  []int  `json:"final"`
	Tried  []int  `json:"tried"`
	Passed []bool `json:"passed"`
	// Choice, in a per-shot job, is the grid point (ReportTask.Grid) each
	// chunk's encode comes from.
	Choice []int `json:"choice,omitempty"`
}

// Timings are the workflow's phase durations in seconds (workflow clock).
type Timings struct {
	Probe    float64 `json:"probe"`
	Chunks   float64 `json:"chunks"`
	Assemble float64 `json:"assemble"`
	Total    float64 `json:"total"`
}

// Result is what EncodeWorkflow returns.
type Result struct {
	Job        string            `json:"job"`
	Report     string            `json:"report"`
	Renditions []RenditionResult `json:"renditions"`
	Chunks     int               `json:"chunks"`
	Seconds    float64           `json:"seconds"`
	// Problems lists the damage found in the source and worked around, by
	// the probe and by the chunks' decoding, de-duplicated, at most
	// MaxResultProblems; ProblemsMore counts the rest (report.json lists
	// them all).
	Problems     []string `json:"problems,omitempty"`
	ProblemsMore int      `json:"problems_more,omitempty"`
	// Package is the streaming package, when the job asked for one.
	Package *PackageResult `json:"package,omitempty"`
}

// RenditionResult summarises one rendition in the workflow result.
type RenditionResult struct {
	Name      string  `json:"name"`
	URL       string  `json:"url"`
	Bytes     int64   `json:"bytes"`
	Frames    int64   `json:"frames"`
	Bitrate   float64 `json:"bitrate_bps"`
	VMAF      float64 `json:"vmaf,omitempty"`
	VMAFMin   float64 `json:"vmaf_min_chunk,omitempty"`
	PSNR      float64 `json:"psnr_y,omitempty"`
	Reencoded int     `json:"reencoded_chunks"`
	BelowBar  int     `json:"below_bar_chunks"`
	// Timing says what was done with the source's frame timing
	// (TimingVFRKept, TimingConstant, TimingConverted); empty in results
	// from before it.
	Timing string `json:"timing,omitempty"`
	// BDRate, for a per-shot rung, is its height's per-shot BD-rate (VMAF)
	// against the fixed ladder of the same grid, in percent (negative:
	// fewer bits); report.json's per_shot says more.
	BDRate *float64 `json:"bd_rate_vmaf_pct,omitempty"`
}

// CleanupTask is the input of the Cleanup activity.
type CleanupTask struct {
	Work string `json:"work"`
	Job  string `json:"job"`
}
