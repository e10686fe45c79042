package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/seq"
	"github.com/reelmedia/reel/workflows"
)

const renderWatchLong = `Watch a directory or an s3:// prefix for image sequences and submit each
version as a 'reel render submit' job once it is complete: when no frame has
been added or changed for --settle (by what the watcher saw and by the files'
times), or at once when a marker file is there (--marker NAME: the file
NAME, or NAME after the sequence's name, sh010_comp_v003._complete, beside
the frames). The frames directly under DIR are looked at; each sequence
there (sh010_comp_v003.####.exr, sh010_comp_v004.####.exr) is a version.

Each version is submitted exactly once, across restarts of the watcher and
across watchers: its job ID is derived from the sequence (--id-prefix, its
name, its frame range and a fingerprint of its frames' names and sizes) and
the cluster refuses a second job with an ID it has seen (Temporal's
reject-duplicate policy; the cluster remembers IDs for its retention
period). A version rendered again with other frames is a new version. A
frame still arriving after its version was submitted is not in that job
(the job renders the range seen).

The movie goes in OUTDIR, named by --name: {name} (the sequence's name,
sh010_comp_v003), {version} (its last vNNN), {first} and {last}; default
{name}.mov. The render flags are 'reel render run's; --version defaults to
the version in the name. A line is printed per submission (--json: a JSON
object per line). --once scans once and exits (for cron, and tests); then the
files' times alone decide what has settled.`

const renderWatchExample = `  reel render watch /renders/sh010 -o /srv/review --slate --burnin default --shot sh010
  reel render watch s3://renders/sh010/ -o /srv/review --marker _complete --codec h264 --name '{name}.mp4'
  reel render watch /renders/sh010 -o /srv/review --once --settle 2m     # from cron`

type renderWatchFlags struct {
	renderSubmitFlags
	settle, interval time.Duration
	marker, name     string
	idPrefix         string
	once             bool
}

func newRenderWatchCmd(app *App) *cobra.Command {
	var f renderWatchFlags
	cmd := &cobra.Command{
		Use:     "watch DIR|s3://prefix -o OUTDIR",
		Short:   "Submit each new version of an image sequence once it is complete",
		Long:    renderWatchLong,
		Example: renderWatchExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef(cmd, "render watch takes exactly one DIR or s3:// prefix, got %d arguments", len(args))
			}
			if f.out == "" {
				return usagef(cmd, "-o OUTDIR is required")
			}
			if f.chunkFrames < 1 || f.settle < 0 || f.interval <= 0 {
				return usagef(cmd, "--chunk-frames must be at least 1, --settle not negative and --interval positive")
			}
			if strings.ContainsAny(f.marker, `/\`) {
				return usagef(cmd, "--marker is a file name, not a path")
			}
			if strings.ContainsAny(args[0][strings.LastIndexByte(args[0], '/')+1:], "#@%") {
				return usagef(cmd, "render watch takes a directory or prefix, not a pattern")
			}
			if _, err := outputName(f.name, seq.Found{Pattern: seq.Pattern{Prefix: "x.", Suffix: ".exr", Pad: 4}, Numbers: []int{1}}); err != nil {
				return usagef(cmd, "%v", err)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			app.applyTemporalFlags(cmd)
			if err := checkOutputDir(f.out); err != nil {
				return err
			}
			c, err := app.dialTemporal(ctx, app.temporalAddress())
			if err != nil {
				return err
			}
			defer c.Close()
			return runRenderWatch(ctx, app, c, strings.TrimSuffix(args[0], "/"), &f)
		},
	}
	fl := cmd.Flags()
	addRenderFlags(fl, &f.renderFlags)
	fl.Lookup("output").Usage = "the directory the review movies go in"
	fl.Lookup("json").Usage = "a JSON object per submission, one per line"
	fl.Lookup("version").Usage = "version, for the slate and {version} (default: the last vNNN in the sequence's name)"
	fl.IntVar(&f.chunkFrames, "chunk-frames", workflows.DefaultChunkFrames, "frames per chunk of each job, the slate counted")
	fl.DurationVar(&f.settle, "settle", 30*time.Second, "a version is complete when no frame arrived or changed for this long")
	fl.StringVar(&f.marker, "marker", "", "a version is complete at once when this file (or NAME after the sequence's name) is beside it")
	fl.StringVar(&f.name, "name", "{name}.mov", "the movie's file name: {name} {version} {first} {last}")
	fl.StringVar(&f.idPrefix, "id-prefix", "render", "the start of each job ID (two watchers on one directory with other outputs need two)")
	fl.DurationVar(&f.interval, "interval", 10*time.Second, "time between scans")
	fl.BoolVar(&f.once, "once", false, "scan once, submit what is complete, and exit")
	addTemporalFlags(app, cmd)
	return cmd
}

// watchSubmission is a line of reel render watch --json.
type watchSubmission struct {
	Job     string `json:"job"`
	Status  string `json:"status"` // submitted, or already (an earlier watcher submitted it)
	Pattern string `json:"pattern"`
	Range   string `json:"range"`
	Frames  int    `json:"frames"`
	Output  string `json:"output"`
}

// runRenderWatch scans dir until ctx ends (or once), submitting each
// complete version that this watcher has not submitted yet.
func runRenderWatch(ctx context.Context, app *App, c client.Client, dir string, f *renderWatchFlags) error {
	st, err := app.storage()
	if err != nil {
		return err
	}
	w := &renderWatcher{app: app, c: c, dir: dir, f: f, lister: workflows.StorageLister{Storage: st}, done: map[string]bool{}}
	for {
		err := w.scan(ctx, time.Now())
		switch {
		case f.once:
			return err
		case ctx.Err() != nil:
			return nil // interrupted: a watcher's normal end
		case err != nil:
			fmt.Fprintf(app.Stderr, "render watch: %v\n", err) // a listing or the cluster may come back
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(f.interval):
		}
	}
}

type renderWatcher struct {
	app     *App
	c       client.Client
	dir     string
	f       *renderWatchFlags
	lister  workflows.StorageLister
	settler seq.Settler
	done    map[string]bool // job IDs submitted or found submitted
}

func (w *renderWatcher) scan(ctx context.Context, now time.Time) error {
	ents, err := w.lister.Entries(ctx, w.dir)
	if err != nil {
		return fmt.Errorf("listing %s: %w", w.dir, err)
	}
	names := make([]string, len(ents))
	byName := map[string]int{}
	for i, e := range ents {
		names[i] = e.Name
		byName[e.Name] = i
	}
	for _, fd := range seq.Group(w.dir, names) {
		sizes := map[int]int64{}
		var newest time.Time
		for _, n := range fd.Numbers {
			e := ents[byName[fd.Pattern.Name(n)]]
			sizes[n] = e.Size
			if e.ModTime.After(newest) {
				newest = e.ModTime
			}
		}
		id := seq.VersionKey(w.f.idPrefix, fd, sizes)
		if w.done[id] {
			continue
		}
		_, marked := byName[w.f.marker]
		if _, ok := byName[fd.Pattern.Prefix+w.f.marker]; ok {
			marked = true
		}
		marked = marked && w.f.marker != ""
		if !w.settler.Settled(fd.Pattern.String(), id, newest, now, w.f.settle, w.f.once) && !marked {
			continue
		}
		if err := w.submit(ctx, id, fd); err != nil {
			return err
		}
	}
	return nil
}

func (w *renderWatcher) submit(ctx context.Context, id string, fd seq.Found) error {
	name, err := outputName(w.f.name, fd)
	if err != nil {
		return err
	}
	sf := w.f.renderSubmitFlags
	sf.out = filepath.Join(w.f.out, name)
	sf.frames = fd.Range().String()
	if sf.version == "" {
		sf.version = seq.VersionOf(fd.Pattern.Title())
	}
	job, err := renderJob(fd.Pattern.String(), &sf)
	if err != nil {
		return err
	}
	line := watchSubmission{Job: id, Status: "submitted", Pattern: fd.Pattern.String(), Range: fd.Range().String(), Frames: len(fd.Numbers), Output: job.Output}
	_, err = w.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: w.app.taskQueue(),
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.RenderWorkflow, job)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		line.Status = "already"
	case err != nil:
		return fmt.Errorf("submitting %s: %w", fd.Pattern.String(), err)
	}
	w.done[id] = true
	if w.f.asJSON {
		return writeJSONLine(w.app, line)
	}
	if line.Status == "already" {
		if !w.f.quiet {
			fmt.Fprintf(w.app.Stdout, "already submitted %s: %s\n", id, line.Pattern)
		}
		return nil
	}
	fmt.Fprintf(w.app.Stdout, "submitted %s: %s (%s, %d frames) -> %s\n", id, line.Pattern, line.Range, line.Frames, line.Output)
	return nil
}

func writeJSONLine(app *App, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(app.Stdout, "%s\n", b)
	return err
}

// outputName expands the --name template for a version: a plain file name
// ending .mov or .mp4.
func outputName(tmpl string, fd seq.Found) (string, error) {
	r := fd.Range()
	title := fd.Pattern.Title()
	name := strings.NewReplacer("{name}", title, "{version}", seq.VersionOf(title),
		"{first}", fd.Pattern.Number(r.First), "{last}", fd.Pattern.Number(r.Last)).Replace(tmpl)
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case strings.ContainsAny(name, "{}"):
		return "", fmt.Errorf("--name %q: the fields are {name} {version} {first} {last}", tmpl)
	case strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, ".") || name == "":
		return "", fmt.Errorf("--name %q: a plain file name, not a path", tmpl)
	case ext != ".mov" && ext != ".mp4":
		return "", fmt.Errorf("--name %q: the movie is a .mov or .mp4", tmpl)
	}
	return name, nil
}
