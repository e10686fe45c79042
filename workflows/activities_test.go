package workflows

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/mezzfs"
)

// A finished attempt is reused, unless the attempt is strict and the
// finished one worked around problems: then the source is decoded again
// (here: a source that is not there, so the attempt fails).
func TestStrictDoesNotReuseDamagedAttempt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	work := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "work")}).String()
	st, err := mezzfs.NewStorage(mezzfs.Config{}).Store(ctx, work)
	if err != nil {
		t.Fatal(err)
	}
	r := Rendition{Name: "a", Codec: "libx264"}
	task := ChunkTask{Job: "job", Source: filepath.Join(dir, "gone.mp4"), Work: work, Rendition: r, Chunk: Chunk{Index: 0, Start: 0, End: 25}, Attempt: 1}
	key := chunkKey("job", r, 0, 1)
	obj, err := st.PutBytes(ctx, key, []byte("chunk"))
	if err != nil {
		t.Fatal(err)
	}
	a := &Activities{TempDir: t.TempDir()}
	for _, c := range []struct {
		problems []string
		strict   bool
		reused   bool
	}{
		{nil, false, true},
		{nil, true, true},
		{[]string{"missing: source frames 0-24: 1 frames"}, false, true},
		{[]string{"missing: source frames 0-24: 1 frames"}, true, false},
	} {
		b, _ := json.Marshal(ChunkResult{Index: 0, Attempt: 1, Key: key, Bytes: obj.Size, SHA256: obj.SHA256, Frames: 25, Problems: c.problems})
		if _, err := st.PutBytes(ctx, sidecarKey(key), b); err != nil {
			t.Fatal(err)
		}
		task.Strict = c.strict
		res, err := a.EncodeChunk(ctx, task)
		if reused := err == nil && res.Reused; reused != c.reused {
			t.Errorf("problems %q, strict %v: reused %v (%v), want %v", c.problems, c.strict, reused, err, c.reused)
		}
	}
}

// A chunk is scored while it is encoded (encode.Pairs): its VMAF, PSNR and
// every frame's scores are those of the second pass it replaced, which
// decodes the source range and the stored chunk again.
func TestChunkScoredOnTheFlyAsSecondPass(t *testing.T) {
	ctx := context.Background()
	src := testmedia.File(t, "workflows", "mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-frames:v", "60",
		"-c:v", "libx264", "-preset", "fast", "-g", "20", "-pix_fmt", "yuv420p")
	dir := t.TempDir()
	work := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "work")}).String()
	st, err := mezzfs.NewStorage(mezzfs.Config{}).Store(ctx, work)
	if err != nil {
		t.Fatal(err)
	}
	r := Rendition{Name: "low", Codec: "x264", Preset: "veryfast", CRF: 30, Width: 192, Height: 108}
	task := ChunkTask{Job: "job", Source: src, Work: work, Rendition: r, Chunk: Chunk{Index: 1, Start: 7, End: 49}, Attempt: 1,
		Metrics: []string{MetricVMAF, MetricPSNR}, SourceWidth: 320, SourceHeight: 180, SourceBitDepth: 8}
	a := &Activities{TempDir: t.TempDir(), Threads: 2}
	res, err := a.EncodeChunk(ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	if res.VMAF <= 0 || res.VMAF >= 100 || res.PSNR <= 0 || res.Frames != 42 {
		t.Fatalf("vmaf %v psnr %v frames %d: the test would prove nothing", res.VMAF, res.PSNR, res.Frames)
	}
	sc, err := a.scoreChunk(ctx, encode.FileInput(src), filepath.Join(dir, "work", res.Key), task)
	if err != nil {
		t.Fatal(err)
	}
	if sc.vmaf != res.VMAF || sc.vmafMin != res.VMAFMin || sc.psnr != res.PSNR {
		t.Fatalf("on the fly: vmaf %v min %v psnr %v; second pass: %v %v %v", res.VMAF, res.VMAFMin, res.PSNR, sc.vmaf, sc.vmafMin, sc.psnr)
	}
	want, err := chunkFrameScores(sc.frames)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.GetBytes(ctx, res.FramesKey)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("per-frame scores differ from the second pass's (%d and %d bytes)", len(got), len(want))
	}
}
