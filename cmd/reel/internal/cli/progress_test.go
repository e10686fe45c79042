package cli

import (
	"strings"
	"testing"
	"time"
)

func TestProgressPlainLines(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, "encode", 8, "chunks", false)
	p.start = time.Now().Add(-2 * time.Minute)
	p.Set(2, "vmaf 93.1")
	p.Finish()
	out := b.String()
	for _, want := range []string{"encode 2/8 chunks (25%)", "1.0 chunks/min", "vmaf 93.1", "eta 6m0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress line %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "\r") || !strings.HasSuffix(out, "\n") {
		t.Errorf("not a plain line for a non-terminal: %q", out)
	}

	b.Reset()
	q := newProgress(&b, "x", 0, "frames", true)
	q.Set(5, "")
	q.Finish()
	if b.Len() != 0 {
		t.Errorf("quiet progress wrote %q", b.String())
	}
}
