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

func TestDebugDiff(t *testing.T) {
	path := os.Getenv("ARCHER_DEBUG_DIFF")
	if path == "" {
		t.Skip()
	}
	r, _ := New(Config{Analyzers: []string{Freeze, Black}, Threads: 1})
	defer r.Close()
	pr, _ := openPipe(path, 0, 0, 0, 0, clipFPS, false)
	defer pr.Close()
	p, err := r.AnalyzeChunk(t.Context(), pr, ChunkSpan{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Frames {
		if f.Index >= 185 && f.Index < 290 {
			t.Logf("%3d luma %6.1f diff %.5f", f.Index, f.Luma, f.Diff)
		}
	}
}

func TestDebugFullDiff(t *testing.T) {
	path := os.Getenv("ARCHER_DEBUG_FULL")
	if path == "" {
		t.Skip()
	}
	fr := decodeAll(t, path, 25)
	mafd := func(a, b int) (all, y float64) {
		var s, n, sy, ny float64
		for p := range fr[a].Planes {
			pa, pb := fr[a].Planes[p].Pix, fr[b].Planes[p].Pix
			for i := range pa {
				d := float64(pa[i]) - float64(pb[i])
				if d < 0 {
					d = -d
				}
				s += d
				n++
				if p == 0 {
					sy += d
					ny++
				}
			}
		}
		return s / n / 256, sy / ny / 256
	}
	for i := 172; i < 234; i++ {
		a, y := mafd(i, i-1)
		r, _ := mafd(i, 193)
		t.Logf("%d prev all %.5f y %.5f ref193 %.5f", i, a, y, r)
	}
}
