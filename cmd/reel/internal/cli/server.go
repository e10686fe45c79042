package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/reelmedia/reel/cmd/reel/internal/api"
	"github.com/reelmedia/reel/cmd/reel/internal/metrics"
	"github.com/reelmedia/reel/cmd/reel/internal/web"
	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/workflows"
)

const serverLong = `Run reel's local cluster: an embedded Temporal server (SQLite in the data
directory, WAL journal), the Temporal Web UI, reel's HTTP API and dashboard,
and a worker that runs encode jobs. Everything listens on 127.0.0.1 only
(the API on api.address when api.tokens are set; the Temporal frontend on
--listen, which needs TLS: --tls-cert and --tls-key, and may require client
certificates, --client-ca, or API keys, server.api_keys in reel.yaml or
REEL_SERVER_API_KEYS=key1,key2, which clients send as temporal.api_key). It
runs until interrupted; jobs in flight resume when it is started again.

The HTTP API (--http-port, default 7280; 0 disables it) lists, submits and
cancels jobs, streams their progress, and serves reports, per-frame scores
and frame images under /api/v1 (described by /api/v1/openapi.yaml); the
dashboard is at /. With api.tokens in reel.yaml every request needs
"Authorization: Bearer TOKEN" (viewer: read; operator: also submit and
cancel); see docs/api.md.

Submit jobs with 'reel submit' (or 'reel encode ... --temporal 127.0.0.1:PORT'),
watch them with 'reel status', in the Web UI, or with any Temporal tool.
More workers on this machine: 'reel worker --temporal 127.0.0.1:PORT'.

With --metrics-port it serves Prometheus /metrics (jobs by state, and the
built-in worker's chunk, VMAF, mezzfs and Temporal SDK metrics), /healthz
and /readyz; deploy/grafana/reel.json is a dashboard over them.`

const serverExample = `  reel server
  reel server --port 7233 --ui-port 8233 --concurrency 2
  reel server --headless --no-worker      # only Temporal, workers elsewhere on this host
  reel server --listen 0.0.0.0 --tls-cert server.pem --tls-key server-key.pem --client-ca ca.pem
      # workers on other hosts: reel worker --temporal HOST:7233 --tls-ca ca.pem --tls-cert w.pem --tls-key w-key.pem
  reel server --http-port 0               # no HTTP API or dashboard
  curl -s http://127.0.0.1:7280/api/v1/jobs
  reel server --metrics-port 9464 --log-format json   # scrape http://127.0.0.1:9464/metrics`

func newServerCmd(app *App) *cobra.Command {
	var headless, noWorker bool
	cmd := &cobra.Command{
		Use:     "server",
		Short:   "Run the embedded Temporal server, Web UI and a worker (local cluster)",
		Long:    serverLong,
		Example: serverExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			app.applyTemporalFlags(cmd)
			fl := cmd.Flags()
			if fl.Changed("port") {
				app.Config.Temporal.Port, _ = fl.GetInt("port")
			}
			if fl.Changed("ui-port") {
				app.Config.Temporal.UIPort, _ = fl.GetInt("ui-port")
			}
			for flag, dst := range map[string]*string{"listen": &app.Config.Server.Listen, "tls-cert": &app.Config.Server.TLSCert, "tls-key": &app.Config.Server.TLSKey, "client-ca": &app.Config.Server.ClientCA} {
				if fl.Changed(flag) {
					*dst, _ = fl.GetString(flag)
				}
			}
			if fl.Changed("http-port") {
				app.Config.API.Port, _ = fl.GetInt("http-port")
			}
			obs, err := app.startMetrics(cmd)
			if err != nil {
				return err
			}
			defer obs.close()
			cfg := app.Config
			if cfg.API.Port != 0 {
				// Refused before anything starts.
				if err := api.CheckBind(cfg.API.Address, cfg.API.Tokens); err != nil {
					return err
				}
			}
			ui := cfg.Temporal.UIPort
			if headless {
				ui = 0
			}
			srv, err := app.startEmbedded(ctx, filepath.Join(cfg.DataDir, "temporal.db"), cfg.Temporal.Port, ui, cfg.Server)
			if err != nil {
				return err
			}
			defer srv.Stop()
			fmt.Fprintf(app.Stdout, "temporal  %s (namespace %s, task queue %s)\n", srv.Address, srv.Namespace, app.taskQueue())
			if srv.UIAddress != "" {
				fmt.Fprintf(app.Stdout, "web ui    %s\n", srv.UIAddress)
			}
			fmt.Fprintf(app.Stdout, "database  %s\n", filepath.Join(cfg.DataDir, "temporal.db"))
			c, err := app.dialLocal(ctx, srv)
			if err != nil {
				return err
			}
			defer c.Close()
			if obs.m != nil {
				obs.m.RegisterJobs(metrics.TemporalJobStates(c, srv.Namespace))
				fmt.Fprintf(app.Stdout, "metrics   %s\n", obs.url())
			}
			if cfg.API.Port != 0 {
				stop, err := app.startAPI(ctx, c, obs)
				if err != nil {
					return err
				}
				defer stop()
			}
			if !noWorker {
				acts, err := app.activities()
				if err != nil {
					return err
				}
				obs.observe(acts)
				w := workflows.NewWorker(c, app.taskQueue(), workflows.WorkerOptions{Concurrency: cfg.Worker.Concurrency}, acts)
				if err := w.Start(); err != nil {
					return fmt.Errorf("worker: %w", err)
				}
				defer w.Stop()
				fmt.Fprintf(app.Stdout, "worker    %d concurrent chunks\n", cfg.Worker.Concurrency)
			}
			obs.setReady(true)
			<-ctx.Done()
			obs.setReady(false)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.Int("port", 0, "frontend gRPC port on 127.0.0.1 (default from config: 7233)")
	fl.Int("ui-port", 0, "Web UI port on 127.0.0.1 (default from config: 8233)")
	fl.Int("http-port", 0, "HTTP API and dashboard port, 0 disables them (default from config api.port: 7280)")
	fl.Int("concurrency", 0, "chunk encodes run at once by the built-in worker (default: one per two CPUs)")
	fl.String("listen", "", "address the frontend listens on (default 127.0.0.1; any other needs --tls-cert and --tls-key)")
	fl.String("tls-cert", "", "PEM file of the frontend's TLS certificate (server.tls_cert)")
	fl.String("tls-key", "", "PEM file of the frontend's TLS key (server.tls_key)")
	fl.String("client-ca", "", "PEM file of the CA that signs client certificates; requires one of every client (server.client_ca)")
	fl.BoolVar(&headless, "headless", false, "no Web UI")
	fl.BoolVar(&noWorker, "no-worker", false, "run no worker in this process")
	fl.String("task-queue", "", "task queue of the built-in worker (default from config: reel)")
	fl.String("namespace", "", "namespace jobs run in (default from config: default)")
	addMetricsFlags(cmd)
	return cmd
}

// startAPI serves the HTTP API and dashboard (api.* in the config) with
// the cluster client c until ctx ends or the returned func is called, and
// prints where. With metrics (obs), /metrics is served there too.
func (app *App) startAPI(ctx context.Context, c client.Client, obs *observed) (stop func(), err error) {
	cfg := app.Config.API
	st, err := app.storage()
	if err != nil {
		return nil, err
	}
	srv, err := api.New(api.Config{
		Client: c, Namespace: app.Config.Temporal.Namespace, TaskQueue: app.taskQueue(),
		Storage: st, Tokens: cfg.Tokens, Web: obs.beside(web.Handler()),
	})
	if err != nil {
		return nil, err
	}
	ln, err := api.Listen(cfg.Address, cfg.Port, cfg.Tokens)
	if err != nil {
		return nil, err
	}
	base := cfg.URL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	fmt.Fprintf(app.Stdout, "api       %s%s\n", strings.TrimRight(base, "/"), api.Prefix)
	fmt.Fprintf(app.Stdout, "dashboard %s/\n", strings.TrimRight(base, "/"))
	if len(cfg.Tokens) == 0 {
		fmt.Fprintf(app.Stdout, "          (no api.tokens: open to anyone on this host)\n")
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(sctx, ln); err != nil {
			fmt.Fprintf(app.Stderr, "reel: %v\n", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}

// dashboardURL is the base URL of the dashboard as users reach it.
func (app *App) dashboardURL() (string, error) {
	cfg := app.Config.API
	if cfg.URL != "" {
		return strings.TrimRight(cfg.URL, "/"), nil
	}
	if cfg.Port == 0 {
		return "", errors.New("the HTTP API is off (api.port is 0): set api.port, or api.url where the dashboard is reached")
	}
	host := cfg.Address
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(cfg.Port)), nil
}

// startEmbedded starts the in-process Temporal server. dbPath "" keeps it in
// memory; port 0 picks a free one. sec is where its frontend listens and
// how it is secured (the zero value: 127.0.0.1, plain text).
func (app *App) startEmbedded(ctx context.Context, dbPath string, port, uiPort int, sec config.Server) (*devserver.Server, error) {
	logFile := filepath.Join(app.Config.DataDir, "temporal.log")
	if err := os.MkdirAll(app.Config.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	ns := app.Config.Temporal.Namespace
	if ns == "" {
		ns = "default"
	}
	names := []string{ns}
	if ns != "default" {
		names = append(names, "default")
	}
	srv, err := devserver.Start(ctx, devserver.Config{
		DBPath: dbPath, Port: port, UIPort: uiPort, Namespaces: names, LogLevel: "error", LogFile: logFile,
		Listen: sec.Listen, APIKeys: sec.APIKeys,
		TLS: devserver.TLS{CertFile: sec.TLSCert, KeyFile: sec.TLSKey, ClientCAFile: sec.ClientCA},
	})
	if err != nil {
		return nil, fmt.Errorf("%w (settings: server.listen, server.tls_cert, server.tls_key, server.client_ca, server.api_keys)", err)
	}
	return srv, nil
}

// temporalAddress is --temporal / temporal.address, or the local server's.
func (app *App) temporalAddress() string {
	if a := app.Config.Temporal.Address; a != "" {
		return a
	}
	port := app.Config.Temporal.Port
	if port == 0 {
		port = 7233
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

func (app *App) taskQueue() string {
	if q := app.Config.Temporal.TaskQueue; q != "" {
		return q
	}
	return "reel"
}

// dialOrEmbed dials the Temporal cluster at addr or, when addr is empty,
// starts a private server (in memory, on free ports, no UI, so it never
// clashes with a running 'reel server') and dials that. done closes the
// client and stops the private server.
func (app *App) dialOrEmbed(ctx context.Context, addr string) (c client.Client, done func(), err error) {
	stop := func() {}
	if addr == "" {
		srv, err := app.startEmbedded(ctx, "", 0, 0, config.Server{})
		if err != nil {
			return nil, nil, err
		}
		c, err = app.dialLocal(ctx, srv)
		if err != nil {
			srv.Stop()
			return nil, nil, err
		}
		return c, func() { c.Close(); srv.Stop() }, nil
	}
	c, err = app.dialTemporal(ctx, addr)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return c, func() { c.Close(); stop() }, nil
}

// startLocalWorker runs a worker for this command's own embedded server on
// c; the returned func stops it. Below --log-level debug the worker logs
// nothing: a job's failure is the command's to report, in one line, and
// the worker's log lines about it would repeat it with Temporal's whole
// chain.
func (app *App) startLocalWorker(c client.Client, acts *workflows.Activities) (stop func(), err error) {
	wc, closeClient := c, func() {}
	if app.Config.LogLevel != "debug" {
		quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
		if wc, err = client.NewClientFromExisting(c, client.Options{Namespace: app.Config.Temporal.Namespace, Logger: quiet}); err != nil {
			return nil, fmt.Errorf("worker: %w", err)
		}
		closeClient = wc.Close
	}
	w := workflows.NewWorker(wc, app.taskQueue(), workflows.WorkerOptions{Concurrency: app.Config.Worker.Concurrency}, acts)
	if err := w.Start(); err != nil {
		closeClient()
		return nil, fmt.Errorf("worker: %w", err)
	}
	return func() { w.Stop(); closeClient() }, nil
}

// jobID is the default ID of a job of kind on input: kind-name-time (UTC).
func jobID(kind, input string) string {
	base := strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
	return fmt.Sprintf("%s-%s-%s", kind, base, time.Now().UTC().Format("20060102-150405"))
}

// cancelInterrupted cancels run on the cluster when ctx ended (the command
// was interrupted), so the job does not linger there.
func cancelInterrupted(ctx context.Context, c client.Client, run client.WorkflowRun) {
	if ctx.Err() == nil {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = c.CancelWorkflow(cctx, run.GetID(), "")
}

// dialLocal connects to srv, this process's own embedded server, by its
// plain loopback address: no TLS or key is needed in process.
func (app *App) dialLocal(ctx context.Context, srv *devserver.Server) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.LocalAddress, Namespace: app.Config.Temporal.Namespace, Logger: app.sdkLogger(),
		MetricsHandler: app.temporalMetrics})
	if err != nil {
		return nil, fmt.Errorf("temporal at %s: %w", srv.LocalAddress, err)
	}
	return c, nil
}

// sdkLogger is the Temporal SDK's logger: errors only on stderr, all at
// --log-level debug.
func (app *App) sdkLogger() sdklog.Logger {
	level := slog.LevelError
	if app.Config.LogLevel == "debug" {
		level = slog.LevelDebug
	}
	return sdklog.NewStructuredLogger(slog.New(app.logHandler(app.Stderr, level)))
}

// dialTemporal connects to a Temporal frontend in the configured namespace,
// with the configured TLS and API key.
func (app *App) dialTemporal(ctx context.Context, addr string) (client.Client, error) {
	logger := app.sdkLogger()
	opts, err := temporalOptions(app.Config.Temporal, addr, time.Now())
	if err != nil {
		return nil, err
	}
	opts.Logger = logger
	opts.MetricsHandler = app.temporalMetrics
	tc := opts.ConnectionOptions.TLS
	noClientCert := tc != nil && len(tc.Certificates) == 0
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, connectError(addr, err, noClientCert)
	}
	if err := checkAccess(ctx, c, opts.Namespace); err != nil {
		c.Close()
		return nil, connectError(addr, err, noClientCert)
	}
	return c, nil
}

// activities builds the worker's activity dependencies from the config.
func (app *App) activities() (*workflows.Activities, error) {
	cfg := app.Config
	encode.SetLogLevel(ffmpegLogLevel(cfg.LogLevel))
	tmp := filepath.Join(cfg.DataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("scratch dir: %w", err)
	}
	st, err := app.workerStorage()
	if err != nil {
		return nil, err
	}
	return &workflows.Activities{
		Storage: st,
		TempDir: tmp,
		Threads: chunkThreads(cfg.Worker, runtime.NumCPU()),
	}, nil
}

// chunkThreads is the thread count of each chunk's encoder, decoders and
// VMAF scorer: worker.threads when set, else the worker's cores shared
// among its concurrent chunks (at least 1). Left to FFmpeg and the scorer,
// every one of the chunks would take all the cores, each thread with its
// own frames and scratch: the embedded job of docs/architecture.md
// (Memory) peaked 130 MiB higher that way on 2 cores, for the same CPU
// time and wall time.
func chunkThreads(w config.Worker, cpus int) int {
	if w.Threads > 0 {
		return w.Threads
	}
	return max(cpus/max(w.Concurrency, 1), 1)
}
