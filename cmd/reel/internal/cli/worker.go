package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/workflows"
)

const workerLong = `Run a worker for any Temporal cluster: it polls the task queue and runs
encode jobs' workflows and chunk activities (encode, score, assemble).
Start as many as you have machines; each runs --concurrency chunks at once
(default: its CPU count). Sources are read through mezzfs, outputs written to
the job's store (file:// paths must be shared between workers, s3:// needs
the s3 settings in reel.yaml or REEL_S3_* variables).

Stop it with Ctrl-C (SIGINT/SIGTERM): running chunks are given back and
retried elsewhere; finished chunks are never encoded again.

With --metrics-port it serves, on 127.0.0.1 (--metrics-host to change):
  /metrics  Prometheus metrics: reel_chunks_encoded_total, reel_chunk_vmaf,
            reel_chunk_encode_seconds, reel_mezzfs_*, the Temporal SDK's
            temporal_* worker metrics, ... (docs/metrics.md lists them)
  /healthz  200 while the process runs
  /readyz   200 once the worker polls its task queue; 503 before, and
            from the moment it is told to stop
Logs are text lines; --log-format json writes one JSON object per line.`

const workerExample = `  reel worker --temporal 10.0.0.5:7233
  reel worker --temporal temporal.prod:7233 --task-queue reel-gpu --concurrency 8
  REEL_S3_ENDPOINT=http://127.0.0.1:7070 REEL_S3_PATH_STYLE=true reel worker
  reel worker --metrics-port 9464 --metrics-host 0.0.0.0 --log-format json   # in a pod: scraped and probed
  curl -s 127.0.0.1:9464/metrics | grep reel_chunks_encoded_total`

func newWorkerCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "worker",
		Short:   "Run a worker for encode jobs on a Temporal cluster",
		Long:    workerLong,
		Example: workerExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			app.applyTemporalFlags(cmd)
			obs, err := app.startMetrics(cmd)
			if err != nil {
				return err
			}
			defer obs.close()
			addr := app.temporalAddress()
			c, err := app.dialTemporal(ctx, addr)
			if err != nil {
				return err
			}
			defer c.Close()
			acts, err := app.activities()
			if err != nil {
				return err
			}
			obs.observe(acts)
			n := app.Config.Worker.Concurrency
			w := workflows.NewWorker(c, app.taskQueue(), workflows.WorkerOptions{Concurrency: n}, acts)
			if err := w.Start(); err != nil {
				return fmt.Errorf("worker: %w", err)
			}
			obs.setReady(true)
			app.notice(fmt.Sprintf("reel worker: polling %s on %s (%d concurrent chunks)", app.taskQueue(), addr, n),
				"polling", "task_queue", app.taskQueue(), "temporal", addr, "concurrency", n, "metrics", obs.url())
			<-ctx.Done()
			obs.setReady(false)
			app.notice("reel worker: stopping", "stopping")
			w.Stop()
			return nil
		},
	}
	addTemporalFlags(app, cmd)
	addMetricsFlags(cmd)
	cmd.Flags().Int("concurrency", 0, "chunk encodes run at once (default from config: CPU count)")
	return cmd
}

// addTemporalFlags adds --temporal, --task-queue and --namespace.
func addTemporalFlags(app *App, cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.String("temporal", "", "Temporal frontend HOST:PORT (default: temporal.address, else the local 'reel server' at 127.0.0.1:7233)")
	fl.String("task-queue", "", "task queue (default from config: reel)")
	fl.String("namespace", "", "Temporal namespace (default from config: default)")
}

// applyTemporalFlags lets the flags of addTemporalFlags (and --concurrency,
// where the command has it) override the configuration. Several commands
// share these keys, so they are applied per command rather than bound
// globally in viper (where the last binding would win).
func (app *App) applyTemporalFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	set := func(name string, dst *string) {
		if fl.Changed(name) {
			*dst, _ = fl.GetString(name)
		}
	}
	set("temporal", &app.Config.Temporal.Address)
	set("task-queue", &app.Config.Temporal.TaskQueue)
	set("namespace", &app.Config.Temporal.Namespace)
	if fl.Lookup("concurrency") != nil && fl.Changed("concurrency") {
		app.Config.Worker.Concurrency, _ = fl.GetInt("concurrency")
	}
	if app.Config.Worker.Concurrency <= 0 {
		app.Config.Worker.Concurrency = runtime.NumCPU()
	}
}
