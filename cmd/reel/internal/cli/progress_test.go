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

// On a non-terminal a line is written when something changed (at most
// every 2 s) and, while nothing changes, once every 30 s: a job waiting for
// workers does not fill a log with the same line.
func TestProgressPlainLinesOnlyOnChange(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, "encode", 8, "chunks", false)
	clock := p.start
	p.now = func() time.Time { return clock }
	lines := func() int { return strings.Count(b.String(), "\n") }
	step := func(d time.Duration, done int64, extra string) {
		clock = clock.Add(d)
		p.Set(done, extra)
	}

	step(0, 0, "encoding, 0.0 frames/s")
	if lines() != 1 {
		t.Fatalf("first Set wrote %d lines, want 1", lines())
	}
	for range 29 { // the same state every second for 29 s
		step(time.Second, 0, "encoding, 0.0 frames/s")
	}
	if lines() != 1 {
		t.Errorf("an unchanged state wrote %d lines in 29 s, want 1:\n%s", lines(), b.String())
	}
	step(time.Second, 0, "encoding, 0.0 frames/s") // 30 s: a sign of life
	if lines() != 2 {
		t.Errorf("%d lines after 30 s unchanged, want 2", lines())
	}
	step(time.Second, 1, "encoding, 3.0 frames/s") // changed, but 1 s after the last line
	if lines() != 2 {
		t.Errorf("a change 1 s after a line was written at once: %d lines", lines())
	}
	step(time.Second, 1, "encoding, 3.0 frames/s") // 2 s: the pending change shows
	if lines() != 3 || !strings.Contains(b.String(), "1/8 chunks") {
		t.Errorf("a change was not shown 2 s later:\n%s", b.String())
	}
	for i := range 10 { // changes every 2 s each get a line
		step(2*time.Second, int64(2+i%6), "encoding")
	}
	if lines() != 13 {
		t.Errorf("%d lines after ten changes, want 13", lines())
	}
	p.Finish() // nothing new since the last line
	if lines() != 13 {
		t.Errorf("Finish repeated an unchanged line:\n%s", b.String())
	}
	step(0, 8, "done")
	p.Finish()
	if lines() != 14 || !strings.Contains(b.String(), "8/8 chunks (100%) ") {
		t.Errorf("Finish did not show the final state:\n%s", b.String())
	}
}
