package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/media"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/vmaf"
)

// Activities holds what the activities need on a worker: how to reach
// sources and stores, where to put scratch files, how many threads to use.
// Register it with a worker (NewWorker does); its exported methods are the
// activities named by the Activity* constants.
type Activities struct {
	// Storage opens sources (any URL or local path, read through its block
	// cache) and the output and work stores, with one S3 client for the
	// worker. Default: mezzfs.NewStorage(mezzfs.Config{}), the standard AWS
	// credential chain and a 256 MiB cache.
	Storage *mezzfs.Storage
	// TempDir holds scratch files (encoded chunks before upload, downloads
	// for assembly). Default: os.TempDir().
	TempDir string
	// Threads per encode and per VMAF computation; 0 uses every core.
	Threads int
	// Identity names this worker in chunk results. Default: host/pid.
	Identity string
	// Journal, when set, gets a JSON line for every chunk attempt this
	// worker starts encoding, finishes, or finds already done: an audit
	// trail of which worker did what (the crash tests read it).
	Journal io.Writer
	// Observer, when set, is told of every chunk encoded or failed and
	// every rendition assembled (reel's Prometheus metrics).
	Observer Observer

	journalMu sync.Mutex

	storageOnce sync.Once
}

// identity returns the worker's name for results.
func (a *Activities) identity() string {
	if a.Identity != "" {
		return a.Identity
	}
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}

func (a *Activities) tempDir() string {
	if a.TempDir != "" {
		return a.TempDir
	}
	return os.TempDir()
}

// storage returns a.Storage, made with the defaults when nil.
func (a *Activities) storage() *mezzfs.Storage {
	a.storageOnce.Do(func() {
		if a.Storage == nil {
			a.Storage = mezzfs.NewStorage(mezzfs.Config{})
		}
	})
	return a.Storage
}

// openSource returns the source as an encode.Input read through mezzfs by
// byte ranges, local files too: every source is pinned (a file rewritten
// during the job fails with ErrObjectChanged rather than mixing versions)
// and recorded in the access log alike.
func (a *Activities) openSource(ctx context.Context, src string) (encode.Input, io.Closer, error) {
	obj, err := a.storage().Open(ctx, src)
	if err != nil {
		return encode.Input{}, nil, err
	}
	return encode.ReaderInput(obj.URL(), obj, obj.Size()), obj, nil
}

func (a *Activities) openStore(ctx context.Context, url string) (mezzfs.Store, error) {
	st, err := a.storage().Store(ctx, url)
	if err != nil {
		return nil, classify(err)
	}
	return st, nil
}

// sparseKeyframes returns keys, or nil when every frame is a keyframe
// (intra-only codecs: ProRes, DNxHR, JPEG 2000). Any cut is then aligned, so
// the plan is the same, and the list would only bloat the workflow history:
// a 2-hour source at 24 fps is 172,800 numbers, near Temporal's 2 MB limit
// for one payload.
func sparseKeyframes(keys []int64, frames int64) []int64 {
	if frames > 0 && int64(len(keys)) >= frames {
		return nil
	}
	return keys
}

// Probe describes the source, with its keyframe index for planning. With
// opts.Strict a damaged source fails as bad input instead of having its
// problems listed.
func (a *Activities) Probe(ctx context.Context, source string, opts ProbeOptions) (SourceInfo, error) {
	for _, u := range opts.Writes {
		if err := a.storage().Check(u); err != nil {
			return SourceInfo{}, classify(err)
		}
	}
	in, closer, err := a.openSource(ctx, source)
	if err != nil {
		return SourceInfo{}, classify(err)
	}
	defer closer.Close()
	// Keyframes only guide the cuts: where the container's index (or an
	// intra-only codec) gives them, not at the price of reading a whole
	// long-GOP MPEG-TS or MXF mezzanine. Without them chunks are cut at
	// fixed lengths and each decodes from the keyframe before it.
	info, err := encode.Probe(ctx, in, encode.ProbeOptions{KeyframesIfCheap: true, Strict: opts.Strict})
	if err != nil {
		return SourceInfo{}, classify(err)
	}
	v := info.Video()
	if v == nil {
		return SourceInfo{}, classify(fmt.Errorf("%s: %w", source, encode.ErrNoVideo))
	}
	si := SourceInfo{
		Width: v.Width, Height: v.Height, FrameRate: v.FrameRate.Float(), Frames: v.FrameCount,
		Duration: v.Duration, Codec: v.Codec, PixFmt: v.PixFmt, Size: info.Size, Keyframes: sparseKeyframes(v.Keyframes, v.FrameCount),
		BitDepth: v.BitDepth,
	}
	if si.FrameRate == 0 {
		si.FrameRate = v.FPS
	}
	si.VFR = v.VFR
	si.Interlaced = v.Interlaced
	for _, p := range info.Problems {
		si.Problems = append(si.Problems, p.String())
	}
	for _, s := range info.Streams {
		if s.Type == "audio" {
			si.HasAudio = true
			si.AudioLanguages = append(si.AudioLanguages, s.Language)
			si.AudioCodecs = append(si.AudioCodecs, s.Codec)
		}
	}
	if opts.Work != "" && info.FrameIndex.Scanned() {
		if si.IndexKey, err = a.keepIndex(ctx, opts, info.FrameIndex); err != nil {
			return SourceInfo{}, err
		}
	}
	return si, nil
}

// indexKey is where a job's source frame index is kept in its work store
// (under the job's prefix: Cleanup removes it).
func indexKey(job string) string { return job + "/source.index" }

// keepIndex stores the source's frame index for the chunks.
func (a *Activities) keepIndex(ctx context.Context, opts ProbeOptions, ix *encode.Index) (string, error) {
	b, err := ix.MarshalBinary()
	if err != nil {
		return "", fmt.Errorf("frame index: %w", err)
	}
	work, err := a.openStore(ctx, opts.Work)
	if err != nil {
		return "", err
	}
	key := indexKey(opts.Job)
	if _, err := work.PutBytes(ctx, key, b); err != nil {
		return "", err
	}
	return key, nil
}

// loadIndex reads the source frame index a chunk task names (nil for none).
func loadIndex(ctx context.Context, work mezzfs.Store, key string) (*encode.Index, error) {
	if key == "" {
		return nil, nil
	}
	b, err := work.GetBytes(ctx, key)
	if err != nil {
		return nil, classify(err)
	}
	var ix encode.Index
	if err := ix.UnmarshalBinary(b); err != nil {
		return nil, badInputErr(fmt.Errorf("%s: %w", key, err))
	}
	return &ix, nil
}

// chunkKey is where attempt of chunk index of a rendition is stored in the
// work store: the same inputs always give the same key.
func chunkKey(job string, r Rendition, index, attempt int) string {
	return fmt.Sprintf("%s/%s/%06d-a%d.%s", job, r.Name, index, attempt, chunkContainer(r.Codec))
}

func sidecarKey(chunk string) string { return chunk + ".json" }

// containerFor picks a rendition's output container: mp4 where the codec
// fits it.
func containerFor(codec string) string {
	switch strings.ToLower(codec) {
	case "prores", "prores_ks", "ffv1":
		return "mkv"
	}
	return "mp4"
}

// chunkContainer picks the container of a rendition's chunks: mp4, or mov
// where the codec does not fit mp4. Not Matroska: a chunk is decoded
// again to be scored, and encode numbers a Matroska file's frames at a
// constant rate, so a variable-rate chunk would gain repeated frames;
// MOV's sample table gives every frame's time. Assemble joins the chunks
// into containerFor's container.
func chunkContainer(codec string) string {
	if c := containerFor(codec); c != "mp4" {
		return "mov"
	}
	return "mp4"
}

func profileFor(r Rendition) encode.Profile {
	return encode.Profile{
		Codec: r.Codec, CRF: float64(r.CRF), Bitrate: r.Bitrate, Preset: r.Preset,
		Width: r.Width, Height: r.Height, PixFmt: r.PixFmt, GOP: r.GOP, Threads: r.Threads,
		Deinterlace: deinterlaceFor(r, false), FPS: fpsOf(r), Params: qpParams(r),
	}
}

// fpsOf is r's constant output rate, zero to keep the source's timing
// (Validate has refused an FPS that does not parse).
func fpsOf(r Rendition) encode.Rational {
	fps, _ := ParseFPS(r.FPS)
	return fps
}

// deinterlaceFor is r's deinterlacer for a source (encode.DeinterlaceFor);
// an unknown name is kept for the encoder to refuse.
func deinterlaceFor(r Rendition, interlaced bool) string {
	d, err := encode.DeinterlaceFor(r.Deinterlace, &encode.VideoStream{Interlaced: interlaced})
	if err != nil {
		return r.Deinterlace
	}
	return d
}

// heartbeat is what a chunk activity reports while it runs.
type heartbeat struct {
	Phase  string `json:"phase"`
	Frames int64  `json:"frames"`
}

// EncodeChunk encodes one attempt of one chunk, stores it and scores it
// against the source frames, decoding the source once: the frames the
// encoder is given are the references, its packets are decoded as they
// come (encode.Pairs). An attempt already finished
// (chunk and sidecar stored, checksums matching) is returned as it is.
func (a *Activities) EncodeChunk(ctx context.Context, t ChunkTask) (ChunkResult, error) {
	res, err := a.encodeChunk(ctx, t)
	if a.Observer != nil {
		switch {
		case err != nil && ctx.Err() == nil:
			a.Observer.ChunkFailed(t.Rendition.Name, err)
		case err == nil && !res.Reused:
			a.Observer.ChunkEncoded(t.Rendition.Name, res, slices.Contains(t.Metrics, MetricVMAF))
		}
	}
	return res, err
}

func (a *Activities) encodeChunk(ctx context.Context, t ChunkTask) (ChunkResult, error) {
	work, err := a.openStore(ctx, t.Work)
	if err != nil {
		return ChunkResult{}, err
	}
	key := chunkKey(t.Job, t.Rendition, t.Chunk.Index, t.Attempt)
	// A strict attempt does not take over a lenient one's work on a
	// damaged range (a job resubmitted under its ID with Strict): it
	// decodes again, to refuse.
	if res, ok := a.finished(ctx, work, key); ok && !(t.Strict && len(res.Problems) > 0) {
		a.journal("reused", key)
		return res, nil
	}
	a.journal("encode-start", key)

	in, closer, err := a.openSource(ctx, t.Source)
	if err != nil {
		return ChunkResult{}, classify(err)
	}
	defer closer.Close()
	if in.Index, err = loadIndex(ctx, work, t.SourceIndex); err != nil {
		return ChunkResult{}, err
	}
	dir, err := os.MkdirTemp(a.tempDir(), "reel-chunk-")
	if err != nil {
		return ChunkResult{}, fmt.Errorf("scratch dir: %w", err)
	}
	defer os.RemoveAll(dir)
	local := filepath.Join(dir, filepath.Base(key))

	t0 := time.Now()
	beat(ctx, heartbeat{Phase: "encode"})
	p := profileFor(t.Rendition)
	p.Threads = firstNonZero(p.Threads, a.Threads)
	p.Strict = t.Strict
	eo := encode.EncodeOptions{Start: t.Chunk.Start, End: t.Chunk.End, Progress: func(done int64) {
		beat(ctx, heartbeat{Phase: "encode", Frames: done})
	}}
	// Scoring rides on the encode: the source frames decoded for the
	// encoder are the references, the packets it makes are decoded as
	// they come (encode.Pairs). A rate conversion changes which frames are
	// encoded: that chunk is scored from the stored file (scoreChunk).
	var scorer *vmaf.Scorer
	if wantsScore(t.Metrics) && t.Rendition.FPS == "" {
		if scorer, err = vmaf.NewScorer(a.scoreOptions(t)); err != nil {
			return ChunkResult{}, classify(err)
		}
		defer scorer.Close()
		eo.Pairs = &encode.Pairs{
			Width: t.SourceWidth, Height: t.SourceHeight, Scaler: "bicubic",
			PixFmt: ScoringPixFmt(t.SourceBitDepth), Threads: a.Threads,
			Push: func(_ int64, ref, dist *media.Frame) error { return scorer.Push(ctx, ref, dist) },
		}
	}
	cr, err := encode.Encode(ctx, in, local, p, eo)
	if err != nil {
		return ChunkResult{}, classify(err)
	}
	encodeSec := time.Since(t0).Seconds()
	obj, err := work.Put(ctx, key, local)
	if err != nil {
		return ChunkResult{}, err
	}
	res := ChunkResult{
		Index: t.Chunk.Index, Attempt: t.Attempt, CRF: t.Rendition.CRF, Bitrate: t.Rendition.Bitrate,
		Key: key, Bytes: obj.Size, SHA256: obj.SHA256, Frames: cr.Frames,
		EncodeSeconds: encodeSec, Worker: a.identity(),
	}
	res.Problems, res.ProblemsMore = chunkProblems(t.Chunk, cr.Problems)
	// a rate conversion makes as many frames as the chunk's span holds at
	// the new rate: the encoder checks those against the span
	if t.Rendition.FPS == "" && cr.Frames != t.Chunk.Frames() {
		return ChunkResult{}, badInputErr(fmt.Errorf("%s: chunk %d: encoded %d frames, want %d", t.Source, t.Chunk.Index, cr.Frames, t.Chunk.Frames()))
	}

	if wantsScore(t.Metrics) {
		t1 := time.Now()
		var sc scores
		if scorer != nil {
			beat(ctx, heartbeat{Phase: "score", Frames: cr.Frames})
			r, err := scorer.Finish()
			if err != nil {
				return ChunkResult{}, classify(err)
			}
			sc = scoresOf(r)
		} else if sc, err = a.scoreChunk(ctx, in, local, t); err != nil {
			return ChunkResult{}, err
		}
		res.ScoreSeconds = time.Since(t1).Seconds()
		res.VMAF, res.VMAFMin, res.PSNR = sc.vmaf, sc.vmafMin, sc.psnr
		fb, err := chunkFrameScores(sc.frames)
		if err != nil {
			return ChunkResult{}, err
		}
		if _, err := work.PutBytes(ctx, frameScoresKey(key), fb); err != nil {
			return ChunkResult{}, err
		}
		res.FramesKey = frameScoresKey(key)
	}
	side, err := marshalJSON(res)
	if err != nil {
		return ChunkResult{}, err
	}
	// The sidecar goes last: its presence means the attempt is complete.
	if _, err := work.PutBytes(ctx, sidecarKey(key), side); err != nil {
		return ChunkResult{}, err
	}
	a.journal("encode-done", key)
	return res, nil
}

// MaxChunkProblems bounds the problems one chunk result carries, so a
// badly damaged source keeps the activity results and sidecars small.
const MaxChunkProblems = 8

// chunkProblems turns what decoding chunk c worked around into report
// lines, at most MaxChunkProblems, and counts the rest. A count of frames
// (missing, concealed) is about c's range, so the line names that range in
// the source's frame numbers; the index's problems are about the whole
// source and read the same from every chunk (and the probe).
func chunkProblems(c Chunk, ps []encode.Problem) ([]string, int) {
	var lines []string
	for _, p := range ps {
		line := p.String()
		if p.Kind == "missing" || p.Kind == "concealed" {
			line = fmt.Sprintf("%s: source frames %d-%d: %s", p.Kind, c.Start, c.End-1, p.Msg)
		}
		lines = append(lines, line)
	}
	if len(lines) > MaxChunkProblems {
		return lines[:MaxChunkProblems], len(lines) - MaxChunkProblems
	}
	return lines, 0
}

// finished returns the stored result of an attempt when both the chunk and
// its sidecar exist and the chunk's checksum is the one the sidecar names.
func (a *Activities) finished(ctx context.Context, work mezzfs.Store, key string) (ChunkResult, bool) {
	b, err := work.GetBytes(ctx, sidecarKey(key))
	if err != nil {
		return ChunkResult{}, false
	}
	var res ChunkResult
	if err := unmarshalJSON(b, &res); err != nil || res.SHA256 == "" {
		return ChunkResult{}, false
	}
	obj, err := work.Stat(ctx, key)
	if err != nil || obj.SHA256 != res.SHA256 || obj.Size != res.Bytes {
		return ChunkResult{}, false
	}
	res.Reused = true
	return res, true
}

func wantsScore(metrics []string) bool {
	for _, m := range metrics {
		if m == MetricVMAF || m == MetricPSNR {
			return true
		}
	}
	return false
}

type scores struct {
	vmaf, vmafMin, psnr float64
	frames              *vmaf.Result // every frame's scores
}

// scoreChunk decodes the source range and the stored chunk (scaled back to
// the source size) and computes the asked metrics over every frame pair:
// the second pass a chunk with a rate conversion needs (the others are
// scored as they are encoded, encode.Pairs).
func (a *Activities) scoreChunk(ctx context.Context, src encode.Input, chunkPath string, t ChunkTask) (scores, error) {
	pixFmt := ScoringPixFmt(t.SourceBitDepth)
	ref, err := encode.OpenFrames(ctx, src, encode.DecodeOptions{Start: t.Chunk.Start, End: t.Chunk.End, PixFmt: pixFmt, Threads: a.Threads, Strict: t.Strict,
		Deinterlace: deinterlaceFor(t.Rendition, false), FPS: fpsOf(t.Rendition)})
	if err != nil {
		return scores{}, classify(err)
	}
	defer ref.Close()
	dist, err := encode.OpenFrames(ctx, encode.FileInput(chunkPath), encode.DecodeOptions{
		Width: t.SourceWidth, Height: t.SourceHeight, Scaler: "bicubic", PixFmt: pixFmt, Threads: a.Threads,
	})
	if err != nil {
		return scores{}, classify(err)
	}
	defer dist.Close()
	opts := a.scoreOptions(t)
	var n int64
	opts.OnFrame = func(vmaf.FrameScore) {
		n++
		beat(ctx, heartbeat{Phase: "score", Frames: n})
	}
	r, err := vmaf.Score(ctx, ref, dist, opts)
	if err != nil {
		return scores{}, classify(err)
	}
	return scoresOf(r), nil
}

// scoreOptions are the scorer's options for t's metrics.
func (a *Activities) scoreOptions(t ChunkTask) vmaf.Options {
	opts := vmaf.Options{Threads: a.Threads, Subsample: t.Subsample}
	for _, m := range t.Metrics {
		if m == MetricPSNR {
			opts.Features = append(opts.Features, "psnr")
		}
	}
	// PSNR alone skips the model and its features, most of the cost.
	opts.NoPrediction = !slices.Contains(t.Metrics, MetricVMAF) && len(opts.Features) > 0
	return opts
}

// scoresOf picks a chunk's figures out of its scores.
func scoresOf(r *vmaf.Result) scores {
	s := scores{frames: r}
	if p, ok := r.Pooled[vmaf.KeyVMAF]; ok {
		s.vmaf, s.vmafMin = p.Mean, p.Min
	}
	if p, ok := r.Pooled["psnr_y"]; ok {
		s.psnr = p.Mean
	}
	return s
}

// ScoringPixFmt is the pixel format both sides are decoded to for scoring:
// 8-bit 4:2:0, or 10-bit 4:2:0 for deeper sources.
func ScoringPixFmt(bitDepth int) string {
	if bitDepth > 8 {
		return "yuv420p10le"
	}
	return "yuv420p"
}

// Assemble joins the final chunk attempts of a rendition with the source's
// audio into <output>/<rendition>.<ext>.
func (a *Activities) Assemble(ctx context.Context, t AssembleTask) (AssembleResult, error) {
	res, err := a.assemble(ctx, t)
	if a.Observer != nil && err == nil && !res.Reused {
		a.Observer.Assembled(t.Rendition.Name, res.Seconds)
	}
	return res, err
}

func (a *Activities) assemble(ctx context.Context, t AssembleTask) (AssembleResult, error) {
	work, err := a.openStore(ctx, t.Work)
	if err != nil {
		return AssembleResult{}, err
	}
	out, err := a.openStore(ctx, t.Output)
	if err != nil {
		return AssembleResult{}, err
	}
	outKey := t.Rendition.Name + "." + containerFor(t.Rendition.Codec)
	marker := fmt.Sprintf("%s/%s.assembled.json", t.Job, t.Rendition.Name)
	if b, err := work.GetBytes(ctx, marker); err == nil {
		var prev AssembleResult
		if unmarshalJSON(b, &prev) == nil {
			if obj, err := out.Stat(ctx, outKey); err == nil && obj.SHA256 == prev.SHA256 && obj.Size == prev.Bytes {
				prev.Reused = true
				return prev, nil
			}
		}
	}

	t0 := time.Now()
	dir, err := os.MkdirTemp(a.tempDir(), "reel-assemble-")
	if err != nil {
		return AssembleResult{}, fmt.Errorf("scratch dir: %w", err)
	}
	defer os.RemoveAll(dir)
	paths := make([]string, len(t.ChunkKeys))
	fs, local := work.(*mezzfs.FileStore)
	for i, k := range t.ChunkKeys {
		if local {
			if paths[i], err = fs.Path(k); err != nil {
				return AssembleResult{}, err
			}
			continue
		}
		paths[i] = filepath.Join(dir, fmt.Sprintf("%06d.%s", i, chunkContainer(t.Rendition.Codec)))
		if _, err := work.Get(ctx, k, paths[i]); err != nil {
			return AssembleResult{}, err
		}
		beat(ctx, heartbeat{Phase: "download", Frames: int64(i + 1)})
	}

	opts := encode.ConcatOptions{ExpectFrames: t.ExpectFrames}
	if t.Audio == AudioCopy || t.Audio == AudioCopyAll || t.Audio == audioAAC {
		in, closer, err := a.openSource(ctx, t.Source)
		if err != nil {
			return AssembleResult{}, classify(err)
		}
		defer closer.Close()
		opts.Audio, opts.AudioMode = in, t.Audio
		opts.AudioTrack, opts.AudioLanguage = t.AudioTrack, t.AudioLanguage
	}
	localOut := filepath.Join(dir, outKey)
	var cr *encode.ConcatResult
	err = whileHeartbeating(ctx, heartbeat{Phase: "concat"}, func() error {
		var err error
		cr, err = encode.Concat(ctx, paths, localOut, opts)
		return err
	})
	if err != nil {
		return AssembleResult{}, classify(err)
	}
	obj, err := out.Put(ctx, outKey, localOut)
	if err != nil {
		return AssembleResult{}, err
	}
	res := AssembleResult{
		Rendition: t.Rendition.Name, URL: out.URL(outKey), Key: outKey, Bytes: obj.Size, SHA256: obj.SHA256,
		Frames: cr.Frames, Duration: cr.Duration, HasAudio: cr.Audio != "", Seconds: time.Since(t0).Seconds(),
	}
	fsKey, err := a.assembleFrameScores(ctx, work, out, t.Rendition.Name, t.ChunkKeys)
	if err != nil {
		return AssembleResult{}, err
	}
	if fsKey != "" {
		res.FrameScores = out.URL(fsKey)
	}
	if cr.Duration > 0 {
		res.Bitrate = float64(obj.Size) * 8 / cr.Duration
	}
	b, err := marshalJSON(res)
	if err != nil {
		return AssembleResult{}, err
	}
	if _, err := work.PutBytes(ctx, marker, b); err != nil {
		return AssembleResult{}, err
	}
	return res, nil
}

// whileHeartbeating runs fn, heartbeating every few seconds, for steps
// that report no progress of their own.
func whileHeartbeating(ctx context.Context, hb heartbeat, fn func() error) error {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				beat(ctx, hb)
			}
		}
	}()
	err := fn()
	close(done)
	wg.Wait()
	return err
}

// JournalEntry is one line of Activities.Journal.
type JournalEntry struct {
	Time   time.Time `json:"time"`
	Event  string    `json:"event"` // encode-start, encode-done, reused
	Key    string    `json:"key"`   // the attempt's chunk key
	Worker string    `json:"worker"`
}

func (a *Activities) journal(event, key string) {
	if a.Journal == nil {
		return
	}
	b, err := json.Marshal(JournalEntry{Time: time.Now().UTC(), Event: event, Key: key, Worker: a.identity()})
	if err != nil {
		return
	}
	a.journalMu.Lock()
	defer a.journalMu.Unlock()
	a.Journal.Write(append(b, '\n'))
}

// Cleanup removes a job's intermediates.
func (a *Activities) Cleanup(ctx context.Context, t CleanupTask) error {
	work, err := a.openStore(ctx, t.Work)
	if err != nil {
		return err
	}
	if err := work.DeletePrefix(ctx, t.Job+"/"); err != nil {
		return err
	}
	// The default work directory (OUTPUT/.work) goes too once no other job
	// uses it; os.Remove leaves a directory that is not empty.
	if f, ok := work.(*mezzfs.FileStore); ok && filepath.Base(f.Root) == workSuffix {
		_ = os.Remove(f.Root)
	}
	return nil
}

// beat records a heartbeat when ctx is an activity's; the activities can
// also run as plain functions (the no-Temporal benchmark baseline).
func beat(ctx context.Context, hb heartbeat) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, hb)
	}
}

func firstNonZero(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
