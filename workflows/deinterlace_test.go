package workflows

import (
	"context"
	"net/url"
	"os/exec"
	"path/filepath"
	"testing"
)

// A deinterlaced chunk is scored against the source deinterlaced the same
// way: a near-lossless encode scores near-lossless.
func TestScoreDeinterlacedChunk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "il.ts")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-frames:v", "30",
		"-c:v", "mpeg2video", "-q:v", "2", "-g", "12", "-flags", "+ildct+ilme", "-top", "1", "-field_order", "tt", src).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	work := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "work")}).String()
	a := &Activities{TempDir: t.TempDir(), Threads: 1}
	r := Rendition{Name: "a", Codec: "libx264", CRF: 1, Preset: "ultrafast", GOP: 12, Deinterlace: "bwdif"}
	res, err := a.EncodeChunk(ctx, ChunkTask{Job: "job", Source: src, Work: work, Rendition: r, Chunk: Chunk{Index: 1, Start: 12, End: 24}, Attempt: 1,
		Metrics: []string{MetricPSNR}, SourceWidth: 160, SourceHeight: 120, SourceBitDepth: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames != 12 || res.PSNR < 50 {
		t.Fatalf("%d frames, PSNR %.2f dB: want 12 frames scored against the deinterlaced source (above 50 dB)", res.Frames, res.PSNR)
	}
}
