package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
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
removes its pieces. --ocio is baked once, by the planning activity, into the
job's work directory, and every piece applies that one LUT. --audio is muxed
when the pieces are joined, exactly as 'render run' muxes it. The pattern,
the output, the work directory (default OUTPUT.work), --audio, --lut, --ocio
and --font are paths on the workers: with workers on several machines they
must be on a shared disk (or the pattern, --audio and the output s3:// URLs;
an s3:// output is joined in the work directory, which --work must then
name, and stored in one piece).

Without --wait it prints the job ID (like 'reel submit'); 'reel status ID'
shows its chunks and 'reel cancel ID' stops it. --wait follows it with a
progress bar and prints what 'render run' prints (--json: the job's result).`

const renderSubmitExample = `  reel render submit /renders/sh010/sh010_comp_v003.####.exr -o /srv/review/sh010_v003.mov
  reel render submit /renders/sh010/ -o /srv/review/sh010.mov --slate --shot sh010 --version v003 --burnin default --wait
  reel render submit 's3://renders/sh010/sh010.%04d.exr' -o /srv/review/sh010.mp4 --codec h264 --chunk-frames 96 --json
  reel render submit /renders/sh010/ -o /srv/review/sh010.mov --ocio /show/config.ocio --ocio-view 'sRGB/Film' --display srgb
  reel render submit shot.####.dpx -o /srv/review/shot.mov --temporal temporal.prod:7233 --id sh010-v003-review
  reel render submit 's3://renders/sh010/' -o s3://review/sh010_v003.mov --work /mnt/shared/reel-work --audio s3://renders/sh010/mix.wav --wait`

// renderSubmitFlags are reel render run's flags and the job's.
type renderSubmitFlags struct {
	renderFlags
	chunkFrames int
	id, work    string
	wait        bool
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
	if isURL(f.out) && f.work == "" {
		return workflows.RenderJob{}, fmt.Errorf("-o %s: give --work DIR, a directory the workers share for the pieces", f.out)
	}
	spec, err := renderSpec(pattern, &f.renderFlags)
	if err != nil {
		return workflows.RenderJob{}, err
	}
	abs := func(p string) (string, error) {
		if p == "" || isURL(p) {
			return p, nil
		}
		return filepath.Abs(p)
	}
	out, err := abs(f.out)
	if err != nil {
		return workflows.RenderJob{}, err
	}
	work, err := abs(f.work)
	if err != nil {
		return workflows.RenderJob{}, err
	}
	if spec.Pattern, err = abs(pattern); err != nil {
		return workflows.RenderJob{}, err
	}
	if spec.LUT, err = abs(f.lut); err != nil {
		return workflows.RenderJob{}, err
	}
	if spec.OCIO != nil {
		if spec.OCIO.Config, err = abs(spec.OCIO.Config); err != nil {
			return workflows.RenderJob{}, err
		}
	}
	audio, err := abs(f.audio)
	if err != nil {
		return workflows.RenderJob{}, err
	}
	return workflows.RenderJob{Spec: spec, Output: out, Work: work, ChunkFrames: f.chunkFrames, Audio: audio}, nil
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
