package cli

import (
	"runtime"
	"runtime/debug"
)

// Version is set at link time: -ldflags "-X github.com/reelmedia/reel/cmd/reel/internal/cli.Version=v1.2.3".
var Version = "dev"

type version struct {
	Reel   string            `json:"reel"`
	Go     string            `json:"go"`
	Commit string            `json:"commit,omitempty"`
	Libs   map[string]string `json:"libraries,omitempty"`
}

func versionInfo() version {
	v := version{Reel: Version, Go: runtime.Version(), Libs: map[string]string{}}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Commit = s.Value
			}
		}
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/asticode/go-astiav", "gocv.io/x/gocv", "go.temporal.io/sdk", "go.temporal.io/server":
				v.Libs[d.Path] = d.Version
			}
		}
	}
	for k, s := range libraryVersions() {
		v.Libs[k] = s
	}
	return v
}

func (v version) pairs() [][2]string {
	out := [][2]string{{"reel", v.Reel}, {"go", v.Go}}
	if v.Commit != "" {
		out = append(out, [2]string{"commit", v.Commit})
	}
	for _, k := range sortedKeys(v.Libs) {
		out = append(out, [2]string{k, v.Libs[k]})
	}
	return out
}
