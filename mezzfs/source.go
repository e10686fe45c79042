package mezzfs

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Source is a random-access view of an immutable object: an io.ReaderAt
// with its size. Implementations honour the io.ReaderAt contract exactly:
// ReadAt is safe for parallel use, n < len(p) implies err != nil (io.EOF
// at or past the end), and p is never retained after ReadAt returns.
// *bytes.Reader, *io.SectionReader and *Object are Sources.
type Source interface {
	io.ReaderAt
	Size() int64
}

// Config says how Open reaches and caches objects. The zero value works:
// every field has a documented default.
type Config struct {
	// S3 configures the client for s3:// URLs.
	S3 S3Config
	// HTTPClient is used for http:// and https:// URLs. Default: a client
	// with a connection pool sized for parallel range requests.
	HTTPClient *http.Client

	// Direct disables the block cache and read-ahead: each ReadAt becomes
	// exactly one ranged request (still retried and identity-checked).
	Direct bool
	// Cache is a block cache shared by many Objects. When nil, Open makes a
	// private one from BlockSize, CacheBytes, CacheDir and CacheDirBytes.
	Cache *Cache
	// BlockSize of cached blocks. Default: 8 MiB.
	BlockSize int64
	// CacheBytes is the in-memory budget. Default: 256 MiB.
	CacheBytes int64
	// CacheDir enables the on-disk cache shared by processes; empty disables it.
	CacheDir string
	// CacheDirBytes limits the on-disk cache. Default: 10 GiB.
	CacheDirBytes int64

	// MaxReadAhead is the largest read-ahead window, in blocks; it also bounds
	// the parallel fetches of one large ReadAt. Default: 8. Negative disables
	// read-ahead, and with it the streaming of sequential runs.
	MaxReadAhead int

	// Retries is the number of attempts for a transient failure. Default: 6.
	Retries int
	// RetryBase is the first backoff delay, doubled per attempt with full
	// jitter, capped at RetryMax. Defaults: 100ms and 5s.
	RetryBase, RetryMax time.Duration
	// RequestTimeout bounds one ranged request (connect, headers and body).
	// Default: 60s.
	RequestTimeout time.Duration

	// AccessLog, when set, records every read and every fetch.
	AccessLog *AccessLog

	// Confine limits the local paths and S3 buckets a Storage opens, lists
	// and writes. The zero value allows everything.
	Confine Confinement
}

func (c Config) withDefaults() Config {
	if c.BlockSize <= 0 {
		c.BlockSize = 8 << 20
	}
	if c.CacheBytes == 0 {
		c.CacheBytes = 256 << 20
	}
	if c.CacheDirBytes <= 0 {
		c.CacheDirBytes = 10 << 30
	}
	if c.MaxReadAhead == 0 {
		c.MaxReadAhead = 8
	}
	if c.Retries <= 0 {
		c.Retries = 6
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 100 * time.Millisecond
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 5 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 60 * time.Second
	}
	return c
}

// fileURL is the file:// URL of an absolute path, escaped so that it
// parses back to the same path.
func fileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: path}).String()
}

// s3URL is the s3:// URL of a key, escaped likewise.
func s3URL(bucket, key string) string {
	return (&url.URL{Scheme: "s3", Host: bucket, Path: "/" + key}).String()
}

// Range returns bytes [a, b) of src as a Source of its own. For an *Object it
// is Object.Range, which keeps read-ahead and fetches inside [a, b); for any
// other Source it is an io.SectionReader. b is clamped to src.Size().
func Range(src Source, a, b int64) (Source, error) {
	if b > src.Size() {
		b = src.Size()
	}
	if a < 0 || a > b {
		return nil, fmt.Errorf("mezzfs: range [%d,%d) of a %d-byte source: %w", a, b, src.Size(), ErrRequest)
	}
	if o, ok := src.(*Object); ok {
		return o.Range(a, b)
	}
	return io.NewSectionReader(src, a, b-a), nil
}
