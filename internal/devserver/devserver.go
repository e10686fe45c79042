package devserver

import (
	"context"
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

// host is the only address the embedded server listens on.
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
}

// Server is a running embedded Temporal server.
type Server struct {
	// Address is the frontend's host:port, for client.Dial.
	Address string
	// UIAddress is the Web UI's URL, empty when the UI is off.
	UIAddress string
	// Namespace is the first configured namespace.
	Namespace string

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
	for _, name := range []string{"frontend-http", "history", "matching", "worker"} {
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
	s := &Server{
		Address:   net.JoinHostPort(host, strconv.Itoa(port)),
		Namespace: cfg.Namespaces[0],
		srv:       srv,
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
		if name == "frontend" {
			s.RPC.HTTPPort = ports["frontend-http"]
		}
		return s
	}
	conf.Services = map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		conf.Services[name] = service(name)
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = addr("frontend")

	logger := tlog.NewZapLogger(fatalTo(os.Stderr, tlog.BuildZapLogger(tlog.Config{Level: cfg.LogLevel, OutputFile: cfg.LogFile})))
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	hosts := func(name string) static.Hosts { return static.SingleLocalHost(addr(name)) }
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
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: hosts("frontend"),
			primitives.HistoryService:  hosts("history"),
			primitives.MatchingService: hosts("matching"),
			primitives.WorkerService:   hosts("worker"),
		}),
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
	c, err := client.DialContext(ctx, client.Options{HostPort: s.Address, Namespace: s.Namespace, Logger: sdklog.NewStructuredLogger(discardLogger())})
	if err != nil {
		return fmt.Errorf("devserver: frontend %s not reachable: %w", s.Address, err)
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
		TemporalGRPCAddress: s.Address,
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
