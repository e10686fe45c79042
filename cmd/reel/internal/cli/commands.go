package cli

import "github.com/spf13/cobra"

// commands lists reel's subcommands beyond version and config. Each lives in
// its own file next to this one.
func commands(app *App) []*cobra.Command {
	return []*cobra.Command{
		newProbeCmd(app),
		newEncodeCmd(app),
	}
}

// libraryVersions reports versions of linked C libraries (FFmpeg, OpenCV).
func libraryVersions() map[string]string { return nil }
