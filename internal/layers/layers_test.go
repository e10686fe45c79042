package layers

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/reelmedia/reel/"

// rule says which imports the non-test files under a directory may have.
type rule struct {
	dir string
	// allowed import path prefixes besides the standard library.
	allow []string
	// stdOnly forbids every non-standard import not in allow.
}

var rules = []rule{
	{dir: "media", allow: []string{module + "media"}},
	{dir: "seq", allow: []string{module + "media", module + "seq"}},
	{dir: "vmaf", allow: []string{module + "media", module + "vmaf", "golang.org/x/sync", "golang.org/x/sys/cpu"}},
	{dir: "encode", allow: []string{module + "media", module + "encode", "github.com/asticode/", "golang.org/x/sync", "golang.org/x/sys/cpu"}},
	{dir: "archer", allow: []string{module + "media", module + "archer", "gocv.io/x/gocv", "golang.org/x/sync", "golang.org/x/image", "golang.org/x/sys/cpu"}},
	{dir: "hull", allow: []string{module + "hull"}},
	{dir: "bdrate", allow: []string{module + "bdrate"}},
	{dir: "pack", allow: []string{module + "media", module + "pack", "github.com/Eyevinn/mp4ff", "github.com/Eyevinn/hls-m3u8", "github.com/Eyevinn/dash-mpd", "golang.org/x/sync"}},
	{dir: "mezzfs", allow: []string{module + "media", module + "mezzfs", "github.com/aws/", "github.com/hanwen/go-fuse/", "golang.org/x/sync", "golang.org/x/sys"}},
}

// Imports nobody outside the named directories may use.
var owners = map[string][]string{
	"github.com/spf13/cobra":          {"cmd/reel/internal/cli"},
	"github.com/spf13/viper":          {"cmd/reel/internal/cli"},
	"github.com/asticode/go-astiav":   {"encode"},
	"go.temporal.io/server":           {"internal/devserver"},
	"github.com/temporalio/ui-server": {"internal/devserver"},
	// Workflows and the cores report through small interfaces (an
	// Observer, mezzfs.Stats); only the metrics package speaks Prometheus.
	"github.com/prometheus/client_golang": {"cmd/reel/internal/metrics"},
}

func repoRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "..", "..")
}

// imports returns the imports of every non-test .go file under dir, keyed by file.
func imports(t *testing.T, root, dir string) map[string][]string {
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			out[rel] = append(out[rel], p)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

func isStd(p string) bool {
	first := strings.SplitN(p, "/", 2)[0]
	return !strings.Contains(first, ".")
}

func TestCoreDependencyDirection(t *testing.T) {
	root := repoRoot(t)
	for _, r := range rules {
		for file, ims := range imports(t, root, r.dir) {
			for _, p := range ims {
				if isStd(p) || p == "C" {
					continue
				}
				ok := false
				for _, a := range r.allow {
					if strings.HasPrefix(p, a) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s imports %s: the %s core may only import %v and the standard library", file, p, r.dir, r.allow)
				}
			}
		}
	}
}

func TestOwnedImports(t *testing.T) {
	root := repoRoot(t)
	all := imports(t, root, ".")
	for file, ims := range all {
		for _, p := range ims {
			for owned, dirs := range owners {
				if !strings.HasPrefix(p, owned) {
					continue
				}
				ok := false
				for _, d := range dirs {
					if strings.HasPrefix(file, d+string(filepath.Separator)) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s imports %s, which only %v may import", file, p, dirs)
				}
			}
		}
	}
}

func TestRulesCatchViolations(t *testing.T) {
	// The checker itself must be able to fail: a core importing another core
	// is rejected by the same matching the real test uses.
	r := rules[1] // vmaf
	bad := module + "encode"
	for _, a := range r.allow {
		if strings.HasPrefix(bad, a) {
			t.Fatalf("vmaf rule would allow %s", bad)
		}
	}
	if isStd("gocv.io/x/gocv") || !isStd("net/http") {
		t.Fatal("isStd misclassifies")
	}
}
