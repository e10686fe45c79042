// Package cli is reel's command line: the only place that imports cobra and
// viper, reads configuration, wires concrete parts together and decides the
// process exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/mezzfs"
)

// App is what every command gets: the effective configuration and the
// process's standard streams.
type App struct {
	Config config.Config
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	v          *viper.Viper
	configFile string // the file the config came from, if any

	store    *mezzfs.Storage // see storage
	storeCfg mezzfs.Config   // what store was made with
	allowed  []string        // local dirs an embedded worker may reach, see allowPaths
	closeLog func() error

	temporalMetrics client.MetricsHandler // the SDK's metrics, when served (startMetrics)
}

// Main runs reel with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, stdin, stdout, stderr)
}

// run is Main until ctx ends, as SIGINT or SIGTERM end Main's (tests end
// a 'reel worker' by cancelling ctx).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr, v: viper.New()}
	root := newRootCmd(app)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if cerr := app.closeStorage(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("mezzfs access log: %w", cerr))
	}
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "reel: %v\nRun '%s --help' for usage.\n", err, ue.cmd)
		return 2
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		fmt.Fprintf(stderr, "reel: %v\nRun 'reel --help' for usage.\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "reel: %v\n", err)
	var je jobError
	if errors.As(err, &je) && app.Config.LogLevel == "debug" {
		fmt.Fprintf(stderr, "reel: the whole error: %v\n", je.err)
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return 1
}

// usageError marks a wrong command line (exit code 2).
type usageError struct {
	cmd string
	err error
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(cmd *cobra.Command, format string, a ...any) error {
	return usageError{cmd: cmd.CommandPath(), err: fmt.Errorf(format, a...)}
}

const rootLong = `reel is a distributed media encoding and quality pipeline.

It splits mezzanine files into chunks, encodes them in parallel with FFmpeg
(in process), scores every chunk with VMAF and computer-vision checks, re-encodes
the chunks that fail, and assembles and publishes the renditions with a quality
report. Workflows run on Temporal: an embedded server by default, any cluster
with --temporal.

Configuration is read, from lowest to highest precedence, from:
  1. built-in defaults (see 'reel config show --defaults')
  2. reel.yaml, the first found of: --config FILE, ./reel.yaml,
     $XDG_CONFIG_HOME/reel/reel.yaml (~/.config/reel/reel.yaml), /etc/reel/reel.yaml
  3. REEL_* environment variables: nested keys joined by '_', e.g.
     REEL_TEMPORAL_ADDRESS=host:7233, REEL_S3_ENDPOINT=http://127.0.0.1:7070
  4. command-line flags`

func newRootCmd(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:           "reel",
		Short:         "Distributed media encoding and quality pipeline",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return app.loadConfig(cmd)
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{cmd: cmd.CommandPath(), err: err}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&app.configFile, "config", "", "config file (default: search ./reel.yaml, ~/.config/reel/reel.yaml, /etc/reel/reel.yaml)")
	pf.String("data-dir", "", "directory for reel's state (embedded Temporal DB, caches, local outputs)")
	pf.String("log-level", "", "log level: debug, info, warn, error")
	pf.String("log-format", "", "log format: text, or json (one JSON object per line, for log collectors)")
	_ = app.v.BindPFlag("data_dir", pf.Lookup("data-dir"))
	_ = app.v.BindPFlag("log_level", pf.Lookup("log-level"))
	_ = app.v.BindPFlag("log_format", pf.Lookup("log-format"))

	root.AddCommand(
		newVersionCmd(app),
		newConfigCmd(app),
	)
	root.AddCommand(commands(app)...)
	return root
}

// loadConfig merges defaults, the config file, REEL_* variables and flags
// into app.Config.
func (app *App) loadConfig(cmd *cobra.Command) error {
	v := app.v
	setDefaults(v, config.Default())
	if app.configFile != "" {
		// An explicit file is YAML whatever its name. (When searching, no type
		// is set, so that a file called just "reel" — the binary — is never
		// taken for the config.)
		v.SetConfigType("yaml")
		v.SetConfigFile(app.configFile)
	} else {
		v.SetConfigType("")
		v.SetConfigName("reel")
		v.AddConfigPath(".")
		if d, err := os.UserConfigDir(); err == nil {
			v.AddConfigPath(d + "/reel")
		}
		v.AddConfigPath("/etc/reel")
	}
	if err := v.ReadInConfig(); err != nil {
		var nf viper.ConfigFileNotFoundError
		if app.configFile != "" || !errors.As(err, &nf) {
			return fmt.Errorf("config: %w", err)
		}
	}
	v.SetEnvPrefix("REEL")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	var c config.Config
	if err := v.Unmarshal(&c); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return usagef(cmd, "log format %q: want text or json", c.LogFormat)
	}
	app.Config = c
	return nil
}

// bindFlag makes a command flag override config key (flag > env > file > default).
func (app *App) bindFlag(cmd *cobra.Command, key, flag string) {
	_ = app.v.BindPFlag(key, cmd.Flags().Lookup(flag))
}

func newVersionCmd(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print reel's version and the versions of the libraries it runs on",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := versionInfo()
			if asJSON {
				return writeJSON(app.Stdout, info)
			}
			for _, kv := range info.pairs() {
				fmt.Fprintf(app.Stdout, "%-10s %s\n", kv[0], kv[1])
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
