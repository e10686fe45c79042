package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the encode core lands; replaced by the encode work.
func newEncodeCmd(app *App) *cobra.Command {
	return &cobra.Command{Use: "encode INPUT -o OUTPUT", Short: "Encode a file", RunE: func(*cobra.Command, []string) error { return errors.New("encode: not built yet") }}
}
