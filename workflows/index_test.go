package workflows

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/reelmedia/reel/mezzfs"
)

// Probe keeps the frame index of a source it had to read whole (an AVI) in
// the work store, and a chunk given its key reads at least the whole file
// less than one without (mezzfs access log), with the same output.
func TestChunkUsesKeptIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "b.avi")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x96:rate=25", "-frames:v", "60",
		"-c:v", "mpeg4", "-bf", "2", "-g", "12", "-threads", "1", src).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	st, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	work := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "work")}).String()
	var log bytes.Buffer
	a := &Activities{TempDir: t.TempDir(), Threads: 1, Storage: mezzfs.NewStorage(mezzfs.Config{AccessLog: mezzfs.NewAccessLog(&log)})}
	si, err := a.Probe(ctx, src, ProbeOptions{Work: work, Job: "job"})
	if err != nil {
		t.Fatal(err)
	}
	if si.IndexKey != indexKey("job") || si.Frames != 60 {
		t.Fatalf("index key %q, %d frames; want %q, 60", si.IndexKey, si.Frames, indexKey("job"))
	}
	if old, err := a.Probe(ctx, src, ProbeOptions{}); err != nil || old.IndexKey != "" {
		t.Errorf("probe without a work store: index key %q (%v), want none", old.IndexKey, err)
	}
	r := Rendition{Name: "a", Codec: "libx264", CRF: 18, Preset: "ultrafast", GOP: 12, Threads: 1}
	chunk := func(attempt int, index string) (int64, ChunkResult) {
		log.Reset()
		res, err := a.EncodeChunk(ctx, ChunkTask{Job: "job", Source: src, Work: work, Rendition: r, Chunk: Chunk{Index: 2, Start: 24, End: 36},
			Attempt: attempt, Metrics: []string{MetricPSNR}, SourceWidth: 160, SourceHeight: 96, SourceBitDepth: 8, SourceIndex: index})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := mezzfs.ReadLog(&log, "log")
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, rec := range recs {
			if rec.Op == mezzfs.OpRead {
				n += rec.Len
			}
		}
		return n, res
	}
	without, resWithout := chunk(1, "")
	with, resWith := chunk(2, si.IndexKey)
	t.Logf("source %d bytes; chunk (encode and score) read %d bytes without the index, %d with", st.Size(), without, with)
	// the chunk opens the source twice (encode, score): each skips a scan
	if without-with < 2*st.Size() {
		t.Errorf("read %d bytes with the index, %d without: want at least twice the file (%d bytes) less", with, without, st.Size())
	}
	if resWith.SHA256 != resWithout.SHA256 || resWith.Frames != 12 || resWith.PSNR != resWithout.PSNR {
		t.Errorf("with the index: %d frames, %s, PSNR %.3f; without: %s, PSNR %.3f", resWith.Frames, resWith.SHA256, resWith.PSNR, resWithout.SHA256, resWithout.PSNR)
	}
}
