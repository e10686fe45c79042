package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/workflows"
)

// workflowEncodeFlags are the flags `reel encode` needs for its workflow
// path (a ladder of renditions, chunked, scored and quality-gated).
type workflowEncodeFlags struct {
	jobFlags
	temporal string
	id       string
}

// addWorkflowEncodeFlags adds the workflow path's flags to `reel encode`.
// --rendition, --ladder and --temporal select that path.
func addWorkflowEncodeFlags(cmd *cobra.Command, f *workflowEncodeFlags) {
	f.jobFlags.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.temporal, "temporal", "", "submit to the Temporal cluster at HOST:PORT instead of an embedded one")
	if fl.Lookup("id") == nil {
		fl.StringVar(&f.id, "id", "", "job ID (default encode-<input>-<time>)")
	}
}

// wantsWorkflow says whether `reel encode` should take the workflow path.
func (f *workflowEncodeFlags) wantsWorkflow(cmd *cobra.Command) bool {
	fl := cmd.Flags()
	return fl.Changed("rendition") || fl.Changed("ladder") || fl.Changed("temporal")
}

// runWorkflowEncode runs an encode job as a workflow: on the cluster at
// --temporal (or temporal.address), or else on an embedded in-memory server
// with an in-process worker that lives as long as this command. It shows
// live progress on stderr and prints the result (JSON with asJSON).
func runWorkflowEncode(ctx context.Context, app *App, cmd *cobra.Command, f *workflowEncodeFlags, input, output string, quiet, asJSON bool) error {
	job, err := f.job(cmd, input, output)
	if err != nil {
		return err
	}
	addr := f.temporal
	if addr == "" {
		addr = app.Config.Temporal.Address
	}
	c, done, err := app.dialOrEmbed(ctx, addr)
	if err != nil {
		return err
	}
	defer done()
	if f.temporal == "" && app.Config.Temporal.Address == "" {
		acts, err := app.activities()
		if err != nil {
			return err
		}
		n := app.Config.Worker.Concurrency
		w := workflows.NewWorker(c, app.taskQueue(), workflows.WorkerOptions{Concurrency: n}, acts)
		if err := w.Start(); err != nil {
			return fmt.Errorf("worker: %w", err)
		}
		defer w.Stop()
	}
	id := f.id
	if id == "" {
		base := strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
		id = fmt.Sprintf("encode-%s-%s", base, time.Now().UTC().Format("20060102-150405"))
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: app.taskQueue()}, workflows.EncodeWorkflow, job)
	if err != nil {
		return fmt.Errorf("start job: %w", err)
	}
	res, err := watchJob(ctx, app, c, run, quiet || asJSON)
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted: stop the job so it does not linger on a cluster.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = c.CancelWorkflow(cctx, run.GetID(), "")
		}
		return err
	}
	return printResult(app, res, asJSON)
}
