package api

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/mezzfs"
)

// OpenAPI is the API's OpenAPI 3 document, served at /api/v1/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Prefix is where every API route lives.
const Prefix = "/api/v1"

// ErrInsecureBind: Listen was asked for a non-loopback address while no
// tokens are configured.
var ErrInsecureBind = errors.New("the API without tokens listens on loopback only")

// Config wires the API to a Temporal cluster and to storage.
type Config struct {
	// Client reaches the cluster jobs run on; required.
	Client client.Client
	// Namespace jobs are listed in. Default: default.
	Namespace string
	// TaskQueue submitted jobs go to. Default: reel.
	TaskQueue string
	// Storage reads reports, per-frame scores, sources and renditions (the
	// URLs a job's result names, never one from a request). Default:
	// mezzfs.NewStorage(mezzfs.Config{}).
	Storage *mezzfs.Storage
	// Tokens the API accepts. None: every request is allowed, as an
	// operator (Listen then binds loopback only).
	Tokens []config.APIToken
	// Web serves everything outside /api/ (the dashboard). Default: a
	// placeholder page.
	Web http.Handler
	// FrameCacheBytes bounds the cache of decoded frame images. Default: 64 MiB.
	FrameCacheBytes int64
	// MaxDecodes is how many frame images are decoded at once. Default: 2.
	MaxDecodes int
	// ProgressEvery is how often an event stream asks a job for progress.
	// Default: 1 s.
	ProgressEvery time.Duration
	// QueryTimeout bounds a progress query: a job whose workers are all
	// gone cannot answer, and its page still shows its state. Default: 5 s.
	QueryTimeout time.Duration
	// Logger gets one line per failed request (5xx). Default: slog.Default().
	Logger *slog.Logger
}

// Server is the HTTP API. Make it with New; its Handler serves it.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	reports *lru[string, *jobReport]
	scores  *lru[string, *frameSeries]
	frames  *frameCache
	decodes chan struct{}
}

// New checks cfg and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Client == nil {
		return nil, errors.New("api: no Temporal client")
	}
	for i, t := range cfg.Tokens {
		if t.Token == "" {
			return nil, fmt.Errorf("api: token %d is empty", i+1)
		}
		if t.Role != config.RoleViewer && t.Role != config.RoleOperator {
			return nil, fmt.Errorf("api: token %d: role %q (want %s or %s)", i+1, t.Role, config.RoleViewer, config.RoleOperator)
		}
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.TaskQueue == "" {
		cfg.TaskQueue = "reel"
	}
	if cfg.Storage == nil {
		cfg.Storage = mezzfs.NewStorage(mezzfs.Config{})
	}
	if cfg.Web == nil {
		cfg.Web = placeholder
	}
	if cfg.FrameCacheBytes <= 0 {
		cfg.FrameCacheBytes = 64 << 20
	}
	if cfg.MaxDecodes <= 0 {
		cfg.MaxDecodes = 2
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = time.Second
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg:     cfg,
		mux:     http.NewServeMux(),
		reports: newLRU[string, *jobReport](64),
		scores:  newLRU[string, *frameSeries](8),
		frames:  newFrameCache(cfg.FrameCacheBytes),
		decodes: make(chan struct{}, cfg.MaxDecodes),
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET "+Prefix+"/health", s.health)
	m.HandleFunc("GET "+Prefix+"/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(OpenAPI)
	})
	m.Handle("GET "+Prefix+"/jobs", s.viewer(s.listJobs))
	m.Handle("POST "+Prefix+"/jobs", s.operator(s.submitJob))
	m.Handle("GET "+Prefix+"/jobs/{id}", s.viewer(s.getJob))
	m.Handle("POST "+Prefix+"/jobs/{id}/cancel", s.operator(s.cancelJob))
	m.Handle("GET "+Prefix+"/jobs/{id}/events", s.viewer(s.jobEvents))
	m.Handle("GET "+Prefix+"/jobs/{id}/report", s.viewer(s.jobReport))
	m.Handle("GET "+Prefix+"/jobs/{id}/analysis", s.viewer(s.jobAnalysis))
	m.Handle("GET "+Prefix+"/jobs/{id}/renditions/{name}/scores", s.viewer(s.renditionScores))
	m.Handle("GET "+Prefix+"/bdrate", s.viewer(s.bdRate))
	m.Handle("GET "+Prefix+"/jobs/{id}/renditions/{name}/frames/{n}", s.viewer(s.renditionFrame))
	m.Handle("GET "+Prefix+"/jobs/{id}/source/frames/{n}", s.viewer(s.sourceFrame))
	m.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: %s %s (see %s/openapi.yaml)", r.Method, r.URL.Path, Prefix)
	})
	m.Handle("/", s.cfg.Web)
}

// Handler serves the API under /api/v1 and the dashboard at /.
func (s *Server) Handler() http.Handler { return s.mux }

// Listen opens the API's listener on address:port. Without tokens only a
// loopback address is allowed (ErrInsecureBind).
func Listen(address string, port int, tokens []config.APIToken) (net.Listener, error) {
	if address == "" {
		address = "127.0.0.1"
	}
	if err := CheckBind(address, tokens); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	return ln, nil
}

// CheckBind refuses, with ErrInsecureBind, a non-loopback address when no
// tokens are configured: what Listen would refuse, for a caller that
// checks before starting anything else.
func CheckBind(address string, tokens []config.APIToken) error {
	if address != "" && len(tokens) == 0 && !isLoopback(address) {
		return fmt.Errorf("api: %s: %w; set api.tokens in reel.yaml, or api.address: 127.0.0.1", address, ErrInsecureBind)
	}
	return nil
}

// isLoopback is true for "localhost" and loopback IP literals. Other names
// are refused: what they resolve to can change.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve serves the API on ln until ctx ends, then shuts down, letting
// requests in flight finish for a few seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("api: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	<-done
	return nil
}

// role is what a request may do.
type role int

const (
	roleNone role = iota
	roleViewer
	roleOperator
)

// authorize returns the role of r's bearer token, or writes 401 and
// returns roleNone. Tokens compare in constant time.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) role {
	if len(s.cfg.Tokens) == 0 {
		return roleOperator
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="reel"`)
		writeError(w, http.StatusUnauthorized, "missing bearer token (Authorization: Bearer TOKEN)")
		return roleNone
	}
	got := roleNone
	for _, t := range s.cfg.Tokens {
		if subtle.ConstantTimeCompare([]byte(tok), []byte(t.Token)) == 1 {
			if t.Role == config.RoleOperator {
				got = max(got, roleOperator)
			} else {
				got = max(got, roleViewer)
			}
		}
	}
	if got == roleNone {
		w.Header().Set("WWW-Authenticate", `Bearer realm="reel", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "unknown bearer token")
	}
	return got
}

// viewer lets any valid token through.
func (s *Server) viewer(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.authorize(w, r) == roleNone {
			return
		}
		h(w, r)
	})
}

// operator lets only operator tokens through; the request body is not
// read before that.
func (s *Server) operator(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s.authorize(w, r) {
		case roleNone:
			return
		case roleViewer:
			writeError(w, http.StatusForbidden, "this token's role is %s; %s %s needs %s", config.RoleViewer, r.Method, r.URL.Path, config.RoleOperator)
			return
		}
		h(w, r)
	})
}

// Error is the body of every error response.
type Error struct {
	Status int    `json:"status"`
	Error  string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, format string, a ...any) {
	writeJSON(w, status, Error{Status: status, Error: fmt.Sprintf(format, a...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(Error{Status: status, Error: "encode JSON: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// fail writes err as a 5xx (logged) or the status its kind says.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.status, "%s", he.msg)
		return
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	s.cfg.Logger.Error("api request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	writeError(w, http.StatusInternalServerError, "%s", err.Error())
}

// httpError is an error with the status it answers with.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func statusErr(status int, format string, a ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, a...)}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if _, err := s.cfg.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, Health{Status: "unavailable", Temporal: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok", Temporal: "ok"})
}

// Health is the body of /api/v1/health.
type Health struct {
	Status   string `json:"status"`   // ok, unavailable
	Temporal string `json:"temporal"` // ok, or why the cluster cannot be reached
}

var placeholder = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><title>reel</title><p>reel's dashboard is not built into this binary. The API is at <a href="/api/v1/jobs">/api/v1</a>, described by <a href="/api/v1/openapi.yaml">/api/v1/openapi.yaml</a>.</p>`)
})
