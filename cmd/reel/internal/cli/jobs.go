package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/reelmedia/reel/cmd/reel/internal/web"
	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/pack"
	"github.com/reelmedia/reel/workflows"
)

// fpsUsage is --fps's help, the same in reel encode and reel submit.
const fpsUsage = "convert to this constant frame rate, N or N/D (25, 30000/1001), duplicating and dropping frames as ffmpeg's fps filter does (default: keep the source's timing); a rendition's fps= wins"

// jobFlags describe an encode job on the command line.
type jobFlags struct {
	renditions        []string
	ladder            string
	chunkSeconds      float64
	minVMAF           float64
	maxAttempts       int
	crfStep           int
	maxInFlight       int
	batchSize         int
	audio             string
	audioTrack        int
	audioLang         string
	metrics           string
	work              string
	keepIntermediates bool
	strict            bool
	fps               string
	pkg               string
	segment           time.Duration
	perShot           perShotFlags
}

const renditionHelp = `--rendition takes comma-separated key=value pairs: name (required), size
(WxH, 0 keeps the aspect ratio), codec (x264, x265, svtav1, vp9; default
x264), crf, bitrate (bits/s), preset, pix_fmt, gop (frames), threads, min_vmaf
(this rung's quality bar instead of --min-vmaf: a small rung scored against
the full-size source scores lower), deinterlace, fps (a constant output rate,
N or N/D such as 25 or 30000/1001, in place of --fps). Give it once per rendition, or put the
ladder in a JSON file for --ladder: either a list of renditions or a whole
job ({"renditions": [...], "quality": {"min_vmaf": 93}, "chunking":
{"target_seconds": 4}}); flags override it.

Each rendition is written to OUTPUT/<name>.mp4 with report.json next to
them; OUTPUT is a directory or an s3://bucket/prefix URL.

--package hls,dash (or one of them) also writes a streaming package to
OUTPUT/package/ once every rendition is assembled: CMAF segments of
--segment (default 4s) per rendition and per audio track, master.m3u8 (HLS,
BANDWIDTH from the segments) and manifest.mpd (DASH). Every rendition then
gets a keyframe on each segment boundary: chunks are cut on whole segments
and a gop= that does not divide the segment becomes one segment long. The
rungs' keyframes are checked before any manifest is written. Codecs x264 or
x265, audio AAC (a copied track in another codec is converted); no fps
conversion. To S3 the segments are uploaded first and the manifests last
(docs/package.md).`

func (f *jobFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	f.perShot.add(cmd)
	fl.StringArrayVar(&f.renditions, "rendition", nil, "a rendition: name=720p,size=1280x720,codec=x264,crf=23,preset=medium (repeatable)")
	fl.StringVar(&f.ladder, "ladder", "", "JSON file with the renditions (or a whole job)")
	fl.Float64Var(&f.chunkSeconds, "chunk-seconds", 0, "target chunk length in seconds, cut at source keyframes (default 4)")
	fl.Float64Var(&f.minVMAF, "min-vmaf", 0, "quality bar: chunks under this mean VMAF are re-encoded with a lower CRF (0 = no gate)")
	fl.IntVar(&f.maxAttempts, "max-attempts", 0, "encodes per chunk at most, first included (default 3)")
	fl.IntVar(&f.crfStep, "crf-step", 0, "CRF decrease per re-encode (default 4)")
	fl.IntVar(&f.maxInFlight, "max-in-flight", 0, "chunk encodes of this job running at once over the cluster (default 64)")
	fl.IntVar(&f.batchSize, "batch-size", 0, "chunks per child workflow (default 200)")
	if fl.Lookup("audio") == nil { // reel encode has its own --audio; job() reads it
		fl.StringVar(&f.audio, "audio", "", "audio: copy (one audio track, the first unless --audio-track/--audio-lang), copy-all (every track) or none (default copy)")
	}
	fl.IntVar(&f.audioTrack, "audio-track", 0, "the audio track to keep: its index among the source's audio streams (0 = the first; see reel probe)")
	fl.StringVar(&f.audioLang, "audio-lang", "", "the audio track to keep: the first tagged with this ISO 639 language, e.g. eng (instead of --audio-track)")
	fl.StringVar(&f.metrics, "metrics", "", "per-chunk metrics: vmaf,psnr (default), vmaf, psnr or none")
	fl.StringVar(&f.work, "work", "", "store URL for intermediates (default OUTPUT/.work)")
	fl.BoolVar(&f.keepIntermediates, "keep-intermediates", false, "keep encoded chunks after the job")
	if fl.Lookup("fps") == nil { // reel encode has its own --fps; job() reads it
		fl.StringVar(&f.fps, "fps", "", fpsUsage)
	}
	fl.StringVar(&f.pkg, "package", "", "also write a streaming package to OUTPUT/package/: hls, dash or hls,dash")
	fl.DurationVar(&f.segment, "segment", 0, "segment duration of --package, e.g. 4s or 6s (default 4s); every rendition gets a keyframe on each boundary")
	if fl.Lookup("strict") == nil { // reel encode has its own --strict; job() reads it
		fl.BoolVar(&f.strict, "strict", false, "fail the job on a damaged source (cut short, frames missing) instead of encoding what is there and listing the problems")
	}
}

// job builds the Job for input and output from the flags.
func (f *jobFlags) job(cmd *cobra.Command, input, output string) (workflows.Job, error) {
	var job workflows.Job
	if f.ladder != "" {
		b, err := os.ReadFile(f.ladder)
		if err != nil {
			return job, usagef(cmd, "--ladder: %v", err)
		}
		trimmed := strings.TrimSpace(string(b))
		if strings.HasPrefix(trimmed, "[") {
			err = json.Unmarshal(b, &job.Renditions)
		} else {
			err = json.Unmarshal(b, &job)
		}
		if err != nil {
			return job, usagef(cmd, "--ladder %s: %v", f.ladder, err)
		}
	}
	for _, spec := range f.renditions {
		r, err := parseRendition(spec)
		if err != nil {
			return job, usagef(cmd, "--rendition %q: %v", spec, err)
		}
		job.Renditions = append(job.Renditions, r)
	}
	codec, preset := "x264", ""
	if fl := cmd.Flags().Lookup("codec"); fl != nil {
		codec = fl.Value.String()
	}
	if fl := cmd.Flags().Lookup("preset"); fl != nil {
		preset = fl.Value.String()
	}
	if err := f.perShot.apply(cmd, &job, codec, preset); err != nil {
		return job, err
	}
	if len(job.Renditions) == 0 {
		return job, usagef(cmd, "no renditions: give --rendition, --rung or --ladder")
	}
	var err error
	if job.Source, err = absURL(input); err != nil {
		return job, err
	}
	if job.Output, err = absURL(output); err != nil {
		return job, err
	}
	if f.work != "" {
		if job.Work, err = absURL(f.work); err != nil {
			return job, err
		}
	}
	if f.chunkSeconds > 0 {
		job.Chunking.TargetSeconds = f.chunkSeconds
	}
	if f.minVMAF > 0 {
		job.Quality.MinVMAF = f.minVMAF
	}
	if f.maxAttempts > 0 {
		job.Quality.MaxAttempts = f.maxAttempts
	}
	if f.crfStep > 0 {
		job.Quality.CRFStep = f.crfStep
	}
	if f.metrics != "" {
		job.Quality.Metrics = strings.Split(f.metrics, ",")
	}
	if f.maxInFlight > 0 {
		job.Limits.MaxInFlight = f.maxInFlight
	}
	if f.batchSize > 0 {
		job.Limits.BatchSize = f.batchSize
	}
	audio := f.audio
	if audio == "" && cmd.Flags().Changed("audio") {
		audio, _ = cmd.Flags().GetString("audio")
	}
	if audio != "" {
		job.Audio.Mode = audio
	}
	job.Audio.Track, job.Audio.Language = f.audioTrack, f.audioLang
	if f.keepIntermediates {
		job.KeepIntermediates = true
	}
	strict := f.strict
	if !strict && cmd.Flags().Changed("strict") {
		strict, _ = cmd.Flags().GetBool("strict")
	}
	if strict {
		job.Strict = true
	}
	fps := f.fps
	if fps == "" && cmd.Flags().Changed("fps") {
		fps, _ = cmd.Flags().GetString("fps")
	}
	if fps != "" {
		if _, err := workflows.ParseFPS(fps); err != nil {
			return job, usagef(cmd, "--fps: %v", err)
		}
		for i := range job.Renditions {
			if job.Renditions[i].FPS == "" {
				job.Renditions[i].FPS = fps
			}
		}
	}
	if f.pkg != "" {
		formats, err := pack.ParseFormats(f.pkg)
		if err != nil {
			return job, usagef(cmd, "--package: %v", err)
		}
		job.Package.Formats = formats
	}
	if cmd.Flags().Changed("segment") {
		if !job.Package.Enabled() {
			return job, usagef(cmd, "--segment needs --package hls, dash or hls,dash")
		}
		if f.segment <= 0 {
			return job, usagef(cmd, "--segment %v: want a positive duration such as 4s", f.segment)
		}
		job.Package.SegmentSeconds = f.segment.Seconds()
	}
	if err := workflows.Validate(workflows.WithDefaults(job)); err != nil {
		return job, usagef(cmd, "%v", err)
	}
	return job, nil
}

// parseRendition reads name=720p,size=1280x720,codec=x264,crf=23,...
func parseRendition(spec string) (workflows.Rendition, error) {
	r := workflows.Rendition{Codec: "x264"}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return r, fmt.Errorf("%q is not key=value", kv)
		}
		var err error
		switch k {
		case "name":
			r.Name = v
		case "size":
			r.Width, r.Height, err = parseSize(v)
		case "codec":
			r.Codec = v
		case "crf":
			r.CRF, err = strconv.Atoi(v)
		case "bitrate":
			r.Bitrate, err = strconv.ParseInt(v, 10, 64)
		case "preset":
			r.Preset = v
		case "pix_fmt", "pix-fmt":
			r.PixFmt = v
		case "gop":
			r.GOP, err = strconv.Atoi(v)
		case "threads":
			r.Threads, err = strconv.Atoi(v)
		case "deinterlace":
			r.Deinterlace = v
			if _, err = encode.DeinterlaceFor(v, nil); err != nil {
				err = errors.New("must be auto, bwdif, yadif or off")
			}
		case "fps":
			r.FPS = v
			if _, perr := workflows.ParseFPS(v); perr != nil {
				err = fmt.Errorf("%q is not a rate like 25 or 30000/1001 (at most %d)", v, workflows.MaxFPS)
			}
		case "min_vmaf", "min-vmaf":
			r.MinVMAF, err = strconv.ParseFloat(v, 64)
			if err == nil && (r.MinVMAF < 0 || r.MinVMAF > 100) {
				err = errors.New("must be within 0-100")
			}
		default:
			return r, fmt.Errorf("unknown key %q (want name, size, codec, crf, bitrate, preset, pix_fmt, gop, threads, deinterlace, fps, min_vmaf)", k)
		}
		if err != nil {
			return r, fmt.Errorf("%s: %v", k, err)
		}
	}
	if r.Name == "" {
		return r, errors.New("name= is required")
	}
	if r.CRF == 0 && r.Bitrate == 0 {
		r.CRF = 23
	}
	return r, nil
}

// absURL turns a local path into an absolute path (workers may run
// elsewhere); URLs pass unchanged.
func absURL(s string) (string, error) {
	if strings.Contains(s, "://") {
		return s, nil
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		return "", err
	}
	return abs, nil
}

const submitLong = `Submit an encode job to a Temporal cluster and print its ID. The job runs
on whatever workers poll the task queue ('reel server' has one built in).

Audio: --audio copy (default) copies one audio track into each rendition,
the first unless --audio-track N (its index among the audio streams, as
reel probe lists them) or --audio-lang TAG (the first track tagged with that
ISO 639 language; a language no track has fails the job, naming those there
are); --audio copy-all copies every track with its language and title, the
first as the default; --audio none writes video only.

` + renditionHelp

const submitExample = `  reel submit mezz.mov -o /srv/out/film1 --rendition name=1080p,size=1920x1080,crf=21 --rendition name=720p,size=1280x720,crf=23
  reel submit s3://mezz/film.mov -o s3://out/film --ladder ladder.json --min-vmaf 93 --temporal temporal.prod:7233
  reel submit in.mp4 -o out --rendition name=sd,size=640x0 --wait
  reel submit phone.mp4 -o out --rendition name=sd,size=640x0 --fps 30000/1001
  reel submit film.mkv -o out --rendition name=hd,size=1920x0 --audio-lang fra
  reel submit film.mkv -o out --rendition name=hd,size=1920x0 --audio copy-all
  reel submit film.mov -o s3://cdn/film --ladder ladder.json --package hls,dash --segment 6s   # s3://cdn/film/package/master.m3u8
  reel submit film.mov -o s3://out/film --rung 1080:5000k --rung 720:3000k --rung 480:1200k --grid-heights 1080,720,480 --metrics vmaf,psnr`

func newSubmitCmd(app *App) *cobra.Command {
	var jf jobFlags
	var out, id string
	var wait, asJSON bool
	cmd := &cobra.Command{
		Use:     "submit INPUT -o OUTPUT [--rendition ...|--ladder FILE]",
		Short:   "Submit an encode job to a Temporal cluster",
		Long:    submitLong + "\n\n" + perShotHelp,
		Example: submitExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef(cmd, "submit takes exactly one INPUT, got %d arguments", len(args))
			}
			if out == "" {
				return usagef(cmd, "missing -o OUTPUT")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			app.applyTemporalFlags(cmd)
			job, err := jf.job(cmd, args[0], out)
			if err != nil {
				return err
			}
			c, err := app.dialTemporal(ctx, app.temporalAddress())
			if err != nil {
				return err
			}
			defer c.Close()
			if id == "" {
				id = jobID("encode", args[0])
			}
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: app.taskQueue()}, workflows.EncodeWorkflow, job)
			if err != nil {
				return fmt.Errorf("submit: %w", err)
			}
			if !wait {
				if asJSON {
					return writeJSON(app.Stdout, map[string]string{"job": run.GetID(), "run": run.GetRunID()})
				}
				fmt.Fprintln(app.Stdout, run.GetID())
				return nil
			}
			fmt.Fprintf(app.Stderr, "submitted %s\n", run.GetID())
			res, err := watchJob(ctx, app, c, run, asJSON)
			if err != nil {
				return printJobFailure(app, run.GetID(), err, asJSON)
			}
			return printResult(app, res, asJSON)
		},
	}
	jf.add(cmd)
	addTemporalFlags(app, cmd)
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "output directory or s3://bucket/prefix for renditions and report.json")
	fl.StringVar(&id, "id", "", "job ID (default encode-<input>-<time>); resubmitting a failed job's ID reuses its finished chunks")
	fl.BoolVar(&wait, "wait", false, "wait for the job, showing progress")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

const statusLong = `Show how far a job is: its phase, chunks done per rendition with the VMAF
so far, re-encoded chunks, and (with --chunks) every chunk's state, attempt
and scores. --watch redraws until the job ends and prints its result.

--open prints the job's dashboard URL (from api.url, or api.address and
api.port: what 'reel server' serves) and, where a desktop session can open
a browser (xdg-open), opens it; it does not contact the cluster.`

func newStatusCmd(app *App) *cobra.Command {
	var watch, asJSON, chunks, open bool
	cmd := &cobra.Command{
		Use:     "status JOB_ID",
		Short:   "Show an encode job's progress",
		Long:    statusLong,
		Example: "  reel status encode-film-20261125-101500\n  reel status encode-film-20261125-101500 --watch\n  reel status JOB --json --chunks\n  reel status JOB --open          # the job's page on the dashboard",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef(cmd, "status takes exactly one JOB_ID")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if open {
				return app.openDashboard(ctx, args[0], asJSON)
			}
			c, err := app.dialCluster(ctx, cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			if watch {
				run := c.GetWorkflow(ctx, args[0], "")
				res, err := watchJob(ctx, app, c, run, asJSON)
				if err != nil {
					return printJobFailure(app, args[0], err, asJSON)
				}
				return printResult(app, res, asJSON)
			}
			p, err := workflows.GetProgress(ctx, c, args[0])
			if err != nil {
				return err
			}
			if !chunks {
				p.ChunkStates = nil
			}
			if asJSON {
				return writeJSON(app.Stdout, p)
			}
			printProgress(app.Stdout, p, chunks)
			return nil
		},
	}
	addTemporalFlags(app, cmd)
	fl := cmd.Flags()
	fl.BoolVar(&watch, "watch", false, "follow the job until it ends")
	fl.BoolVar(&chunks, "chunks", false, "list every chunk")
	fl.BoolVar(&open, "open", false, "print the job's dashboard URL (and open it where a browser can be)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printProgress(w io.Writer, p workflows.Progress, chunks bool) {
	fmt.Fprintf(w, "job     %s\nphase   %s\n", p.Job, p.Phase)
	if p.Error != "" {
		fmt.Fprintf(w, "error   %s\n", p.Error)
	}
	if p.Chunks > 0 {
		fmt.Fprintf(w, "source  %d frames at %.3f fps, %d chunks\n", p.Frames, p.FrameRate, p.Chunks)
	}
	running := map[string]int{}
	for _, s := range p.ChunkStates {
		if s.State == workflows.StateEncoding || s.State == workflows.StateRetrying {
			running[s.Rendition]++
		}
	}
	for _, r := range p.Renditions {
		fmt.Fprintf(w, "  %-12s %d/%d chunks", r.Name, r.Done, p.Chunks)
		if n := running[r.Name]; n > 0 {
			fmt.Fprintf(w, ", %d encoding", n)
		}
		if r.VMAF > 0 {
			fmt.Fprintf(w, ", VMAF %.2f", r.VMAF)
		}
		if r.Reencoded > 0 || r.BelowBar > 0 {
			fmt.Fprintf(w, ", %d re-encoded, %d below the bar", r.Reencoded, r.BelowBar)
		}
		if r.Output != "" {
			fmt.Fprintf(w, " -> %s", r.Output)
		}
		fmt.Fprintln(w)
	}
	if chunks {
		for _, s := range p.ChunkStates {
			fmt.Fprintf(w, "    %s/%04d %-9s attempt %d crf %d vmaf %.2f psnr %.2f %s\n", s.Rendition, s.Index, s.State, s.Attempt, s.CRF, s.VMAF, s.PSNR, humanBytes(s.Bytes))
		}
	}
}

// watchJob follows a job until it ends, showing chunks done, fps and each
// chunk's VMAF as it arrives, and returns its result.
func watchJob(ctx context.Context, app *App, c client.Client, run client.WorkflowRun, quiet bool) (workflows.Result, error) {
	done := make(chan error, 1)
	var res workflows.Result
	go func() { done <- run.Get(ctx, &res) }()
	bar := newProgress(app.Stderr, "encode", 0, "chunks", quiet)
	seen := map[string]bool{}
	start := time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if p, perr := workflows.GetProgress(ctx, c, run.GetID()); perr == nil {
				showChunks(app, bar, p, seen, start, quiet)
			}
			bar.Finish()
			if err != nil {
				return res, failedJob(run.GetID(), err)
			}
			return res, nil
		case <-tick.C:
			p, err := workflows.GetProgress(ctx, c, run.GetID())
			if err != nil {
				continue // not started yet, or between tasks
			}
			showChunks(app, bar, p, seen, start, quiet)
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
}

// failedJob is a job's failure in one line: its ID and the message of the
// cause. Temporal's error around it (the workflow, the batch's child
// workflow, the activity, each with its IDs) stays in the chain, for
// errors.As, --log-level debug and --json.
func failedJob(id string, err error) error {
	return jobError{msg: fmt.Sprintf("job %s failed: %s", id, causeMessage(err)), err: err}
}

// causeMessage is the message of what failed under Temporal's wrappers: the
// core's message an activity failed with, a timeout, a cancellation.
func causeMessage(err error) string {
	for {
		var next error
		switch e := err.(type) {
		case *temporal.WorkflowExecutionError, *temporal.ChildWorkflowExecutionError, *temporal.ActivityError:
			next = errors.Unwrap(err)
		case *temporal.ApplicationError:
			// Error() appends the type and the cause, which repeats the
			// message when an activity failed with a core's error.
			if e.Message() != "" {
				return e.Message()
			}
			next = errors.Unwrap(err)
		}
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// jobFailure is what --json prints on stdout for a job that failed.
type jobFailure struct {
	Job    string `json:"job"`
	Status string `json:"status"` // failed
	Error  string `json:"error"`  // the cause's message
	Chain  string `json:"chain"`  // Temporal's whole error
}

// printJobFailure writes a failed job as JSON on stdout when asJSON, and
// returns err for the one line on stderr and the exit code.
func printJobFailure(app *App, id string, err error, asJSON bool) error {
	var je jobError
	if asJSON && errors.As(err, &je) {
		if werr := writeJSON(app.Stdout, jobFailure{Job: id, Status: "failed", Error: causeMessage(je.err), Chain: je.err.Error()}); werr != nil {
			return werr
		}
	}
	return err
}

func showChunks(app *App, bar *progress, p workflows.Progress, seen map[string]bool, start time.Time, quiet bool) {
	total := int64(p.Chunks * len(p.Renditions))
	bar.SetTotal(total)
	for _, s := range p.ChunkStates {
		if s.State != workflows.StateDone && s.State != workflows.StateBelowBar {
			continue
		}
		k := fmt.Sprintf("%s/%d", s.Rendition, s.Index)
		if seen[k] || quiet {
			seen[k] = true
			continue
		}
		seen[k] = true
		note := ""
		if s.Attempt > 1 {
			note = fmt.Sprintf(" after %d attempts (crf %d)", s.Attempt, s.CRF)
		}
		if s.State == workflows.StateBelowBar {
			note += " BELOW THE BAR"
		}
		if bar.tty {
			fmt.Fprint(app.Stderr, "\r\033[K")
		}
		var score string
		if s.VMAF > 0 {
			score += fmt.Sprintf("vmaf %6.2f  ", s.VMAF)
		}
		if s.PSNR > 0 {
			score += fmt.Sprintf("psnr %5.2f  ", s.PSNR)
		}
		fmt.Fprintf(app.Stderr, "chunk %s/%04d  %s%s%s\n", s.Rendition, s.Index, score, humanBytes(s.Bytes), note)
	}
	frames := p.FramesDone()
	fps := float64(frames) / time.Since(start).Seconds()
	bar.Set(int64(len(seen)), fmt.Sprintf("%s, %.1f frames/s", p.Phase, fps))
}

func printResult(app *App, res workflows.Result, asJSON bool) error {
	if asJSON {
		return writeJSON(app.Stdout, res)
	}
	fmt.Fprintf(app.Stdout, "job %s: %d chunks in %.1f s\n", res.Job, res.Chunks, res.Seconds)
	for _, r := range res.Renditions {
		fmt.Fprintf(app.Stdout, "  %-12s %s  %s, %d frames, %.0f kb/s", r.Name, r.URL, humanBytes(r.Bytes), r.Frames, r.Bitrate/1000)
		// Zero scores were not measured (--metrics left them out).
		if r.VMAF > 0 {
			fmt.Fprintf(app.Stdout, ", VMAF %.2f (worst chunk %.2f)", r.VMAF, r.VMAFMin)
		}
		if r.PSNR > 0 {
			fmt.Fprintf(app.Stdout, ", PSNR %.2f dB", r.PSNR)
		}
		if r.Reencoded > 0 || r.BelowBar > 0 {
			fmt.Fprintf(app.Stdout, ", %d chunks re-encoded, %d below the bar", r.Reencoded, r.BelowBar)
		}
		if r.Timing != "" {
			fmt.Fprintf(app.Stdout, ", %s", r.Timing)
		}
		if r.BDRate != nil {
			fmt.Fprintf(app.Stdout, ", per-shot BD-rate %+.1f %% against the fixed ladder of its grid", *r.BDRate)
		}
		fmt.Fprintln(app.Stdout)
	}
	if p := res.Package; p != nil {
		printJobPackage(app, p)
	}
	fmt.Fprintf(app.Stdout, "report %s\n", res.Report)
	// As a one-file encode does: what was worked around, on stderr.
	for _, p := range res.Problems {
		fmt.Fprintf(app.Stderr, "source problem: %s\n", p)
	}
	if res.ProblemsMore > 0 {
		fmt.Fprintf(app.Stderr, "source problem: %d more in %s\n", res.ProblemsMore, res.Report)
	}
	return nil
}

// printJobPackage lists a job's package: where it is and each rung's HLS
// BANDWIDTH, as report.json has them.
func printJobPackage(app *App, p *workflows.PackageResult) {
	fmt.Fprintf(app.Stdout, "package %s  %d files, %s, %.3g s segments\n", p.URL, p.Files, humanBytes(p.Bytes), p.SegmentSeconds)
	if p.HLS != "" {
		fmt.Fprintf(app.Stdout, "  hls   %s\n", p.HLS)
	}
	if p.DASH != "" {
		fmt.Fprintf(app.Stdout, "  dash  %s\n", p.DASH)
	}
	for _, v := range p.Video {
		fmt.Fprintf(app.Stdout, "  %-12s %s  %dx%d, %d segments, BANDWIDTH %d, AVERAGE-BANDWIDTH %d\n",
			v.Rendition, v.ID, v.Width, v.Height, v.Segments, v.Bandwidth, v.AverageBandwidth)
	}
	for _, a := range p.Audio {
		fmt.Fprintf(app.Stdout, "  %-12s %s  %s %s, %d segments, %.0f kb/s\n", "audio", a.ID, a.Codec, a.Language, a.Segments, a.AverageBitrate/1000)
	}
}

func newCancelCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cancel JOB_ID",
		Short: "Cancel an encode job: stop its encodes and remove its intermediates",
		Long: `Cancel a running job. Its running chunk encodes stop at their next
heartbeat, then the job removes its intermediates (encoded chunks) and ends
as canceled. Outputs already written are left alone.`,
		Example: "  reel cancel encode-film-20261125-101500",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef(cmd, "cancel takes exactly one JOB_ID")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := app.dialCluster(ctx, cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.CancelWorkflow(ctx, args[0], ""); err != nil {
				var nf *serviceerror.NotFound
				if errors.As(err, &nf) {
					return fmt.Errorf("cancel: no job %s", args[0])
				}
				return fmt.Errorf("cancel %s: %w", args[0], err)
			}
			fmt.Fprintf(app.Stdout, "cancel requested for %s\n", args[0])
			return nil
		},
	}
	addTemporalFlags(app, cmd)
	return cmd
}

// jobSummary is one line of 'reel list'.
type jobSummary struct {
	Job     string    `json:"job"`
	Status  string    `json:"status"`
	Started time.Time `json:"started"`
	Closed  time.Time `json:"closed,omitzero"`
}

func newListCmd(app *App) *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List encode jobs, newest first",
		Long:    "List the encode jobs the cluster knows (running and recently closed), newest first.",
		Example: "  reel list\n  reel list --json --limit 100",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := app.dialCluster(ctx, cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			var jobs []jobSummary
			var token []byte
			for len(jobs) < limit {
				resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
					Namespace: app.Config.Temporal.Namespace, PageSize: int32(min(limit, 1000)), NextPageToken: token,
					Query: "WorkflowType = 'EncodeWorkflow'",
				})
				if err != nil {
					return fmt.Errorf("list: %w", err)
				}
				for _, e := range resp.Executions {
					js := jobSummary{Job: e.GetExecution().GetWorkflowId(), Status: statusName(e.GetStatus()), Started: e.GetStartTime().AsTime()}
					if ct := e.GetCloseTime(); ct != nil {
						js.Closed = ct.AsTime()
					}
					jobs = append(jobs, js)
				}
				token = resp.NextPageToken
				if len(token) == 0 {
					break
				}
			}
			if len(jobs) > limit {
				jobs = jobs[:limit]
			}
			if asJSON {
				return writeJSON(app.Stdout, jobs)
			}
			for _, j := range jobs {
				fmt.Fprintf(app.Stdout, "%-40s %-10s %s\n", j.Job, j.Status, j.Started.Local().Format(time.DateTime))
			}
			return nil
		},
	}
	addTemporalFlags(app, cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 50, "list at most this many jobs")
	return cmd
}

func statusName(s enums.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WorkflowExecutionStatus"))
}

// dialCluster connects to the cluster the command's --temporal flag or the
// configuration names.
func (app *App) dialCluster(ctx context.Context, cmd *cobra.Command) (client.Client, error) {
	app.applyTemporalFlags(cmd)
	return app.dialTemporal(ctx, app.temporalAddress())
}

// openDashboard prints the dashboard URL of job and, in a desktop session
// with xdg-open, opens it (best effort: the URL is printed either way).
func (app *App) openDashboard(ctx context.Context, job string, asJSON bool) error {
	base, err := app.dashboardURL()
	if err != nil {
		return err
	}
	u := web.JobURL(base, job)
	if asJSON {
		return writeJSON(app.Stdout, map[string]string{"job": job, "url": u})
	}
	fmt.Fprintln(app.Stdout, u)
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return nil
	}
	if p, err := exec.LookPath("xdg-open"); err == nil {
		// xdg-open hands the URL to the browser and returns.
		_ = exec.CommandContext(ctx, p, u).Run()
	}
	return nil
}
