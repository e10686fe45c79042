package workflows

import (
	"strings"
	"testing"

	"github.com/reelmedia/reel/archer"
)

// TestPartialKey: a retry of the same chunk finds its partial; the same job
// ID with other settings or another source does not.
func TestPartialKey(t *testing.T) {
	base := ArcherChunkTask{Job: "j", Source: "file:///a.mkv", Work: "file:///w",
		Config: archer.Config{Analyzers: []string{"shots"}}, Span: archer.ChunkSpan{Index: 3, Start: 30, End: 40}}
	k := partialKey(base)
	if !strings.HasPrefix(k, "j/archer/partial-00003-") {
		t.Errorf("key %q", k)
	}
	same := base
	same.Work = "s3://elsewhere/w" // where it is stored is not what it depends on
	if partialKey(same) != k {
		t.Error("same chunk, different key")
	}
	for name, change := range map[string]func(*ArcherChunkTask){
		"analyzers": func(t *ArcherChunkTask) { t.Config.Analyzers = []string{"shots", "black"} },
		"threshold": func(t *ArcherChunkTask) { t.Config.BlackRatio = 0.5 },
		"source":    func(t *ArcherChunkTask) { t.Source = "file:///b.mkv" },
		"span":      func(t *ArcherChunkTask) { t.Span.End = 41 },
	} {
		c := base
		change(&c)
		if partialKey(c) == k {
			t.Errorf("%s changed, key did not", name)
		}
	}
}
