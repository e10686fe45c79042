package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress shows how far long work has got: a redrawn bar on a terminal,
// a plain line every few seconds otherwise (logs, CI), nothing when quiet.
// It is safe for concurrent use.
type progress struct {
	w        io.Writer
	label    string
	total    int64 // 0 when unknown
	unit     string
	tty      bool
	quiet    bool
	start    time.Time
	mu       sync.Mutex
	done     int64
	extra    string
	lastDraw time.Time
	every    time.Duration
}

// newProgress starts a progress display on w for total units (0 = unknown).
func newProgress(w io.Writer, label string, total int64, unit string, quiet bool) *progress {
	p := &progress{w: w, label: label, total: total, unit: unit, quiet: quiet, start: time.Now(), every: 2 * time.Second}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		p.every = 100 * time.Millisecond
	}
	return p
}

// Set records that done units are finished; extra is shown after the counts.
func (p *progress) Set(done int64, extra string) {
	if p == nil || p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.extra = done, extra
	if time.Since(p.lastDraw) < p.every {
		return
	}
	p.lastDraw = time.Now()
	p.draw()
}

// SetTotal changes the total once it becomes known.
func (p *progress) SetTotal(total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.total = total
	p.mu.Unlock()
}

// Finish draws the final state and ends the line.
func (p *progress) Finish() {
	if p == nil || p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) draw() {
	el := time.Since(p.start)
	rate := float64(p.done) / el.Seconds()
	var b strings.Builder
	if p.tty {
		b.WriteString("\r\033[K")
	}
	b.WriteString(p.label)
	b.WriteString(" ")
	if p.total > 0 {
		frac := float64(p.done) / float64(p.total)
		if frac > 1 {
			frac = 1
		}
		if p.tty {
			const width = 30
			n := int(frac * width)
			b.WriteString("[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "] ")
		}
		fmt.Fprintf(&b, "%d/%d %s (%.0f%%)", p.done, p.total, p.unit, 100*frac)
		if rate > 0 && p.done < p.total {
			eta := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
			fmt.Fprintf(&b, " eta %s", eta.Round(time.Second))
		}
	} else {
		fmt.Fprintf(&b, "%d %s", p.done, p.unit)
	}
	switch {
	case rate >= 0.1:
		fmt.Fprintf(&b, " %.1f %s/s", rate, p.unit)
	case rate > 0:
		fmt.Fprintf(&b, " %.1f %s/min", rate*60, p.unit)
	}
	if p.extra != "" {
		b.WriteString(" " + p.extra)
	}
	if !p.tty {
		b.WriteString("\n")
	}
	io.WriteString(p.w, b.String())
}
