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
// plain lines otherwise (logs, CI), nothing when quiet. A plain line is
// written when the counts or the extra text changed, at most every few
// seconds, and when nothing changed only every half minute, to show the
// work is still alive. It is safe for concurrent use.
type progress struct {
	w     io.Writer
	label string
	total int64 // 0 when unknown
	unit  string
	tty   bool
	quiet bool
	start time.Time
	now   func() time.Time // time.Now; tests step it
	mu    sync.Mutex
	done  int64
	extra string
	// what the last line showed, and when it was drawn
	lastDraw  time.Time
	lastState progressState
	every     time.Duration // the least time between two lines
	idle      time.Duration // the most time between two lines (not on a terminal)
}

// progressState is what a line shows apart from the rates, which move
// with the clock alone.
type progressState struct {
	done, total int64
	extra       string
}

// newProgress starts a progress display on w for total units (0 = unknown).
func newProgress(w io.Writer, label string, total int64, unit string, quiet bool) *progress {
	p := &progress{w: w, label: label, total: total, unit: unit, quiet: quiet, now: time.Now,
		every: 2 * time.Second, idle: 30 * time.Second}
	p.start = p.now()
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
	since := p.now().Sub(p.lastDraw)
	if since < p.every {
		return
	}
	if !p.tty && p.state() == p.lastState && !p.lastDraw.IsZero() && since < p.idle {
		return
	}
	p.draw()
}

func (p *progress) state() progressState {
	return progressState{done: p.done, total: p.total, extra: p.extra}
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
	if p.tty || p.lastDraw.IsZero() || p.state() != p.lastState {
		p.draw()
	}
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) draw() {
	p.lastDraw, p.lastState = p.now(), p.state()
	el := p.lastDraw.Sub(p.start)
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
