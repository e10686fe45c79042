package cli

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/reelmedia/reel/internal/config"
)

func newConfigCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect reel's configuration",
	}
	var asJSON, defaults bool
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration (defaults < reel.yaml < REEL_* < flags)",
		Example: `  reel config show
  REEL_TEMPORAL_ADDRESS=10.0.0.5:7233 reel config show --json
  reel config show --defaults > reel.yaml   # a starting point to edit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := app.Config
			if defaults {
				c = config.Default()
			}
			if asJSON {
				return writeJSON(app.Stdout, c)
			}
			if !defaults {
				src := "none found (defaults, environment and flags only)"
				if f := app.v.ConfigFileUsed(); f != "" {
					src = f
				}
				fmt.Fprintf(app.Stdout, "# config file: %s\n", src)
			}
			printYAML(app.Stdout, reflect.ValueOf(c), 0)
			return nil
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	show.Flags().BoolVar(&defaults, "defaults", false, "print the built-in defaults instead")
	cmd.AddCommand(show)
	return cmd
}

// printYAML writes a config struct as YAML using its mapstructure keys, so
// the output can be saved as reel.yaml.
func printYAML(w interface{ Write([]byte) (int, error) }, v reflect.Value, indent int) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("mapstructure")
		pad := strings.Repeat("  ", indent)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			fmt.Fprintf(w, "%s%s:\n", pad, key)
			printYAML(w, fv, indent+1)
			continue
		}
		val := fv.Interface()
		if f.Tag.Get("json") == "-" && !fv.IsZero() {
			val = "********"
		}
		if s, ok := val.(string); ok {
			val = fmt.Sprintf("%q", s)
		}
		fmt.Fprintf(w, "%s%s: %v\n", pad, key, val)
	}
}

// setDefaults registers every key of c with viper, so that environment
// variables for keys absent from the config file are still seen by Unmarshal.
func setDefaults(v *viper.Viper, c config.Config) {
	var walk func(prefix string, rv reflect.Value)
	walk = func(prefix string, rv reflect.Value) {
		t := rv.Type()
		for i := 0; i < t.NumField(); i++ {
			key := prefix + t.Field(i).Tag.Get("mapstructure")
			if rv.Field(i).Kind() == reflect.Struct {
				walk(key+".", rv.Field(i))
				continue
			}
			v.SetDefault(key, rv.Field(i).Interface())
		}
	}
	walk("", reflect.ValueOf(c))
}
