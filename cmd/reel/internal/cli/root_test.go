package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes reel with args in dir and returns stdout, stderr and the exit code.
func runIn(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	yaml := "temporal:\n  address: file-host:7233\n  namespace: from-file\nmezzfs:\n  block_size: 1048576\n"
	if err := os.WriteFile(filepath.Join(dir, "reel.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file named just "reel" (the binary, say) must never be read as config.
	if err := os.WriteFile(filepath.Join(dir, "reel"), []byte("\x7fELF\x00\x01binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REEL_TEMPORAL_NAMESPACE", "from-env")
	t.Setenv("REEL_TEMPORAL_TASK_QUEUE", "env-queue")

	out, errOut, code := runIn(t, dir, "config", "show", "--json", "--data-dir", "/flag/dir")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`"address": "file-host:7233"`, // file beats default
		`"namespace": "from-env"`,     // env beats file
		`"task_queue": "env-queue"`,   // env beats default
		`"data_dir": "/flag/dir"`,     // flag beats all
		`"block_size": 1048576`,
		`"region": "us-east-1"`, // default kept
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config show lacks %s:\n%s", want, out)
		}
	}
}

func TestBadConfigFileIsAClearError(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.yaml")
	os.WriteFile(bad, []byte("temporal: [unclosed\n"), 0o644)
	_, errOut, code := runIn(t, dir, "--config", bad, "config", "show")
	if code != 1 || !strings.Contains(errOut, "config") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = runIn(t, dir, "no-such-command")
	if code != 2 || !strings.Contains(errOut, "--help") {
		t.Fatalf("unknown command: exit %d, stderr %q", code, errOut)
	}
}
