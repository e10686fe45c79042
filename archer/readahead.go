package archer

import (
	"context"

	"github.com/reelmedia/reel/media"
)

// readAheadFrames is how many decoded frames a chunk's decoder may run
// ahead of its analyzers.
const readAheadFrames = 3

// readAhead decodes on its own goroutine while the caller analyses, so a
// chunk keeps the decoder and the analyzers busy at once instead of taking
// turns. Frames are copied into a small pool of buffers (the source's frames
// are valid only until its next ReadFrame); a frame handed out by ReadFrame
// stays valid until the next ReadFrame or Close, as media.FrameReader says.
//
// The goroutine is owned by the readAhead: Close stops it and waits for it,
// so the wrapped reader may be closed right after.
type readAhead struct {
	out    chan readResult
	free   chan *media.Frame
	cancel context.CancelFunc
	done   chan struct{}
	held   *media.Frame // handed to the caller; recycled on the next call
	err    error        // sticky end (io.EOF or a failure)
}

type readResult struct {
	f   *media.Frame
	err error
}

func newReadAhead(ctx context.Context, fr media.FrameReader, n int) *readAhead {
	ctx, cancel := context.WithCancel(ctx)
	r := &readAhead{
		out:    make(chan readResult, n),
		free:   make(chan *media.Frame, n+1),
		cancel: cancel,
		done:   make(chan struct{}),
	}
	for i := 0; i < n+1; i++ {
		r.free <- nil // allocated on first use, sized by the source
	}
	go r.run(ctx, fr)
	return r
}

func (r *readAhead) run(ctx context.Context, fr media.FrameReader) {
	defer close(r.done)
	defer close(r.out)
	for {
		var buf *media.Frame
		select {
		case buf = <-r.free:
		case <-ctx.Done():
			return
		}
		mf, err := fr.ReadFrame(ctx)
		if err != nil {
			r.out <- readResult{err: err} // out has room: at most n frames plus this are in flight
			return
		}
		if err := checkFrame(mf); err != nil {
			// Checked before copying: a plane shorter than its size says
			// must fail here, not be read past its length.
			r.out <- readResult{err: err}
			return
		}
		r.out <- readResult{f: mf.CloneInto(buf)}
	}
}

// ReadFrame returns the next frame, or the error that ended the source.
func (r *readAhead) ReadFrame(ctx context.Context) (*media.Frame, error) {
	if r.held != nil {
		r.free <- r.held
		r.held = nil
	}
	if r.err != nil {
		return nil, r.err
	}
	select {
	case res, ok := <-r.out:
		if !ok {
			// Closed without a result: the goroutine saw its context end.
			r.err = context.Cause(ctx)
			if r.err == nil {
				r.err = context.Canceled
			}
			return nil, r.err
		}
		if res.err != nil {
			r.err = res.err
			return nil, res.err
		}
		r.held = res.f
		return res.f, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops the decoding goroutine and waits for it.
func (r *readAhead) Close() {
	r.cancel()
	for range r.out { // unblock a send in flight
	}
	<-r.done
}
