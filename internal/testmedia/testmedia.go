package testmedia

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// CacheEnv names the variable that moves the cache; CI points it at an
// empty directory so that every clip is generated from its command line.
const CacheEnv = "REEL_TEST_MEDIA_CACHE"

// Threads is the encoder thread count every generated file is made with:
// x264's bitstream depends on its thread count, and FFmpeg's default
// (one per core) would make a different file on every machine.
const Threads = "2"

// randomSources are the lavfi sources (and filters) whose pictures come
// from a random number generator seeded with the time unless told, with
// the option that fixes the seed.
var randomSources = map[string][]string{
	"gradients":  {"seed"},
	"life":       {"seed", "random_seed"},
	"cellauto":   {"seed", "random_seed"},
	"sierpinski": {"seed"},
	"noise":      {"all_seed", "c0_seed"},
	"anoisesrc":  {"seed", "s"},
	"random":     {"seed"},
}

// filterRE finds a filter name and its options in a filter graph: the name
// follows the start, a comma, a semicolon or a closing label bracket.
var filterRE = regexp.MustCompile(`(?:^|[,;\]])\s*([a-z0-9_]+)(?:=([^,;\[]*))?`)

// CheckSeeds returns an error naming the first random lavfi source or
// filter in args that has no fixed seed, or any option set to a "random"
// colour (av_parse_color draws those from the clock, whatever the seed).
// gradients also needs its colours named: its default colours are
// "random", so its seed alone fixes only the gradient's line.
func CheckSeeds(args []string) error {
	for _, a := range args {
		for _, m := range filterRE.FindAllStringSubmatch(a, -1) {
			name, opts := m[1], map[string]string{}
			for _, kv := range strings.Split(m[2], ":") {
				k, v, _ := strings.Cut(kv, "=")
				opts[strings.TrimSpace(k)] = strings.TrimSpace(v)
				if strings.EqualFold(strings.TrimSpace(v), "random") {
					return fmt.Errorf("testmedia: %s in %q has an option set to random: name a value so every machine makes the same clip", name, a)
				}
			}
			seedOpts, random := randomSources[name]
			if !random {
				continue
			}
			if !slices.ContainsFunc(seedOpts, func(o string) bool { _, ok := opts[o]; return ok }) {
				return fmt.Errorf("testmedia: %s in %q has no fixed seed: add %s=N so every machine makes the same clip", name, a, seedOpts[0])
			}
			if name == "gradients" {
				n := 2
				for _, k := range []string{"nb_colors", "n"} {
					if v, ok := opts[k]; ok {
						fmt.Sscan(v, &n)
					}
				}
				for i := 0; i < n; i++ {
					if _, ok := opts[fmt.Sprintf("c%d", i)]; !ok {
						return fmt.Errorf("testmedia: gradients in %q leaves c%d random: name all %d colours (c0=0x3050a0:c1=...) so every machine makes the same clip", a, i, n)
					}
				}
			}
		}
	}
	return nil
}

var (
	versionOnce sync.Once
	version     string
	versionErr  error
)

// ffmpegVersion is the whole `ffmpeg -version` text: the program's and its
// libraries' versions, which decide the bytes a command line makes.
func ffmpegVersion() (string, error) {
	versionOnce.Do(func() {
		out, err := exec.Command("ffmpeg", "-version").Output()
		if err != nil {
			versionErr = fmt.Errorf("testmedia: the ffmpeg CLI is needed to generate test media (make deps installs it): %w", err)
			return
		}
		version = string(out)
	})
	return version, versionErr
}

// Dir returns the cache directory: $REEL_TEST_MEDIA_CACHE, or
// reel-test-media in the user cache directory.
func Dir() (string, error) {
	if d := os.Getenv(CacheEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "reel-test-media"), nil
}

var mu sync.Mutex

// File returns a file that `ffmpeg -nostdin -v error -y ARGS -threads 2
// OUT.ext` makes, generating it once: it is cached under Dir keyed by the
// command line and the ffmpeg version, so a new FFmpeg or a changed
// command makes a new file and an old clip is never taken for a new one.
// Random lavfi sources must have a fixed seed (CheckSeeds). name is a
// readable prefix of the cached file's name. A missing ffmpeg or a
// failing command fails the test.
func File(tb testing.TB, name, ext string, args ...string) string {
	tb.Helper()
	if err := CheckSeeds(args); err != nil {
		tb.Fatal(err)
	}
	v, err := ffmpegVersion()
	if err != nil {
		tb.Fatal(err)
	}
	if !slices.Contains(args, "-threads") {
		args = append(slices.Clip(args), "-threads", Threads)
	}
	dir, err := Dir()
	if err != nil {
		tb.Fatal(err)
	}
	h := sha256.Sum256([]byte(v + "\x00" + ext + "\x00" + strings.Join(args, "\x00")))
	if name == "" {
		name = "clip"
	}
	path := filepath.Join(dir, name+"-"+hex.EncodeToString(h[:8])+"."+ext)
	mu.Lock()
	defer mu.Unlock()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	// A unique temp name: test binaries of several packages may make the
	// same file at once; the last rename wins with identical bytes.
	f, err := os.CreateTemp(dir, ".tmp-*."+ext)
	if err != nil {
		tb.Fatal(err)
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	full := append([]string{"-nostdin", "-v", "error", "-y"}, args...)
	full = append(full, tmp)
	if out, err := exec.Command("ffmpeg", full...).CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg %s: %v\n%s", strings.Join(full, " "), err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Shared returns ../shared/SUB beside the module root (the nearest
// directory above the test's working directory that holds go.mod),
// failing the test when it is missing: the tests that compare with
// libvmaf's numbers must not pass by skipping.
func Shared(tb testing.TB, sub string) string {
	tb.Helper()
	root, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			tb.Fatal("testmedia: no go.mod above the test's directory")
		}
		root = parent
	}
	dir := filepath.Join(root, "..", "shared", sub)
	if _, err := os.Stat(dir); err != nil {
		tb.Fatalf("reference data %s is missing: it lives in shared/ beside the checkout (clone the repository next to shared/): %v", dir, err)
	}
	return dir
}
