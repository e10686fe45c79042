package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reel status ID --open prints the job's dashboard URL from the api
// settings, without a cluster.
func TestStatusOpen(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	for _, c := range []struct {
		yaml, want string
		code       int
	}{
		{"", "http://127.0.0.1:7280/#/job/encode-film-1\n", 0},
		{"api:\n  port: 7399\n", "http://127.0.0.1:7399/#/job/encode-film-1\n", 0},
		{"api:\n  address: 0.0.0.0\n  port: 7399\n", "http://127.0.0.1:7399/#/job/encode-film-1\n", 0},
		{"api:\n  url: https://reel.example.com/\n", "https://reel.example.com/#/job/encode-film-1\n", 0},
		{"api:\n  port: 0\n", "", 1},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "reel.yaml"), []byte(c.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := runIn(t, dir, "status", "encode-film-1", "--open", "--temporal", "127.0.0.1:1")
		if code != c.code || out != c.want {
			t.Errorf("config %q: exit %d, stdout %q, stderr %q; want exit %d, %q", c.yaml, code, out, errOut, c.code, c.want)
		}
	}
	out, _, code := runIn(t, t.TempDir(), "status", "a b", "--open", "--json")
	var got map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got["url"] != "http://127.0.0.1:7280/#/job/a%20b" {
		t.Errorf("--json: exit %d, %q", code, out)
	}
}

// API tokens are read from reel.yaml and never printed.
func TestAPITokensMasked(t *testing.T) {
	dir := t.TempDir()
	yaml := "api:\n  tokens:\n    - token: s3cr3t-viewer\n      role: viewer\n"
	if err := os.WriteFile(filepath.Join(dir, "reel.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runIn(t, dir, "config", "show")
	if code != 0 || !strings.Contains(out, `tokens: "********"`) || strings.Contains(out, "s3cr3t") {
		t.Errorf("config show: exit %d, %s %s", code, out, errOut)
	}
	out, _, code = runIn(t, dir, "config", "show", "--json")
	if code != 0 || strings.Contains(out, "s3cr3t") || !strings.Contains(out, `"port": 7280`) {
		t.Errorf("config show --json: exit %d, %s", code, out)
	}
}

// reel server refuses to serve the API beyond loopback without tokens,
// before it starts (or writes) anything.
func TestServerRefusesOpenAPIOffLoopback(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reel.yaml"), []byte("api:\n  address: 0.0.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	_, errOut, code := runIn(t, dir, "server", "--data-dir", data, "--headless", "--no-worker")
	if code != 1 || !strings.Contains(errOut, "loopback only") || !strings.Contains(errOut, "api.tokens") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the refused server made its data directory: %v", err)
	}
}
