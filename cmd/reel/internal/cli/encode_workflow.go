package cli

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

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
// --rendition, --ladder, --temporal and --package select that path.
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
	return fl.Changed("rendition") || fl.Changed("ladder") || fl.Changed("temporal") || fl.Changed("package") || f.perShot.changed(cmd)
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
	if addr == "" {
		// The worker is this process: a local output it cannot write is
		// refused now, not after the chunks were encoded. (A cluster's
		// workers may see other disks.)
		for _, u := range []string{job.Work, job.Output} {
			if dir, ok := localDir(u); ok {
				if err := checkOutputDir(dir); err != nil {
					return err
				}
			}
		}
	}
	c, done, err := app.dialOrEmbed(ctx, addr)
	if err != nil {
		return err
	}
	defer done()
	if addr == "" {
		if src, ok := localDir(job.Source); ok {
			app.allowPaths(filepath.Dir(src))
		}
		app.allowPaths(job.Output, job.Work)
		acts, err := app.activities()
		if err != nil {
			return err
		}
		stop, err := app.startLocalWorker(c, acts)
		if err != nil {
			return err
		}
		defer stop()
	}
	id := f.id
	if id == "" {
		id = jobID("encode", input)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: app.taskQueue()}, workflows.EncodeWorkflow, job)
	if err != nil {
		return fmt.Errorf("start job: %w", err)
	}
	res, err := watchJob(ctx, app, c, run, quiet || asJSON)
	if err != nil {
		cancelInterrupted(ctx, c, run)
		return printJobFailure(app, run.GetID(), err, asJSON)
	}
	return printResult(app, res, asJSON)
}

// localDir returns the directory of a job URL that names one on this
// machine (an absolute path or file:///dir).
func localDir(u string) (string, bool) {
	if strings.HasPrefix(u, "/") {
		return u, true
	}
	if p, err := url.Parse(u); err == nil && p.Scheme == "file" && strings.HasPrefix(p.Path, "/") {
		return p.Path, true
	}
	return "", false
}
