// Package config holds reel's configuration as plain Go types with
// documented defaults. Reading it from reel.yaml, REEL_* variables and flags
// happens in cmd/reel/internal/cli; the cores never see viper.
package config

import (
	"os"
	"path/filepath"
	"runtime"
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
}

// Storage says where outputs and intermediates are written.
type Storage struct {
	// URL is file:///dir or s3://bucket/prefix. Default: file://$DataDir/jobs.
	URL string `mapstructure:"url" json:"url" yaml:"url"`
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
	// Concurrency is the number of chunk activities run at once. Default: number of CPUs.
	Concurrency int `mapstructure:"concurrency" json:"concurrency" yaml:"concurrency"`
	// Threads per encode (FFmpeg threads). 0 lets FFmpeg choose.
	Threads int `mapstructure:"threads" json:"threads" yaml:"threads"`
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
		Worker: Worker{Concurrency: runtime.NumCPU()},
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
