package cli

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/cmd/reel/internal/metrics"
	"github.com/reelmedia/reel/workflows"
)

// slogLevel is --log-level as a slog level (warn when unknown).
func slogLevel(level string) slog.Level {
	switch level {
	case "debug":
		return slog.LevelDebug
	case "info":
		return slog.LevelInfo
	case "error":
		return slog.LevelError
	}
	return slog.LevelWarn
}

// logHandler writes records at level and above to w in --log-format.
func (app *App) logHandler(w io.Writer, level slog.Level) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if app.Config.LogFormat == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

// notice tells the operator what a long-running command is doing (worker
// polling, draining): the line text on stderr, or, with --log-format json,
// a JSON record at level info with args as attributes, whatever
// --log-level says (these are a few lines per process).
func (app *App) notice(text, msg string, args ...any) {
	if app.Config.LogFormat != "json" {
		fmt.Fprintln(app.Stderr, text)
		return
	}
	slog.New(app.logHandler(app.Stderr, slog.LevelInfo)).Info(msg, args...)
}

// addMetricsFlags adds --metrics-port and --metrics-host.
func addMetricsFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Int("metrics-port", 0, "serve Prometheus /metrics, /healthz and /readyz on this port (default from config metrics.port: 0, none)")
	fl.String("metrics-host", "", "address the metrics port listens on (default from config metrics.host: 127.0.0.1)")
}

// observed is what startMetrics set up: nil fields when no metrics port is
// configured.
type observed struct {
	m   *metrics.Metrics
	srv *metrics.Server
}

// startMetrics serves /metrics, /healthz and /readyz on metrics.host and
// metrics.port (or the flags of addMetricsFlags) before the command dials
// Temporal, so that /healthz answers and /readyz says 503 while it starts.
// The Temporal clients the command dials afterwards report the SDK's
// metrics there. With no port it does nothing.
func (app *App) startMetrics(cmd *cobra.Command) (*observed, error) {
	fl := cmd.Flags()
	if fl.Changed("metrics-port") {
		app.Config.Metrics.Port, _ = fl.GetInt("metrics-port")
	}
	if fl.Changed("metrics-host") {
		app.Config.Metrics.Host, _ = fl.GetString("metrics-host")
	}
	cfg := app.Config.Metrics
	if cfg.Port == 0 {
		return &observed{}, nil
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, usagef(cmd, "metrics port %d: want 1-65535, or 0 for none", cfg.Port)
	}
	m := metrics.New()
	srv, err := metrics.Listen(net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), m.Handler())
	if err != nil {
		return nil, err
	}
	app.temporalMetrics = m.TemporalHandler()
	return &observed{m: m, srv: srv}, nil
}

// observe reports acts' chunks and assemblies and the reads of its storage.
func (o *observed) observe(acts *workflows.Activities) {
	if o.m == nil {
		return
	}
	acts.Observer = o.m
	o.m.RegisterMezzfs(acts.Storage.Cache().Stats)
}

// setReady sets what /readyz answers.
func (o *observed) setReady(ready bool) {
	if o.m != nil {
		o.m.SetReady(ready)
	}
}

// url is the metrics endpoint, "" when none.
func (o *observed) url() string {
	if o.srv == nil {
		return ""
	}
	return "http://" + o.srv.Addr + "/metrics"
}

func (o *observed) close() {
	if o.srv != nil {
		_ = o.srv.Close()
	}
}

// beside serves /metrics in front of h (the API server's dashboard
// handler), so that 'reel server' is scraped on its HTTP port too; h alone
// when no metrics are served.
func (o *observed) beside(h http.Handler) http.Handler {
	if o == nil || o.m == nil {
		return h
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", o.m.Handler())
	mux.Handle("/", h)
	return mux
}
