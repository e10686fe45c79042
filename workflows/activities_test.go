package workflows

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"testing"

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
