package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/seq"
	"github.com/reelmedia/reel/workflows"
)

const renderSubmitLong = `Render an image sequence to a review movie as a job on the Temporal cluster
(--temporal, temporal.address, else the local 'reel server'): the same movie
as 'reel render run' with the same flags, its frames cut into chunks
(--chunk-frames, default 48, the slate counted) that any worker renders into
a piece, the pieces then joined by stream copy. Image sequences need no
keyframes: ProRes and DNxHR pieces are intra only; for H.264 the chunk is
rounded up to a multiple of the GOP (half a second), so every piece starts
where the whole movie has its keyframe, and the movie is the one 'render run'
makes, frame for frame.

A planning activity on a worker finds the sequence and applies the
missing-frame policy once, so every chunk sees the same frames; the slate is
the first piece's frame 0; burn-ins carry the sequence's frame numbers and
timecode; QC (NaN, Inf, black, frozen) is merged in frame order, each chunk
comparing its first frame with the last frame of the chunk before it.
Retried activities reuse a finished piece. The movie is written to a
temporary name and renamed; a failed or cancelled job leaves no movie and
removes its pieces. The pattern, the output, the work directory (default
OUTPUT.work), --lut and --font are paths on the workers: with workers on
several machines they must be on a shared disk (or the pattern an s3://
prefix).

Without --wait it prints the job ID (like 'reel submit'); 'reel status ID'
shows its chunks and 'reel cancel ID' stops it. --wait follows it with a
progress bar and prints what 'render run' prints (--json: the job's result).`

const renderSubmitExample = `  reel render submit /renders/sh010/sh010_comp_v003.####.exr -o /srv/review/sh010_v003.mov
  reel render submit /renders/sh010/ -o /srv/review/sh010.mov --slate --shot sh010 --version v003 --burnin default --wait
  reel render submit 's3://renders/sh010/sh010.%04d.exr' -o /srv/review/sh010.mp4 --codec h264 --chunk-frames 96 --json
  reel render submit shot.####.dpx -o /srv/review/shot.mov --temporal temporal.prod:7233 --id sh010-v003-review`

// renderSubmitFlags are reel render run's flags and the job's.
type renderSubmitFlags struct {
	renderFlags
	chunkFrames int
	id, work    string
	wait        bool
}

// addRenderFlags adds the flags reel render run and submit share.
func addRenderFlags(fl *pflag.FlagSet, f *renderFlags) {
	fl.StringVarP(&f.out, "output", "o", "", "the review movie (.mov, or .mp4 for h264)")
	fl.StringVar(&f.frames, "frames", "", "frame range FIRST-LAST or FIRST-LASTxSTEP (default: every frame found)")
	fl.StringVar(&f.onMissing, "on-missing", "error", "a frame missing in the range: error (name them all), black or hold")
	fl.StringVar(&f.codec, "codec", "prores", "prores (422 HQ), prores4444, h264 or dnxhr")
	fl.StringVar(&f.display, "display", "rec709", "display transform for scene-linear EXR: rec709 (BT.1886) or srgb")
	fl.StringVar(&f.lut, "lut", "", "a .cube 3D LUT applied after the display transform (local file)")
	fl.StringVar(&f.fps, "fps", "24", "frame rate of the movie and the timecode: 24, 25, 23.976, 29.97, 30000/1001, ...")
	fl.BoolVar(&f.dropFrame, "drop-frame", false, "drop-frame timecode (29.97 and 59.94 only)")
	fl.StringVar(&f.size, "size", "", "scale to WxH (one side 0 keeps the aspect ratio), e.g. 1920x0")
	fl.StringVar(&f.shot, "shot", "", "shot name, for the slate and {shot}")
	fl.StringVar(&f.version, "version", "", "version, for the slate and {version}")
	fl.StringVar(&f.artist, "artist", "", "artist, for the slate and {artist}")
	fl.StringVar(&f.date, "date", "", "date for the slate and {date} (default: today, UTC, YYYY-MM-DD)")
	fl.StringVar(&f.text, "text", "", "free text for {text}")
	fl.StringVar(&f.notes, "notes", "", "notes on the slate")
	fl.BoolVar(&f.slate, "slate", false, "add a slate as frame 0")
	fl.StringVar(&f.burnin, "burnin", "", "burn-in template POSITION=TEXT;... with {fields}, or 'default'")
	fl.StringVar(&f.font, "font", renderFont, "TrueType font for slate and burn-ins")
	fl.IntVar(&f.threads, "threads", 0, "decoder and encoder threads per chunk (0 = FFmpeg's choice)")
	fl.BoolVar(&f.qcStrict, "qc-strict", false, "fail, leaving no movie, when QC finds NaN, Inf, black or frozen frames")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress output")
}

func newRenderSubmitCmd(app *App) *cobra.Command {
	var f renderSubmitFlags
	cmd := &cobra.Command{
		Use:     "submit PATTERN -o review.mov",
		Short:   "Render an image sequence to a review movie as a Temporal job, in chunks",
		Long:    renderSubmitLong,
		Example: renderSubmitExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef(cmd, "render submit takes exactly one PATTERN (or directory), got %d arguments", len(args))
			}
			if f.out == "" {
				return usagef(cmd, "-o review.mov is required")
			}
			if f.chunkFrames < 1 {
				return usagef(cmd, "--chunk-frames must be at least 1")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			app.applyTemporalFlags(cmd)
			job, err := renderJob(args[0], &f)
			if err != nil {
				return err
			}
			c, err := app.dialTemporal(ctx, app.temporalAddress())
			if err != nil {
				return err
			}
			defer c.Close()
			id := f.id
			if id == "" {
				id = jobID("render", filepath.Base(f.out))
			}
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: app.taskQueue()}, workflows.RenderWorkflow, job)
			if err != nil {
				return fmt.Errorf("render submit: %w", err)
			}
			if !f.wait {
				if f.asJSON {
					return writeJSON(app.Stdout, map[string]string{"job": run.GetID(), "run": run.GetRunID()})
				}
				fmt.Fprintln(app.Stdout, run.GetID())
				return nil
			}
			if !f.asJSON && !f.quiet {
				fmt.Fprintf(app.Stderr, "submitted %s\n", run.GetID())
			}
			res, err := watchRender(ctx, app, c, run, f.quiet || f.asJSON)
			if err != nil {
				return printJobFailure(app, run.GetID(), err, f.asJSON)
			}
			if f.asJSON {
				return writeJSON(app.Stdout, res)
			}
			printRenderJob(app.Stdout, res)
			return nil
		},
	}
	fl := cmd.Flags()
	addRenderFlags(fl, &f.renderFlags)
	fl.IntVar(&f.chunkFrames, "chunk-frames", workflows.DefaultChunkFrames, "frames per chunk, the slate counted (h264: rounded up to a multiple of the GOP)")
	fl.StringVar(&f.id, "id", "", "job ID (default render-<output>-<time>)")
	fl.StringVar(&f.work, "work", "", "directory for the pieces, shared by the workers (default OUTPUT.work)")
	fl.BoolVar(&f.wait, "wait", false, "wait for the job, showing progress, and print the result")
	addTemporalFlags(app, cmd)
	return cmd
}

// renderJob checks the flags here, before anything is submitted, and
// makes the job. Paths become absolute: the workers have no working
// directory of ours.
func renderJob(pattern string, f *renderSubmitFlags) (workflows.RenderJob, error) {
	if _, err := seq.ParsePolicy(f.onMissing); err != nil {
		return workflows.RenderJob{}, err
	}
	rate, err := seq.ParseRate(f.fps)
	if err != nil {
		return workflows.RenderJob{}, err
	}
	if f.dropFrame && !rate.DropFrameCapable() {
		return workflows.RenderJob{}, fmt.Errorf("--drop-frame: drop-frame timecode is for 29.97 and 59.94, not %s", rate)
	}
	if f.frames != "" {
		if _, err := seq.ParseRange(f.frames); err != nil {
			return workflows.RenderJob{}, err
		}
	}
	if f.burnin != "" {
		if _, err := seq.ParseTemplate(f.burnin); err != nil {
			return workflows.RenderJob{}, err
		}
	}
	var w, h int
	if f.size != "" {
		if _, err := fmt.Sscanf(f.size, "%dx%d", &w, &h); err != nil || w < 0 || h < 0 || w > 16384 || h > 16384 || w+h == 0 {
			return workflows.RenderJob{}, fmt.Errorf("--size %q: want WxH, e.g. 1920x1080 or 1920x0", f.size)
		}
	}
	abs := func(p string) (string, error) {
		if p == "" || isURL(p) {
			return p, nil
		}
		return filepath.Abs(p)
	}
	out, err := filepath.Abs(f.out)
	if err != nil {
		return workflows.RenderJob{}, err
	}
	work, err := abs(f.work)
	if err != nil {
		return workflows.RenderJob{}, err
	}
	pat, err := abs(pattern)
	if err != nil {
		return workflows.RenderJob{}, err
	}
	lut, err := abs(f.lut)
	if err != nil {
		return workflows.RenderJob{}, err
	}
	date := f.date
	if date == "" {
		date = time.Now().UTC().Format("2006-01-02")
	}
	spec := workflows.RenderSpec{Pattern: pat, Frames: f.frames, OnMissing: f.onMissing, Burnin: f.burnin, FPS: f.fps, DropFrame: f.dropFrame,
		Shot: f.shot, Version: f.version, Artist: f.artist, Date: date, Text: f.text, Notes: f.notes, Slate: f.slate,
		Codec: f.codec, Display: f.display, LUT: lut, Font: f.font, Width: w, Height: h, Threads: f.threads, StrictQC: f.qcStrict}
	return workflows.RenderJob{Spec: spec, Output: out, Work: work, ChunkFrames: f.chunkFrames}, nil
}

// watchRender follows a render job until it ends, with a bar of frames
// rendered, and returns its result.
func watchRender(ctx context.Context, app *App, c client.Client, run client.WorkflowRun, quiet bool) (workflows.RenderJobResult, error) {
	done := make(chan error, 1)
	var res workflows.RenderJobResult
	go func() { done <- run.Get(ctx, &res) }()
	bar := newProgress(app.Stderr, "render", 0, "frames", quiet)
	show := func() {
		p, err := workflows.GetProgress(ctx, c, run.GetID())
		if err != nil || len(p.Renditions) == 0 {
			return // not started yet, or between tasks
		}
		bar.SetTotal(p.Frames)
		bar.Set(p.Renditions[0].FramesDone, fmt.Sprintf("%d/%d chunks, %s", p.Renditions[0].Done, p.Chunks, p.Phase))
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			show()
			bar.Finish()
			if err != nil {
				return res, failedJob(run.GetID(), err)
			}
			return res, nil
		case <-tick.C:
			show()
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
}

func printRenderJob(w io.Writer, res workflows.RenderJobResult) {
	fmt.Fprintf(w, "job       %s, %d chunks\n", res.Job, res.Chunks)
	printRender(w, &renderReport{Pattern: res.Pattern, Range: res.Range, Policy: seq.Policy(res.Policy), Missing: res.Missing, Result: res.Result})
}

// isURL reports whether p is a URL (s3://, file://) rather than a path.
func isURL(p string) bool { return strings.Contains(p, "://") }
