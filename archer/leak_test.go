package archer

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/reelmedia/reel/media"
)

// TestNoMatLeaks runs every analyzer, the runner's error paths, thumbnails
// and the contact sheet, then checks that every gocv Mat was closed. The
// count needs gocv's Mat profile: go test -tags matprofile ./archer/.
// Without the tag the same paths still run (catching double closes and
// crashes) and only the count is skipped.
func TestNoMatLeaks(t *testing.T) {
	before, counting := liveMats()
	analyzers := []string{"all"}
	if _, err := os.Stat(DefaultCascade); err != nil {
		analyzers = DefaultAnalyzers
	}
	for _, threads := range []int{1, 3} {
		r, err := New(Config{Analyzers: analyzers, Threads: threads, ChunkFrames: 9, ThumbWidth: 32, FaceEvery: 10})
		if err != nil {
			t.Fatal(err)
		}
		a, err := r.Run(context.Background(), memSource(synthetic()), RunOptions{End: 140, FPS: 25})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ContactSheet(a.Thumbnails, 3); err != nil {
			t.Fatal(err)
		}
		// error paths: a bad frame mid-chunk, a size change, a 10-bit gray frame
		bad := pattern(1, 32, 32, f420, 0)
		bad.Planes[0].Pix = bad.Planes[0].Pix[:10]
		if _, err := r.AnalyzeChunk(context.Background(), &memReader{frames: []*media.Frame{pattern(0, 32, 32, f420, 0), bad}}, ChunkSpan{}, nil); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("bad frame: %v", err)
		}
		gray := pattern(0, 48, 40, media.Format{Chroma: media.Chroma400, BitDepth: 10}, 1)
		if _, err := r.AnalyzeChunk(context.Background(), &memReader{frames: []*media.Frame{gray}}, ChunkSpan{}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := EncodeJPEG(gray, 0); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New(Config{Analyzers: []string{Faces}, Cascade: "testdata/missing.xml"}); !errors.Is(err, ErrCascadeNotFound) {
		t.Fatalf("missing cascade: %v", err)
	}
	if !counting {
		t.Log("Mat count not checked: run with -tags matprofile")
		return
	}
	if after, _ := liveMats(); after != before {
		t.Errorf("%d gocv Mats leaked (before %d, after %d)", after-before, before, after)
	}
}
