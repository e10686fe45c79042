package cli

import (
	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/encode"
)

// commands lists reel's subcommands beyond version and config. Each lives in
// its own file next to this one.
func commands(app *App) []*cobra.Command {
	return []*cobra.Command{
		newProbeCmd(app),
		newEncodeCmd(app),
		newMezzfsCmd(app),
		newVMAFCmd(app),
		newArcherCmd(app),
		newBDRateCmd(app), newPackageCmd(app),
		newRenderCmd(app),
		newServerCmd(app), newWorkerCmd(app), newSubmitCmd(app), newStatusCmd(app), newCancelCmd(app), newListCmd(app),
	}
}

// libraryVersions reports versions of linked C libraries (FFmpeg, OpenCV).
func libraryVersions() map[string]string { return encode.LibraryVersions() }
