package mezzfs_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayering keeps mezzfs a core: it must not import the other cores,
// Temporal, cobra or viper (docs/architecture.md, "Layers").
func TestLayering(t *testing.T) {
	forbidden := []string{
		"github.com/reelmedia/reel/encode", "github.com/reelmedia/reel/vmaf", "github.com/reelmedia/reel/archer",
		"github.com/reelmedia/reel/workflows", "github.com/reelmedia/reel/cmd", "go.temporal.io/",
		"github.com/spf13/cobra", "github.com/spf13/viper",
	}
	for _, dir := range []string{".", "fusefs"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				path := strings.Trim(imp.Path.Value, `"`)
				for _, bad := range forbidden {
					if strings.HasPrefix(path, bad) {
						t.Errorf("%s imports %s", f, path)
					}
				}
			}
		}
	}
}
