package mezzfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Info is the identity of an object, pinned when it was opened.
type Info struct {
	URL       string    `json:"url"`
	Size      int64     `json:"size"`
	ETag      string    `json:"etag,omitempty"`
	VersionID string    `json:"version_id,omitempty"`
	ModTime   time.Time `json:"mod_time,omitzero"`
}

// Identity is the string that names this version of the object: cache
// keys include it, so a changed object never hits stale blocks.
func (i Info) Identity() string {
	return fmt.Sprintf("%s|%d|%s|%s|%d", i.URL, i.Size, i.ETag, i.VersionID, i.ModTime.UnixNano())
}

// backend fetches byte ranges of one pinned object version.
type backend interface {
	info() Info
	// fetch fills all of p with the bytes at off (off+len(p) <= size) or
	// fails; errors wrapping a mezzfs sentinel are permanent, others transient.
	fetch(ctx context.Context, p []byte, off int64) error
}

// streamer is implemented by backends that can send a long range as one
// response; read-ahead then costs one request for many blocks.
type streamer interface {
	// stream opens bytes [off, off+n) of the pinned version. The body may
	// end early (a transient failure); it never holds other bytes.
	stream(ctx context.Context, off, n int64) (io.ReadCloser, error)
}

// closer is implemented by backends that hold a resource (an open file).
type closer interface{ close() error }

// retry runs op until it succeeds, fails permanently, or cfg.Retries
// attempts are spent. Each attempt gets cfg.RequestTimeout; the backoff is
// exponential with full jitter, so many readers throttled at once spread out.
func retry(ctx context.Context, cfg Config, op func(ctx context.Context) error) error {
	return retryCounted(ctx, cfg, nil, op)
}

// retryCounted is retry that adds the number of retries to *count.
func retryCounted(ctx context.Context, cfg Config, count *atomic.Int64, op func(ctx context.Context) error) error {
	var err error
	for attempt := 0; attempt < cfg.Retries; attempt++ {
		if attempt > 0 {
			if count != nil {
				count.Add(1)
			}
			d := cfg.RetryBase << (attempt - 1)
			if d > cfg.RetryMax || d <= 0 {
				d = cfg.RetryMax
			}
			d = time.Duration(rand.Int64N(int64(d)) + 1)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
			case <-t.C:
			}
		}
		actx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
		err = op(actx)
		cancel()
		if err == nil || permanent(err) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%v (request timeout %s)", err, cfg.RequestTimeout)
	}
	return fmt.Errorf("%w (%w: %d attempts)", err, ErrTransient, cfg.Retries)
}
