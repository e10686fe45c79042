package pack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
)

// FuzzOpenTrack: a damaged or hostile MP4 is refused with an error, never a
// panic or an allocation the file cannot back. Seeds: a small generated rung.
func FuzzOpenTrack(f *testing.F) {
	p := testmedia.File(f, "pack-fuzz-seed", "mp4", "-f", "lavfi", "-i", "testsrc2=s=64x36:r=10:d=1",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=1",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "16k", "-shortest")
	seed, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, kind := range []string{"video", "audio"} {
			tr, err := openTrack(Input{Name: "fuzz", R: bytes.NewReader(b), Size: int64(len(b))}, kind)
			if err == nil && len(tr.samples) > len(b) {
				t.Fatalf("%d samples from %d bytes", len(tr.samples), len(b))
			}
		}
	})
}

// TestDamagedInputs: hostile or damaged files are refused with
// ErrInvalidInput before mp4ff allocates for them.
func TestDamagedInputs(t *testing.T) {
	p := testmedia.File(t, "pack-fuzz-seed", "mp4", "-f", "lavfi", "-i", "testsrc2=s=64x36:r=10:d=1",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=1",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "16k", "-shortest")
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// stsz: size, "stsz", version+flags, uniform size 0, count.
	hugeCount := bytes.Clone(good)
	i := bytes.Index(hugeCount, []byte("stsz"))
	binary.BigEndian.PutUint32(hugeCount[i+12:], 50_000_000)
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"stsz count", hugeCount, "lists 50000000 entries"},
		{"truncated", good[:len(good)-100], "claims"},
		{"text", []byte("#EXTM3U\nnot an mp4 at all\n"), "claims"},
		{"empty", nil, "no moov box"},
	} {
		_, err := openTrack(Input{Name: c.name, R: bytes.NewReader(c.b), Size: int64(len(c.b))}, "video")
		if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrInvalidInput with %q", c.name, err, c.want)
		}
	}
}
