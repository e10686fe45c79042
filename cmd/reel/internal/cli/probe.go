package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the encode core lands; replaced by the encode work.
func newProbeCmd(app *App) *cobra.Command {
	return &cobra.Command{Use: "probe FILE", Short: "Describe a media file", RunE: func(*cobra.Command, []string) error { return errors.New("probe: not built yet") }}
}
