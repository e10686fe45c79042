package archer

import (
	"os"
	"testing"
)

func TestDebugClip(t *testing.T) {
	path := os.Getenv("ARCHER_DEBUG_CLIP")
	if path == "" {
		t.Skip()
	}
	r, _ := New(Config{Analyzers: []string{Shots, Black}, Threads: 1})
	defer r.Close()
	pr, _ := openPipe(path, 0, 0, 0, 0, clipFPS, false)
	defer pr.Close()
	p, err := r.AnalyzeChunk(t.Context(), pr, ChunkSpan{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fr := p.Frames
	for i := 1; i < len(fr) && i < 60; i++ {
		t.Logf("%3d luma %6.1f black %.3f hist %.3f grid %.3f d %.3f", i, fr[i].Luma, fr[i].BlackRatio, histDist(fr[i-1].Hist, fr[i].Hist), gridDist(fr[i-1].Grid, fr[i].Grid), sigDist(&fr[i-1], &fr[i]))
	}
}
