package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/reelmedia/reel/archer"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

const archerWorkflowHelp = `Workflow path (--workflow, or --temporal HOST:PORT): the same analysis runs as
Temporal's AnalyzeWorkflow: chunks of --chunk-seconds are analysed by
ArcherAnalyzeChunk activities in parallel and merged by ArcherReduce, which
writes analysis.json (and contact-sheet.jpg) to a store; reel then copies them
to -o and --contact-sheet. With no --temporal and no temporal.address, an
embedded in-memory server and a worker run in this process (the store is a
temporary directory, removed afterwards); otherwise the job goes to the
cluster's workers, which must reach INPUT (a local path is made absolute) and
the --work store (default storage.url, else file://DATA_DIR/jobs), as must
this command to copy the results out. --detach submits, prints the workflow
ID and returns; analysis.json appears in the store under the ID. --threads,
--chunk-frames and --fast-decode belong to the in-process path (a worker's
concurrency sets how many chunks run at once).`

// archerWorkflowFlags are the flags of `reel archer run`'s workflow path.
type archerWorkflowFlags struct {
	workflow     bool
	temporal     string
	id           string
	detach       bool
	work         string
	chunkSeconds float64
}

func addArcherWorkflowFlags(cmd *cobra.Command, f *archerWorkflowFlags) {
	fl := cmd.Flags()
	fl.BoolVar(&f.workflow, "workflow", false, "run as Temporal's AnalyzeWorkflow (embedded server and worker unless --temporal or temporal.address)")
	fl.StringVar(&f.temporal, "temporal", "", "submit the workflow to the Temporal cluster at HOST:PORT (implies --workflow)")
	fl.StringVar(&f.id, "id", "", "workflow (job) ID (default archer-<input>-<time>)")
	fl.BoolVar(&f.detach, "detach", false, "submit to the cluster, print the workflow ID and return without waiting")
	fl.StringVar(&f.work, "work", "", "store URL the workers write partials and analysis.json to (workflow path; default: a temporary directory, or storage.url on a cluster)")
	fl.Float64Var(&f.chunkSeconds, "chunk-seconds", 0, fmt.Sprintf("chunk length of the workflow path, seconds (default %g)", workflows.DefaultAnalyzeChunkSeconds))
}

// archerWorkflowOnly and archerLocalOnly are the flags that belong to one
// path only; giving them to the other is a usage error.
var (
	archerWorkflowOnly = []string{"id", "detach", "work", "chunk-seconds"}
	archerLocalOnly    = []string{"threads", "chunk-frames", "fast-decode"}
)

// selectArcherPath says whether `reel archer run` takes the workflow path
// and rejects flags that belong to the other one.
func selectArcherPath(cmd *cobra.Command) (bool, error) {
	fl := cmd.Flags()
	wf := fl.Changed("workflow") || fl.Changed("temporal")
	if wf {
		if v, _ := fl.GetBool("workflow"); !v && !fl.Changed("temporal") {
			wf = false // --workflow=false
		}
	}
	bad, need := archerLocalOnly, "the in-process path (without --workflow or --temporal)"
	if !wf {
		bad, need = archerWorkflowOnly, "--workflow or --temporal"
	}
	var given []string
	for _, name := range bad {
		if fl.Changed(name) {
			given = append(given, "--"+name)
		}
	}
	if len(given) > 0 {
		return wf, usagef(cmd, "archer run: %s only make(s) sense with %s", strings.Join(given, ", "), need)
	}
	return wf, nil
}

// archerRequest builds the AnalyzeRequest of the flags; source, work and
// output are filled in by the caller.
func archerRequest(cmd *cobra.Command, fl archerFlags) (workflows.AnalyzeRequest, error) {
	var req workflows.AnalyzeRequest
	if fl.minBlack < 0 || fl.minFreeze < 0 || fl.wf.chunkSeconds < 0 {
		return req, usagef(cmd, "archer run: --min-black, --min-freeze and --chunk-seconds must not be negative")
	}
	names, err := archer.ParseAnalyzers(fl.analyzers)
	if err != nil {
		return req, usagef(cmd, "archer run: %v", err)
	}
	if fl.contactSheet != "" {
		if names, err = archer.ParseAnalyzers(append(names, archer.Thumbs)); err != nil {
			return req, err
		}
	}
	if fl.frames != "" {
		// The frame count is the workers' to find out; the workflow rejects
		// a range past the end.
		a, b, err := parseArcherFrames(fl.frames, math.MaxInt64)
		if err != nil {
			return req, usagef(cmd, "archer run: --frames %q: want a:b with 0 <= a < b (a or b may be left out)", fl.frames)
		}
		req.Start = a
		if b != math.MaxInt64 {
			req.End = b
		}
	}
	req.Config = archer.Config{Analyzers: names, BlackMinDuration: fl.minBlack, FreezeMinDuration: fl.minFreeze, Cascade: fl.cascade}
	req.ChunkSeconds = fl.wf.chunkSeconds
	return req, nil
}

// runArcherWorkflow runs `reel archer run` as AnalyzeWorkflow: on the
// cluster at --temporal (or temporal.address), or else on an embedded
// in-memory server with an in-process worker that lives as long as this
// command. It follows the job on stderr, copies analysis.json and the
// contact sheet out of the store, and prints the summary (JSON with --json).
func runArcherWorkflow(ctx context.Context, app *App, cmd *cobra.Command, input string, fl archerFlags) error {
	req, err := archerRequest(cmd, fl)
	if err != nil {
		return err
	}
	addr := fl.wf.temporal
	if addr == "" {
		addr = app.Config.Temporal.Address
	}
	embedded := addr == ""
	if fl.wf.detach {
		var given []string
		for _, name := range []string{"output", "contact-sheet"} {
			if cmd.Flags().Changed(name) {
				given = append(given, "--"+name)
			}
		}
		switch {
		case embedded:
			return usagef(cmd, "archer run: --detach needs --temporal HOST:PORT (an embedded server ends with this command)")
		case len(given) > 0:
			return usagef(cmd, "archer run: %s cannot be written with --detach (the analysis stays in the --work store)", strings.Join(given, ", "))
		}
	}
	if req.Source, err = absURL(input); err != nil {
		return err
	}
	if embedded {
		if src, ok := localDir(req.Source); ok {
			app.allowPaths(filepath.Dir(src))
		}
		app.allowPaths(fl.wf.work, filepath.Join(app.Config.DataDir, "tmp"))
	}
	acts, err := app.activities()
	if err != nil {
		return err
	}

	// The store the workers write to, and this command reads back.
	work := fl.wf.work
	switch {
	case work != "":
	case embedded:
		tmp, err := os.MkdirTemp(acts.TempDir, "archer-*")
		if err != nil {
			return fmt.Errorf("archer: %w", err)
		}
		defer os.RemoveAll(tmp)
		work = tmp
	case app.Config.Storage.URL != "":
		work = app.Config.Storage.URL
	default:
		work = filepath.Join(app.Config.DataDir, "jobs")
	}
	if work, err = storeURL(work); err != nil {
		return err
	}
	req.Work, req.Output = work, work

	c, done, err := app.dialOrEmbed(ctx, addr)
	if err != nil {
		return err
	}
	defer done()
	if embedded {
		stop, err := app.startLocalWorker(c, acts)
		if err != nil {
			return err
		}
		defer stop()
	}

	id := fl.wf.id
	if id == "" {
		id = jobID("archer", input)
	}
	req.Job = id
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: app.taskQueue()}, workflows.WorkflowAnalyze, req)
	if err != nil {
		return fmt.Errorf("archer: start workflow: %w", err)
	}
	analysisURL := mezzfs.JoinURL(work, id+"/analysis.json")
	if fl.wf.detach {
		if fl.asJSON {
			return writeJSON(app.Stdout, map[string]string{"workflow_id": run.GetID(), "run_id": run.GetRunID(), "analysis": analysisURL})
		}
		fmt.Fprintln(app.Stdout, run.GetID())
		if !fl.quiet {
			fmt.Fprintf(app.Stderr, "submitted %s to %s (task queue %s); analysis.json will be %s\n", run.GetID(), addr, app.taskQueue(), analysisURL)
		}
		return nil
	}
	if !embedded && !fl.quiet {
		fmt.Fprintf(app.Stderr, "submitted %s to %s (task queue %s)\n", run.GetID(), addr, app.taskQueue())
	}

	res, err := waitAnalyze(ctx, app, c, run, fl.quiet)
	if err != nil {
		if !embedded {
			cancelInterrupted(ctx, c, run)
		}
		return err
	}
	return finishArcherWorkflow(ctx, app, acts.Storage, id, work, res, fl)
}

// storeURL makes a local directory an absolute file:// URL (workers may
// run elsewhere and the workflow's result names file:// URLs); store URLs
// pass unchanged.
func storeURL(s string) (string, error) {
	u, err := absURL(s)
	if err != nil || strings.Contains(u, "://") {
		return u, err
	}
	return "file://" + filepath.ToSlash(u), nil
}

// waitAnalyze follows an AnalyzeWorkflow run to its end and returns its
// result. Progress comes from the run's history (long-polled, so it costs
// nothing while idle): the chunks' spans when they are scheduled, frames
// done as each chunk's activity completes.
func waitAnalyze(ctx context.Context, app *App, c client.Client, run client.WorkflowRun, quiet bool) (workflows.AnalyzeResult, error) {
	var res workflows.AnalyzeResult
	if !quiet {
		bar := newProgress(app.Stderr, "archer", 0, "frames", false)
		// Best effort: a history that cannot be read only costs the display.
		_ = followAnalyze(ctx, c, run, bar)
		bar.Finish()
	}
	if err := run.Get(ctx, &res); err != nil {
		// Temporal's error names the workflow, run and activity around the
		// cause; the cause is what an operator acts on.
		var ae *temporal.ApplicationError
		if errors.As(err, &ae) {
			return res, jobError{msg: fmt.Sprintf("archer: workflow %s: %s", run.GetID(), ae.Message()), err: err}
		}
		return res, fmt.Errorf("archer: workflow %s: %w", run.GetID(), err)
	}
	return res, nil
}

// jobError is a failed job told by its cause's message; errors.Is and As
// still see Temporal's whole error.
type jobError struct {
	msg string
	err error
}

func (e jobError) Error() string { return e.msg }
func (e jobError) Unwrap() error { return e.err }

// followAnalyze reads the run's history as it grows until the run closes,
// showing frames done on bar.
func followAnalyze(ctx context.Context, c client.Client, run client.WorkflowRun, bar *progress) error {
	dc := converter.GetDefaultDataConverter()
	spans := map[int64]archer.ChunkSpan{} // by the scheduled event's ID
	completed := map[int64]bool{}
	phase := "probing"
	bar.Set(0, phase)
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), true, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return err
		}
		switch ev.GetEventType() {
		case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a := ev.GetActivityTaskScheduledEventAttributes()
			switch a.GetActivityType().GetName() {
			case workflows.ActivityArcherChunk:
				var t workflows.ArcherChunkTask
				if err := dc.FromPayloads(a.GetInput(), &t); err != nil {
					continue
				}
				spans[ev.GetEventId()] = t.Span
				phase = "analysing"
			case workflows.ActivityArcherReduce:
				phase = "merging"
			default:
				continue
			}
		case enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			id := ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
			if _, ok := spans[id]; !ok {
				continue
			}
			completed[id] = true
		default:
			continue
		}
		total, done := chunkProgress(spans, completed)
		bar.SetTotal(total)
		extra := phase
		if len(spans) > 0 {
			extra = fmt.Sprintf("%d/%d chunks, %s", len(completed), len(spans), phase)
		}
		bar.Set(done, extra)
	}
	return nil
}

// chunkProgress counts the frames of the scheduled and of the completed
// chunks. A chunk that reads one frame past its end, for the next chunk
// (which starts there without context), counts that frame once: as the
// next chunk's.
func chunkProgress(spans map[int64]archer.ChunkSpan, completed map[int64]bool) (total, done int64) {
	starts := map[int64]bool{}
	for _, s := range spans {
		if s.NoContext {
			starts[s.Start] = true
		}
	}
	for id, s := range spans {
		n := s.Frames()
		if starts[s.End-1] {
			n--
		}
		total += n
		if completed[id] {
			done += n
		}
	}
	return total, done
}

// finishArcherWorkflow copies the workflow's outputs from the store to -o
// and --contact-sheet (each written atomically by the store), prints the
// summary or JSON, and removes the job's partials from the work store.
func finishArcherWorkflow(ctx context.Context, app *App, storage *mezzfs.Storage, job, work string, res workflows.AnalyzeResult, fl archerFlags) error {
	var b []byte
	if fl.output != "" {
		if err := copyFromStore(ctx, storage, res.Analysis, fl.output); err != nil {
			return fmt.Errorf("archer: report %s: %w", fl.output, err)
		}
		var err error
		if b, err = os.ReadFile(fl.output); err != nil {
			return fmt.Errorf("archer: report %s: %w", fl.output, err)
		}
	} else {
		st, key, err := openStoreObject(ctx, storage, res.Analysis)
		if err != nil {
			return fmt.Errorf("archer: %w", err)
		}
		if b, err = st.GetBytes(ctx, key); err != nil {
			return fmt.Errorf("archer: %w", err)
		}
	}
	var a archer.Analysis
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("archer: %s: %w", res.Analysis, err)
	}
	if fl.contactSheet != "" {
		if res.ContactSheet == "" {
			return fmt.Errorf("archer: contact sheet: no thumbnails: %w", archer.ErrEmptyRange)
		}
		if err := copyFromStore(ctx, storage, res.ContactSheet, fl.contactSheet); err != nil {
			return fmt.Errorf("archer: contact sheet %s: %w", fl.contactSheet, err)
		}
	}
	// The partials have served: a later job with the same ID must not
	// find (and reuse) them.
	if st, err := storage.Store(ctx, work); err == nil {
		if err := st.DeletePrefix(ctx, job+"/archer/"); err != nil {
			fmt.Fprintf(app.Stderr, "reel: archer: removing %s: %v\n", mezzfs.JoinURL(work, job+"/archer/"), err)
		}
	}
	if fl.asJSON {
		return writeJSON(app.Stdout, &a)
	}
	printArcherSummary(app.Stdout, &a)
	return nil
}

// openStoreObject opens the store holding the object at rawURL (a file://
// or s3:// URL) and returns it with the object's key.
func openStoreObject(ctx context.Context, storage *mezzfs.Storage, rawURL string) (mezzfs.Store, string, error) {
	i := strings.LastIndex(rawURL, "/")
	if i < 0 || i == len(rawURL)-1 || !strings.Contains(rawURL[:i], "://") {
		return nil, "", fmt.Errorf("%q is not an object URL", rawURL)
	}
	st, err := storage.Store(ctx, rawURL[:i])
	if err != nil {
		return nil, "", err
	}
	return st, rawURL[i+1:], nil
}

// copyFromStore copies the object at rawURL to the local file dst.
func copyFromStore(ctx context.Context, storage *mezzfs.Storage, rawURL, dst string) error {
	st, key, err := openStoreObject(ctx, storage, rawURL)
	if err != nil {
		return err
	}
	_, err = st.Get(ctx, key, dst)
	return err
}
