package devserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/reelmedia/reel/internal/freeport"
)

// host is the address every listener binds to, but a frontend given
// Config.Listen.
const host = "127.0.0.1"

// Config says how to run the embedded server. The zero value runs an
// in-memory server on free ports with the default namespace and no UI.
type Config struct {
	// DBPath is the SQLite database file; it is created with Temporal's schema
	// when missing. Empty keeps everything in memory (gone on Stop).
	DBPath string
	// Port of the frontend gRPC service on 127.0.0.1; 0 picks a free port.
	Port int
	// UIPort serves the Temporal Web UI on 127.0.0.1; 0 disables the UI.
	UIPort int
	// Namespaces to create if missing. Default: ["default"].
	Namespaces []string
	// LogLevel of the server's own log: debug, info, warn or error. Default: error.
	LogLevel string
	// LogFile receives the server's log; empty means stderr.
	LogFile string

	// Listen is the host the frontend binds to. Default: 127.0.0.1. Any
	// address beyond loopback needs TLS.
	Listen string
	// TLS, when CertFile is set, serves the frontend over TLS.
	TLS TLS
	// APIKeys, when set, are the only keys ("Authorization: Bearer KEY")
	// the frontend accepts; a call without one of them is refused. They
	// need TLS, so that no key crosses the network in plain text.
	APIKeys []string
}

// TLS is the frontend's side of TLS.
type TLS struct {
	// CertFile and KeyFile are PEM files of the frontend's certificate
	// chain and key.
	CertFile, KeyFile string
	// ClientCAFile, when set, is a PEM file of the authorities that sign
	// client certificates: every client must then present one (mutual TLS).
	ClientCAFile string
}

// secured reports whether the frontend needs more than a plain connection.
// A secured server runs Temporal's internal frontend beside it, on
// 127.0.0.1 without TLS or keys, for its own system workers and the Web UI:
// like every other listener but the frontend, it is reachable from this
// host only.
func (c Config) secured() bool { return c.TLS.CertFile != "" || len(c.APIKeys) > 0 }

// check refuses a configuration that would expose the frontend.
func (c Config) check() error {
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return errors.New("devserver: TLS needs both a certificate and a key file")
	}
	if c.TLS.ClientCAFile != "" && c.TLS.CertFile == "" {
		return errors.New("devserver: client certificates (mutual TLS) need the frontend's own TLS certificate")
	}
	if len(c.APIKeys) > 0 && c.TLS.CertFile == "" {
		return errors.New("devserver: API keys need TLS (a key must not cross the network in plain text)")
	}
	for _, k := range c.APIKeys {
		if len(k) < 16 {
			return errors.New("devserver: an API key is shorter than 16 characters")
		}
	}
	if !isLoopback(c.Listen) && c.TLS.CertFile == "" {
		return fmt.Errorf("devserver: listening on %s (beyond loopback) needs TLS", c.Listen)
	}
	for _, f := range []string{c.TLS.CertFile, c.TLS.KeyFile, c.TLS.ClientCAFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("devserver: TLS: %w", err)
		}
	}
	if c.TLS.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(c.TLS.CertFile, c.TLS.KeyFile); err != nil {
			return fmt.Errorf("devserver: TLS certificate %s: %w", c.TLS.CertFile, err)
		}
	}
	return nil
}

// isLoopback reports whether host (a name or an IP; empty is the default,
// 127.0.0.1) is reachable from this machine only.
func isLoopback(host string) bool {
	if host == "" || host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Server is a running embedded Temporal server.
type Server struct {
	// Address is the frontend's host:port, for client.Dial.
	Address string
	// UIAddress is the Web UI's URL, empty when the UI is off.
	UIAddress string
	// Namespace is the first configured namespace.
	Namespace string

	// LocalAddress is a plain-text frontend on 127.0.0.1 for this process's
	// own clients (a built-in worker, the health check, the Web UI): the
	// internal frontend when the server is secured, else Address.
	LocalAddress string

	srv  temporal.Server
	ui   *uiserver.Server
	done atomic.Bool
}

// memCounter keeps in-memory databases of servers in one process apart.
var memCounter atomic.Int64

// Start runs the server and returns once the frontend answers health checks.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if len(cfg.Namespaces) == 0 {
		cfg.Namespaces = []string{"default"}
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "error"
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	// Temporal ends the process when it cannot bind a port, so ports asked
	// for are checked first.
	for _, p := range []struct {
		what string
		port int
	}{{"frontend", cfg.Port}, {"web UI", cfg.UIPort}} {
		if p.port == 0 {
			continue
		}
		if err := freeport.Check(p.port); err != nil {
			return nil, fmt.Errorf("devserver: %s port %d on %s is taken: %w", p.what, p.port, host, err)
		}
	}
	sqlConf, err := prepareDB(cfg)
	if err != nil {
		return nil, err
	}
	port := cfg.Port
	if port == 0 {
		if port, err = freeport.Pick(); err != nil {
			return nil, err
		}
	}
	ports := map[string]int{"frontend": port}
	names := []string{"frontend-http", "history", "matching", "worker"}
	if cfg.secured() {
		names = append(names, "internal-frontend", "internal-frontend-http")
	}
	for _, name := range names {
		if ports[name], err = freeport.Pick(); err != nil {
			return nil, err
		}
	}
	srv, err := newServer(cfg, sqlConf, ports)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start temporal: %w", err)
	}
	listen := cfg.Listen
	if listen == "" {
		listen = host
	}
	s := &Server{
		Address:      net.JoinHostPort(listen, strconv.Itoa(port)),
		Namespace:    cfg.Namespaces[0],
		srv:          srv,
		LocalAddress: net.JoinHostPort(host, strconv.Itoa(port)),
	}
	if cfg.secured() {
		s.LocalAddress = net.JoinHostPort(host, strconv.Itoa(ports["internal-frontend"]))
	}
	if err := s.waitHealthy(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	if cfg.UIPort != 0 {
		if err := s.startUI(cfg.UIPort); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// Stop shuts the UI and the server down. It is safe to call more than once.
func (s *Server) Stop() {
	if s.done.Swap(true) {
		return
	}
	if s.ui != nil {
		s.ui.Stop()
	}
	_ = s.srv.Stop()
}

// prepareDB creates the schema and namespaces when needed and returns the
// persistence configuration.
func prepareDB(cfg Config) (*config.SQL, error) {
	sqlConf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if cfg.DBPath == "" {
		sqlConf.DatabaseName = fmt.Sprintf("reel-%d-%d", os.Getpid(), memCounter.Add(1))
		sqlConf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
	} else {
		sqlConf.DatabaseName = cfg.DBPath
		sqlConf.ConnectAttributes = map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
		}
		if _, err := os.Stat(cfg.DBPath); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(cfg.DBPath), 0o755); err != nil {
				return nil, fmt.Errorf("devserver: %w", err)
			}
			if err := sqliteschema.SetupSchema(sqlConf); err != nil {
				// A half-created database would fail every later start.
				_ = os.Remove(cfg.DBPath)
				return nil, fmt.Errorf("devserver: create schema in %s: %w", cfg.DBPath, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("devserver: %w", err)
		}
	}
	var nss []*sqliteschema.NamespaceConfig
	for _, name := range cfg.Namespaces {
		nc, err := sqliteschema.NewNamespaceConfig("active", name, false, nil)
		if err != nil {
			return nil, fmt.Errorf("devserver: namespace %q: %w", name, err)
		}
		nss = append(nss, nc)
	}
	// An in-memory database gets its schema from the SQLite plugin itself.
	if err := sqliteschema.CreateNamespaces(sqlConf, nss...); err != nil {
		return nil, fmt.Errorf("devserver: create namespaces: %w", err)
	}
	return sqlConf, nil
}

func newServer(cfg Config, sqlConf *config.SQL, ports map[string]int) (temporal.Server, error) {
	addr := func(name string) string { return net.JoinHostPort(host, strconv.Itoa(ports[name])) }

	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = host
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConf}}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        "active",
		CurrentClusterName:       "active",
		ClusterInformation: map[string]cluster.ClusterInformation{
			"active": {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             addr("frontend"),
				HTTPAddress:            addr("frontend-http"),
				ClusterID:              "reel-embedded",
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	service := func(name string) config.Service {
		var s config.Service
		s.RPC.BindOnIP = host
		s.RPC.GRPCPort = ports[name]
		switch name {
		case "frontend":
			s.RPC.HTTPPort = ports["frontend-http"]
			if cfg.Listen != "" {
				s.RPC.BindOnIP = cfg.Listen
			}
		case "internal-frontend":
			s.RPC.HTTPPort = ports["internal-frontend-http"]
		}
		return s
	}
	services := []string{"frontend", "history", "matching", "worker"}
	if cfg.secured() {
		services = append(services, "internal-frontend")
	}
	conf.Services = map[string]config.Service{}
	for _, name := range services {
		conf.Services[name] = service(name)
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	if cfg.secured() {
		// The system workers find the internal frontend by membership.
		conf.Global.TLS.Frontend.Server = config.ServerTLS{
			CertFile: cfg.TLS.CertFile, KeyFile: cfg.TLS.KeyFile,
			RequireClientAuth: cfg.TLS.ClientCAFile != "",
		}
		if cfg.TLS.ClientCAFile != "" {
			conf.Global.TLS.Frontend.Server.ClientCAFiles = []string{cfg.TLS.ClientCAFile}
		}
	} else {
		conf.PublicClient.HostPort = addr("frontend")
	}

	logger := tlog.NewZapLogger(fatalTo(os.Stderr, tlog.BuildZapLogger(tlog.Config{Level: cfg.LogLevel, OutputFile: cfg.LogFile})))
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	if len(cfg.APIKeys) > 0 {
		// Temporal's default authorizer allows what the claims allow; the
		// keys map to the claims (the internal frontend has its own mapper,
		// which gives its system callers every role).
		authorizer, claimMapper = authorization.NewDefaultAuthorizer(), apiKeyMapper{keys: cfg.APIKeys}
	}
	hosts := func(name string) static.Hosts { return static.SingleLocalHost(addr(name)) }
	staticHosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: hosts("frontend"),
		primitives.HistoryService:  hosts("history"),
		primitives.MatchingService: hosts("matching"),
		primitives.WorkerService:   hosts("worker"),
	}
	if cfg.secured() {
		staticHosts[primitives.InternalFrontendService] = hosts("internal-frontend")
	}
	// The settings Temporal's own dev server uses: a single process needs
	// neither rate limits sized for a cluster nor eventually-consistent caches.
	dyn := dynamicconfig.StaticClient{
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key():      true,
		dynamicconfig.ForceNexusEndpointRefreshOnRead.Key():              true,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8096,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		dynamicconfig.MakeKey("frontend.persistenceMaxQPS"):              10000,
		dynamicconfig.MakeKey("history.persistenceMaxQPS"):               45000,
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(&conf),
		temporal.ForServices(services),
		temporal.WithStaticHosts(staticHosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dyn),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	return srv, nil
}

// waitHealthy dials the frontend until it answers, for at most a minute.
func (s *Server) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: s.LocalAddress, Namespace: s.Namespace, Logger: sdklog.NewStructuredLogger(discardLogger())})
	if err != nil {
		return fmt.Errorf("devserver: frontend %s not reachable: %w", s.LocalAddress, err)
	}
	defer c.Close()
	for {
		if _, err = c.CheckHealth(ctx, &client.CheckHealthRequest{}); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: frontend %s not healthy: %w", s.Address, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) startUI(port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("devserver: web UI port %d: %w", port, err)
	}
	// The UI server binds by itself; release the probe listener just before.
	ln.Close()
	s.ui = uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: s.LocalAddress,
		EnableUI:            true,
		DefaultNamespace:    s.Namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true,
	}))
	errc := make(chan error, 1)
	go func() { errc <- s.ui.Start() }()
	url := fmt.Sprintf("http://%s/", net.JoinHostPort(host, strconv.Itoa(port)))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-errc:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("devserver: web UI: %w", err)
			}
			return errors.New("devserver: web UI stopped at start")
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			s.UIAddress = url
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("devserver: web UI on %s did not answer", url)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fatalTo also writes Temporal's fatal messages (DPanic and above) to w.
// Temporal ends the process after one (a listener that cannot bind, for
// instance); with the log in a file, the process would otherwise vanish
// without a word.
func fatalTo(w io.Writer, l *zap.Logger) *zap.Logger {
	return l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		enc := zapcore.NewConsoleEncoder(zap.NewProductionEncoderConfig())
		return zapcore.NewTee(c, zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), zapcore.DPanicLevel))
	}))
}
