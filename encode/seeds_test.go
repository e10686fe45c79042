package encode

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzProbe from tiny clips
// and corrupted copies of them. Run with REEL_WRITE_FUZZ_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("REEL_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set REEL_WRITE_FUZZ_SEEDS=1 to regenerate the committed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzProbe")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{}
	for _, ext := range []string{"mp4", "mkv", "ts"} {
		b := readFile(t, tinyClip(t, ext))
		seeds[ext+"-valid"] = b
		seeds[ext+"-half"] = b[:len(b)/2]
		flip := append([]byte(nil), b...)
		for i := 64; i < len(flip); i += 97 {
			flip[i] ^= 0x55
		}
		seeds[ext+"-bitflips"] = flip
		zero := append([]byte(nil), b...)
		for i := len(zero) / 3; i < len(zero)/3+256 && i < len(zero); i++ {
			zero[i] = 0
		}
		seeds[ext+"-zeroed"] = zero
	}
	seeds["mp4-faststart-cut"] = func() []byte { b := readFile(t, tinyClip(t, "mp4", "-movflags", "+faststart")); return b[:len(b)*7/10] }()
	for name, b := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
