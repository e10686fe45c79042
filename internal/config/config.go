// Package config holds reel's configuration as plain Go types with
// documented defaults. Reading it from reel.yaml, REEL_* variables and flags
// happens in cmd/reel/internal/cli; the cores never see viper.
package config

import (
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Config is the whole effective configuration. The zero value is not
// useful; start from Default().
type Config struct {
	// DataDir holds reel's state: the embedded Temporal database, the mezzfs
	// disk cache, local job outputs. Default: $XDG_DATA_HOME/reel or ~/.local/share/reel.
	DataDir string `mapstructure:"data_dir" json:"data_dir" yaml:"data_dir"`
	// LogLevel is debug, info, warn or error. Default: warn.
	LogLevel string `mapstructure:"log_level" json:"log_level" yaml:"log_level"`
	// LogFormat is text (lines for people) or json (one JSON object per
	// line, log/slog's JSON handler, for log collectors). Default: text.
	LogFormat string `mapstructure:"log_format" json:"log_format" yaml:"log_format"`

	Temporal Temporal `mapstructure:"temporal" json:"temporal" yaml:"temporal"`
	Storage  Storage  `mapstructure:"storage" json:"storage" yaml:"storage"`
	S3       S3       `mapstructure:"s3" json:"s3" yaml:"s3"`
	Mezzfs   Mezzfs   `mapstructure:"mezzfs" json:"mezzfs" yaml:"mezzfs"`
	Worker   Worker   `mapstructure:"worker" json:"worker" yaml:"worker"`
	Server   Server   `mapstructure:"server" json:"server" yaml:"server"`
	API      API      `mapstructure:"api" json:"api" yaml:"api"`
	Metrics  Metrics  `mapstructure:"metrics" json:"metrics" yaml:"metrics"`
}

// Metrics says where 'reel server' and 'reel worker' serve Prometheus
// metrics (/metrics) and health (/healthz, /readyz).
type Metrics struct {
	// Host to listen on. Default: 127.0.0.1; 0.0.0.0 (or the pod IP) lets
	// a Prometheus on another host scrape it.
	Host string `mapstructure:"host" json:"host" yaml:"host"`
	// Port to listen on; 0 serves no metrics. Default: 0.
	Port int `mapstructure:"port" json:"port" yaml:"port"`
}

// Temporal says where workflows run.
type Temporal struct {
	// Address of a Temporal frontend (host:port). Empty means: start the
	// embedded server in process.
	Address string `mapstructure:"address" json:"address" yaml:"address"`
	// Namespace. Default: default.
	Namespace string `mapstructure:"namespace" json:"namespace" yaml:"namespace"`
	// TaskQueue workers poll. Default: reel.
	TaskQueue string `mapstructure:"task_queue" json:"task_queue" yaml:"task_queue"`
	// UIPort of the embedded Web UI; 0 disables it. Default: 8233.
	UIPort int `mapstructure:"ui_port" json:"ui_port" yaml:"ui_port"`
	// Port of the embedded frontend. Default: 7233.
	Port int `mapstructure:"port" json:"port" yaml:"port"`
	// TLS for connections to the frontend (every command that dials it).
	TLS TemporalTLS `mapstructure:"tls" json:"tls" yaml:"tls"`
	// APIKey, when set, is sent as a bearer token on every call (Temporal
	// Cloud, or a 'reel server' with server.api_keys). Prefer the
	// REEL_TEMPORAL_API_KEY variable to a file.
	APIKey string `mapstructure:"api_key" json:"-" yaml:"api_key"`
}

// TemporalTLS is the client side of TLS to the Temporal frontend. TLS is on
// when any field is set; with none, connections are plain text.
type TemporalTLS struct {
	// CA is a PEM file of the certificate authorities that signed the
	// server's certificate. Empty: the system's roots.
	CA string `mapstructure:"ca" json:"ca" yaml:"ca"`
	// Cert and Key are PEM files of this client's certificate and key, for
	// mutual TLS.
	Cert string `mapstructure:"cert" json:"cert" yaml:"cert"`
	Key  string `mapstructure:"key" json:"key" yaml:"key"`
	// ServerName is the name the server's certificate must carry. Default:
	// the host of the address.
	ServerName string `mapstructure:"server_name" json:"server_name" yaml:"server_name"`
	// Enabled turns TLS on with none of the above (system roots, no client
	// certificate).
	Enabled bool `mapstructure:"enabled" json:"enabled" yaml:"enabled"`
}

// Server configures the frontend of 'reel server' (the embedded Temporal).
type Server struct {
	// Listen is the host the frontend listens on. Default: 127.0.0.1. Any
	// other needs TLSCert and TLSKey.
	Listen string `mapstructure:"listen" json:"listen" yaml:"listen"`
	// TLSCert and TLSKey are PEM files of the frontend's certificate and key.
	TLSCert string `mapstructure:"tls_cert" json:"tls_cert" yaml:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key" json:"tls_key" yaml:"tls_key"`
	// ClientCA, when set, is a PEM file of the authorities that sign client
	// certificates: every client must then present one (mutual TLS).
	ClientCA string `mapstructure:"client_ca" json:"client_ca" yaml:"client_ca"`
	// APIKeys, when set, are the keys a client must send (temporal.api_key);
	// a call without one of them is refused.
	APIKeys []string `mapstructure:"api_keys" json:"-" yaml:"api_keys"`
}

// Storage says where outputs and intermediates are written.
type Storage struct {
	// URL is file:///dir or s3://bucket/prefix. Default: file://$DataDir/jobs.
	URL string `mapstructure:"url" json:"url" yaml:"url"`
	// Roots are the only local directories a worker reads sources from and
	// writes outputs and work files under ('..' and symlinks are resolved
	// before comparing); a job naming a path outside them fails at once as
	// bad input. Empty: any path the worker's user can reach (the worker
	// warns). A local 'reel encode' also allows the paths typed on its
	// command line.
	Roots []string `mapstructure:"roots" json:"roots" yaml:"roots"`
	// S3Buckets, when set, are the only buckets s3:// URLs may name.
	S3Buckets []string `mapstructure:"s3_buckets" json:"s3_buckets" yaml:"s3_buckets"`
	// HTTPHosts are the only hosts ("host" or "host:port") http(s)://
	// sources may name, redirects included. Once roots or s3_buckets are
	// set, an empty list refuses every http(s) source.
	HTTPHosts []string `mapstructure:"http_hosts" json:"http_hosts" yaml:"http_hosts"`
}

// S3 configures the S3 client used for s3:// URLs.
type S3 struct {
	// Endpoint overrides the AWS endpoint (e.g. http://127.0.0.1:7070).
	Endpoint string `mapstructure:"endpoint" json:"endpoint" yaml:"endpoint"`
	// Region. Default: us-east-1.
	Region string `mapstructure:"region" json:"region" yaml:"region"`
	// PathStyle addressing (bucket in the path), needed by most S3-compatible servers.
	PathStyle bool `mapstructure:"path_style" json:"path_style" yaml:"path_style"`
	// AccessKey and SecretKey, when set, override the standard credential chain.
	AccessKey string `mapstructure:"access_key" json:"access_key,omitempty" yaml:"access_key"`
	SecretKey string `mapstructure:"secret_key" json:"-" yaml:"secret_key"`
}

// Mezzfs configures streaming reads of mezzanine objects.
type Mezzfs struct {
	// BlockSize in bytes. Default: 8 MiB.
	BlockSize int64 `mapstructure:"block_size" json:"block_size" yaml:"block_size"`
	// CacheBytes is the in-memory block cache budget. Default: 256 MiB.
	CacheBytes int64 `mapstructure:"cache_bytes" json:"cache_bytes" yaml:"cache_bytes"`
	// CacheDir is the shared on-disk block cache; empty disables it.
	CacheDir string `mapstructure:"cache_dir" json:"cache_dir" yaml:"cache_dir"`
	// CacheDirBytes limits the on-disk cache. Default: 10 GiB.
	CacheDirBytes int64 `mapstructure:"cache_dir_bytes" json:"cache_dir_bytes" yaml:"cache_dir_bytes"`
	// MaxReadAhead is the largest read-ahead window in blocks. Default: 8.
	MaxReadAhead int `mapstructure:"max_read_ahead" json:"max_read_ahead" yaml:"max_read_ahead"`
	// AccessLog, when set, appends a JSON line per read to this file.
	AccessLog string `mapstructure:"access_log" json:"access_log" yaml:"access_log"`
}

// Worker sizes a workflow worker.
type Worker struct {
	// Concurrency is the number of chunk activities run at once. Default:
	// DefaultConcurrency, one per two CPUs.
	Concurrency int `mapstructure:"concurrency" json:"concurrency" yaml:"concurrency"`
	// Threads of each chunk's encoder, decoders and VMAF scorer. 0 shares
	// the worker's cores among its Concurrency chunks (at least 1 each):
	// every chunk taking every core multiplies threads, and each thread's
	// frames and scratch, by Concurrency.
	Threads int `mapstructure:"threads" json:"threads" yaml:"threads"`
	// DrainGrace is how long a worker told to stop (SIGTERM) lets its
	// running chunks finish before it gives them back; 0 gives them back at
	// once (their heartbeats lapse and they run elsewhere). Default: 30s.
	DrainGrace time.Duration `mapstructure:"drain_grace" json:"drain_grace" yaml:"drain_grace"`
}

// API configures the HTTP API and dashboard that 'reel server' serves.
type API struct {
	// Address is the host the API listens on. Default: 127.0.0.1. A
	// non-loopback address is refused unless Tokens are set.
	Address string `mapstructure:"address" json:"address" yaml:"address"`
	// Port of the API and dashboard; 0 disables them. Default: 7280.
	Port int `mapstructure:"port" json:"port" yaml:"port"`
	// URL is where users reach the dashboard (behind a proxy, say), as
	// 'reel status --open' and 'reel server' print it. Default:
	// http://Address:Port.
	URL string `mapstructure:"url" json:"url" yaml:"url"`
	// Tokens are the bearer tokens the API accepts, each with a role. None
	// means no authentication, which is allowed on loopback only. Set them
	// in reel.yaml (a list does not fit an environment variable); they are
	// secrets, so 'reel config show' masks them.
	Tokens []APIToken `mapstructure:"tokens" json:"-" yaml:"tokens"`
}

// API roles.
const (
	// RoleViewer reads jobs, reports, scores and frames.
	RoleViewer = "viewer"
	// RoleOperator also submits and cancels jobs.
	RoleOperator = "operator"
)

// APIToken is one bearer token and what it may do.
type APIToken struct {
	// Token is the secret a client sends as "Authorization: Bearer TOKEN".
	Token string `mapstructure:"token" json:"-" yaml:"token"`
	// Role is RoleViewer or RoleOperator.
	Role string `mapstructure:"role" json:"role" yaml:"role"`
}

// Default returns the configuration used when nothing else is set.
func Default() Config {
	return Config{
		DataDir:  defaultDataDir(),
		LogLevel: "warn",
		Temporal: Temporal{Namespace: "default", TaskQueue: "reel", UIPort: 8233, Port: 7233},
		S3:       S3{Region: "us-east-1"},
		Mezzfs: Mezzfs{
			BlockSize:     8 << 20,
			CacheBytes:    256 << 20,
			CacheDirBytes: 10 << 30,
			MaxReadAhead:  8,
		},
		Worker: Worker{Concurrency: DefaultConcurrency(runtime.NumCPU()), DrainGrace: 30 * time.Second},
		API:    API{Address: "127.0.0.1", Port: 7280},

		LogFormat: "text",
		Metrics:   Metrics{Host: "127.0.0.1"},
	}
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "reel")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "reel")
	}
	return filepath.Join(os.TempDir(), "reel")
}

// DefaultConcurrency is a worker's chunk activities at once on cpus cores:
// one per two cores, at least one. A chunk activity keeps two cores busy
// on its own (its source decoder, its encoder and its VMAF scorer run side
// by side: the chunk is scored as it is encoded), so more chunks only add
// their frames and scratch, and leave cores idle at the end of a job
// whose chunks do not divide evenly. On 2 cores, one chunk with 2 threads
// against two with 1 each (BenchmarkEncodeJobPeakRSS, 20 s 1080p24, 5
// chunks): 20.4 against 22.2 s, 619 against 713 MiB peak.
func DefaultConcurrency(cpus int) int {
	return max(1, cpus/2)
}
