// Command reel is a distributed media encoding and quality pipeline.
// See README.md, or run `reel --help`.
package main

import (
	"os"

	"github.com/reelmedia/reel/cmd/reel/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
