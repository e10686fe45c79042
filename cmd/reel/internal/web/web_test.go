package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestPageLoadsOnlyLocalAssets: every src and href in the page is on this
// origin, and the scripts fetch nothing by absolute URL: nothing comes from
// a CDN.
func TestPageLoadsOnlyLocalAssets(t *testing.T) {
	page, err := fs.ReadFile(Assets(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) < 4 {
		t.Fatalf("index.html has %d references, want the script, styles and uPlot", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		if strings.HasPrefix(ref, "#") {
			continue
		}
		if !strings.HasPrefix(ref, "/assets/") {
			t.Errorf("index.html loads %q: want a file under /assets/", ref)
			continue
		}
		if _, err := fs.Stat(Assets(), strings.TrimPrefix(ref, "/assets/")); err != nil {
			t.Errorf("index.html loads %q, which is not embedded: %v", ref, err)
		}
	}
	app, err := fs.ReadFile(Assets(), "app.js")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`["'\x60]https?://`).Match(app) {
		t.Error("app.js names an absolute URL: the dashboard must only talk to its own server")
	}
}

// TestVendoredUPlotIsThePinnedVersion: the embedded uPlot is the version
// package-lock.json pins (scripts/vendor-web.sh copies it), with its licence.
func TestVendoredUPlotIsThePinnedVersion(t *testing.T) {
	raw, err := os.ReadFile("npm/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		t.Fatal(err)
	}
	want := lock.Packages["node_modules/uplot"].Version
	if want == "" {
		t.Fatal("package-lock.json pins no uplot")
	}
	js, err := fs.ReadFile(Assets(), "vendor/uplot/uPlot.iife.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := bytes.Cut(js, []byte("\n")); !bytes.Contains(first, []byte("(v"+want+")")) {
		t.Errorf("vendored uPlot starts %q, want version %s: run scripts/vendor-web.sh", first, want)
	}
	lic, err := fs.ReadFile(Assets(), "vendor/uplot/LICENSE")
	if err != nil || !bytes.Contains(lic, []byte("MIT")) {
		t.Errorf("uPlot's MIT licence is not beside it: %v", err)
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for _, c := range []struct {
		method, path string
		status       int
		typ          string
	}{
		{"GET", "/", 200, "text/html"},
		{"GET", "/assets/app.js", 200, "javascript"},
		{"GET", "/assets/style.css", 200, "text/css"},
		{"GET", "/assets/vendor/uplot/uPlot.iife.min.js", 200, "javascript"},
		{"HEAD", "/", 200, "text/html"},
		{"GET", "/assets/nope.js", 404, ""},
		{"GET", "/jobs", 404, ""},
		{"GET", "/assets/../web.go", 404, ""},
		{"POST", "/", 405, ""},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, res.StatusCode, c.status)
		}
		if c.typ != "" && !strings.Contains(res.Header.Get("Content-Type"), c.typ) {
			t.Errorf("%s %s: Content-Type %q, want %s", c.method, c.path, res.Header.Get("Content-Type"), c.typ)
		}
		if c.status == 200 && !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s %s: no same-origin Content-Security-Policy", c.method, c.path)
		}
	}
}

// BenchmarkAssetWeight reports the dashboard's total weight, as stored and
// gzip-compressed (what a browser fetches on the first visit).
func BenchmarkAssetWeight(b *testing.B) {
	var raw, gz int64
	for b.Loop() {
		raw, gz = 0, 0
		err := fs.WalkDir(Assets(), ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, "LICENSE") {
				return err
			}
			data, err := fs.ReadFile(Assets(), path)
			if err != nil {
				return err
			}
			raw += int64(len(data))
			var buf bytes.Buffer
			w := gzip.NewWriter(&buf)
			w.Write(data)
			w.Close()
			gz += int64(buf.Len())
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(raw), "bytes")
	b.ReportMetric(float64(gz), "gzip-bytes")
}
