package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/workflows"
)

const workerLong = `Run a worker for any Temporal cluster: it polls the task queue and runs
encode jobs' workflows and chunk activities (encode, score, assemble).
Start as many as you have machines; each runs --concurrency chunks at once
(default: its CPU count). Sources are read through mezzfs, outputs written to
the job's store (file:// paths must be shared between workers, s3:// needs
the s3 settings in reel.yaml or REEL_S3_* variables).

Stop it with SIGTERM or Ctrl-C (SIGINT) to drain it: it stops taking work,
lets running chunks finish for up to --drain-grace (worker.drain_grace,
default 30s), gives back the rest (retried on other workers; finished chunks
are never encoded again) and exits 0. Give a Kubernetes pod a
terminationGracePeriodSeconds longer than the grace.

Confinement: with storage.roots set, jobs may read and write local paths
only under those directories, with storage.s3_buckets only those
buckets, and with storage.http_hosts only those hosts for http(s) sources
(redirects included; once any list is set, unlisted hosts are refused);
a job outside them fails at once as bad input. Without roots the
worker warns: any job may reach any path this user can.

TLS: --tls-ca, --tls-cert, --tls-key, --tls-server-name (temporal.tls.* in
reel.yaml); an API key from temporal.api_key or REEL_TEMPORAL_API_KEY.

With --metrics-port it serves, on 127.0.0.1 (--metrics-host to change):
  /metrics  Prometheus metrics: reel_chunks_encoded_total, reel_chunk_vmaf,
            reel_chunk_encode_seconds, reel_mezzfs_*, the Temporal SDK's
            temporal_* worker metrics, ... (docs/metrics.md lists them)
  /healthz  200 while the process runs
  /readyz   200 once the worker polls its task queue; 503 before, and
            from the moment it is told to stop
Logs are text lines; --log-format json writes one JSON object per line.`

const workerExample = `  reel worker --temporal 10.0.0.5:7233
  reel worker --temporal temporal.prod:7233 --tls-ca ca.pem --tls-cert worker.pem --tls-key worker-key.pem
  REEL_TEMPORAL_API_KEY=$(cat key) reel worker --temporal ns.acct.tmprl.cloud:7233 --namespace ns.acct
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
			grace := app.Config.Worker.DrainGrace
			if fl := cmd.Flags(); fl.Changed("drain-grace") {
				grace, _ = fl.GetDuration("drain-grace")
			}
			if grace < 0 {
				return usagef(cmd, "--drain-grace %s: must not be negative", grace)
			}
			w := workflows.NewWorker(c, app.taskQueue(), workflows.WorkerOptions{Concurrency: n, StopTimeout: grace}, acts)
			if err := w.Start(); err != nil {
				return fmt.Errorf("worker: %w", err)
			}
			obs.setReady(true)
			app.notice(fmt.Sprintf("reel worker: polling %s on %s (%d concurrent chunks)", app.taskQueue(), addr, n),
				"polling", "task_queue", app.taskQueue(), "temporal", addr, "concurrency", n, "metrics", obs.url())
			if len(app.Config.Storage.Roots) == 0 {
				app.notice("reel worker: warning: storage.roots is empty: jobs may read and write any local path this user can", "unconfined")
			}
			<-ctx.Done()
			// Drain: not ready, stop polling, let running chunks finish
			// within the grace period, give the rest back (their attempts
			// fail now and run elsewhere), exit 0.
			obs.setReady(false)
			app.notice(fmt.Sprintf("reel worker: draining: running chunks have %s to finish", grace), "stopping", "grace", grace.String())
			w.Stop()
			app.notice("reel worker: stopped", "stopped")
			return nil
		},
	}
	addTemporalFlags(app, cmd)
	addMetricsFlags(cmd)
	cmd.Flags().Int("concurrency", 0, "chunk encodes run at once (default from config: one per two CPUs)")
	cmd.Flags().Duration("drain-grace", 0, "on SIGTERM/SIGINT, how long running chunks may finish before they are given back (default from config worker.drain_grace: 30s; 0 gives them back at once)")
	return cmd
}

// addTemporalFlags adds --temporal, --task-queue, --namespace and the TLS
// flags. The API key has no flag (a command line is visible to every user
// of the machine): temporal.api_key or REEL_TEMPORAL_API_KEY.
func addTemporalFlags(app *App, cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.String("temporal", "", "Temporal frontend HOST:PORT (default: temporal.address, else the local 'reel server' at 127.0.0.1:7233)")
	fl.String("task-queue", "", "task queue (default from config: reel)")
	fl.String("namespace", "", "Temporal namespace (default from config: default)")
	fl.String("tls-ca", "", "PEM file of the CA that signed the frontend's certificate; turns TLS on (temporal.tls.ca)")
	fl.String("tls-cert", "", "PEM file of this client's certificate, for mutual TLS (temporal.tls.cert)")
	fl.String("tls-key", "", "PEM file of this client's key (temporal.tls.key)")
	fl.String("tls-server-name", "", "name the frontend's certificate must carry (default: the host of --temporal)")
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
	set("tls-ca", &app.Config.Temporal.TLS.CA)
	set("tls-cert", &app.Config.Temporal.TLS.Cert)
	set("tls-key", &app.Config.Temporal.TLS.Key)
	set("tls-server-name", &app.Config.Temporal.TLS.ServerName)
	if fl.Lookup("concurrency") != nil && fl.Changed("concurrency") {
		app.Config.Worker.Concurrency, _ = fl.GetInt("concurrency")
	}
	if app.Config.Worker.Concurrency <= 0 {
		app.Config.Worker.Concurrency = config.DefaultConcurrency(runtime.NumCPU())
	}
}
