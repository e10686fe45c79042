package mezzfs

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
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

// Location is a parsed source URL.
type Location struct {
	Scheme string // "s3", "file", "http" or "https"
	Bucket string // s3 only
	Key    string // s3 object key or prefix
	Path   string // file only: absolute path
	URL    string // the canonical URL, used in messages and cache keys
}

// ParseURL accepts s3://bucket/key, file:///path, http(s)://... and bare
// local paths (made absolute).
func ParseURL(raw string) (Location, error) {
	if raw == "" {
		return Location{}, fmt.Errorf("mezzfs: empty URL: %w", ErrInvalidURL)
	}
	if !strings.Contains(raw, "://") {
		abs, err := filepath.Abs(raw)
		if err != nil {
			return Location{}, fmt.Errorf("mezzfs: %s: %w (%v)", raw, ErrInvalidURL, err)
		}
		return Location{Scheme: "file", Path: abs, URL: fileURL(abs)}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("mezzfs: %s: %w (%v)", raw, ErrInvalidURL, err)
	}
	switch u.Scheme {
	case "s3":
		if u.Host == "" {
			return Location{}, fmt.Errorf("mezzfs: %s: %w (no bucket)", raw, ErrInvalidURL)
		}
		key := strings.TrimPrefix(u.Path, "/")
		return Location{Scheme: "s3", Bucket: u.Host, Key: key, URL: s3URL(u.Host, key)}, nil
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("mezzfs: %s: %w (file URL with a host)", raw, ErrInvalidURL)
		}
		if u.Path == "" {
			return Location{}, fmt.Errorf("mezzfs: %s: %w (no path)", raw, ErrInvalidURL)
		}
		p := filepath.Clean(u.Path)
		return Location{Scheme: "file", Path: p, URL: fileURL(p)}, nil
	case "http", "https":
		if u.Host == "" {
			return Location{}, fmt.Errorf("mezzfs: %s: %w (no host)", raw, ErrInvalidURL)
		}
		return Location{Scheme: u.Scheme, URL: u.String()}, nil
	default:
		return Location{}, fmt.Errorf("mezzfs: %s: %w (scheme %q; want s3, file, http or https)", raw, ErrInvalidURL, u.Scheme)
	}
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

// Open pins the identity of the object at rawURL (ETag/version, or
// mtime+size) and returns a Source over it. Close the Object when done: it
// owns read-ahead goroutines.
func Open(ctx context.Context, rawURL string, cfg Config) (*Object, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var be backend
	switch loc.Scheme {
	case "s3":
		if loc.Key == "" || strings.HasSuffix(loc.Key, "/") {
			return nil, fmt.Errorf("mezzfs: %s: %w (a key is needed, not a prefix)", loc.URL, ErrInvalidURL)
		}
		client, err := NewS3Client(ctx, cfg.S3)
		if err != nil {
			return nil, err
		}
		be, err = openS3(ctx, client, loc, cfg)
		if err != nil {
			return nil, err
		}
	case "file":
		be, err = openFile(loc)
		if err != nil {
			return nil, err
		}
	case "http", "https":
		be, err = openHTTP(ctx, httpClient(cfg), loc, cfg)
		if err != nil {
			return nil, err
		}
	}
	return newObject(be, cfg), nil
}

// OpenS3 is Open for an s3:// URL with a client the caller already has
// (see NewS3Client), so many objects share one connection pool.
func OpenS3(ctx context.Context, client S3API, rawURL string, cfg Config) (*Object, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if loc.Scheme != "s3" {
		return nil, fmt.Errorf("mezzfs: %s: %w (OpenS3 needs an s3:// URL)", rawURL, ErrInvalidURL)
	}
	cfg = cfg.withDefaults()
	be, err := openS3(ctx, client, loc, cfg)
	if err != nil {
		return nil, err
	}
	return newObject(be, cfg), nil
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
