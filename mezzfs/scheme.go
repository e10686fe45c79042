package mezzfs

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// scheme is what mezzfs does with the URLs of one scheme. Every scheme can
// be read; one that can also be written has a store.
type scheme struct {
	// parse checks u and returns its Location, with URL canonical: a
	// canonical URL parses to itself.
	parse func(u *url.URL) (Location, error)
	// open pins the one object at loc (its identity, see Info).
	open func(ctx context.Context, s *Storage, loc Location) (backend, error)
	// list returns the objects under loc, or the one object it names.
	list func(ctx context.Context, s *Storage, loc Location) ([]Entry, error)
	// store opens the Store rooted at loc; nil for a read-only scheme.
	store func(ctx context.Context, s *Storage, loc Location) (Store, error)
}

// schemes is the registry: adding a scheme is a file with its scheme value
// and a line here (see the package doc).
var schemes = map[string]scheme{
	"file":  fileScheme,
	"s3":    s3Scheme,
	"http":  httpScheme,
	"https": httpScheme,
}

// schemeNames lists the registered schemes for messages.
func schemeNames() string {
	names := make([]string, 0, len(schemes))
	for n := range schemes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Location is a parsed source URL.
type Location struct {
	Scheme string // a registered scheme: "s3", "file", "http" or "https"
	Bucket string // s3 only
	Key    string // s3 object key or prefix
	Path   string // file only: absolute path
	URL    string // the canonical URL, used in messages and cache keys
}

// ParseURL accepts a URL of a registered scheme (s3://bucket/key,
// file:///path, http(s)://...) or a bare local path (made absolute).
func ParseURL(raw string) (Location, error) {
	_, loc, err := lookup(raw)
	return loc, err
}

// lookup parses raw and returns its scheme with it.
func lookup(raw string) (scheme, Location, error) {
	if raw == "" {
		return scheme{}, Location{}, fmt.Errorf("mezzfs: empty URL: %w", ErrInvalidURL)
	}
	if !strings.Contains(raw, "://") {
		abs, err := filepath.Abs(raw)
		if err != nil {
			return scheme{}, Location{}, fmt.Errorf("mezzfs: %s: %w (%v)", raw, ErrInvalidURL, err)
		}
		return fileScheme, Location{Scheme: "file", Path: abs, URL: fileURL(abs)}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return scheme{}, Location{}, fmt.Errorf("mezzfs: %s: %w (%v)", raw, ErrInvalidURL, err)
	}
	sc, ok := schemes[u.Scheme]
	if !ok {
		return scheme{}, Location{}, fmt.Errorf("mezzfs: %s: %w (scheme %q; want %s)", raw, ErrInvalidURL, u.Scheme, schemeNames())
	}
	loc, err := sc.parse(u)
	if err != nil {
		return scheme{}, Location{}, fmt.Errorf("mezzfs: %s: %w", raw, err)
	}
	return sc, loc, nil
}

// lookup is the package's lookup, refusing what s's Confinement does not
// allow: every Open, Stat, List and Store goes through it.
func (s *Storage) lookup(raw string) (scheme, Location, error) {
	sc, loc, err := lookup(raw)
	if err != nil {
		return scheme{}, Location{}, err
	}
	if err := s.cfg.Confine.check(loc); err != nil {
		return scheme{}, Location{}, err
	}
	return sc, loc, nil
}

// Storage opens Sources and Stores for every registered scheme with one
// configuration, and one S3 client, HTTP client and block cache shared by
// all it opens. Make one per process; it is safe for concurrent use.
type Storage struct {
	cfg  Config
	http *http.Client

	s3mu sync.Mutex
	s3   *s3.Client // made on first use

	cacheOnce sync.Once
	cache     *Cache
}

// NewStorage returns the Storage for cfg. Nothing is connected until used.
func NewStorage(cfg Config) *Storage {
	cfg = cfg.withDefaults()
	return &Storage{cfg: cfg, http: httpClient(cfg)}
}

// s3Client returns the process's S3 client, made on first use. A failure
// is not kept: the next call tries again.
func (s *Storage) s3Client(ctx context.Context) (*s3.Client, error) {
	s.s3mu.Lock()
	defer s.s3mu.Unlock()
	if s.s3 == nil {
		c, err := NewS3Client(ctx, s.cfg.S3)
		if err != nil {
			return nil, err
		}
		s.s3 = c
	}
	return s.s3, nil
}

// Cache is the block cache every Object opened by s shares: Config.Cache,
// or one made from Config's sizes on first use. A disk cache directory
// that cannot be created degrades to memory only rather than failing opens.
func (s *Storage) Cache() *Cache {
	s.cacheOnce.Do(func() {
		if s.cfg.Cache != nil {
			s.cache = s.cfg.Cache
			return
		}
		cc := CacheConfig{BlockSize: s.cfg.BlockSize, MemoryBytes: s.cfg.CacheBytes, Dir: s.cfg.CacheDir, DirBytes: s.cfg.CacheDirBytes}
		c, err := NewCache(cc)
		if err != nil {
			cc.Dir = ""
			c, _ = NewCache(cc)
		}
		s.cache = c
	})
	return s.cache
}

// Open pins the identity of the object at rawURL (ETag/version, or
// mtime+size) and returns a Source over it. Close the Object when done: it
// owns read-ahead goroutines.
func (s *Storage) Open(ctx context.Context, rawURL string) (*Object, error) {
	be, err := s.openBackend(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	cfg := s.cfg
	if !cfg.Direct {
		cfg.Cache = s.Cache()
	}
	return newObject(be, cfg), nil
}

// Stat returns the identity Open would pin, without reading any bytes.
func (s *Storage) Stat(ctx context.Context, rawURL string) (Info, error) {
	be, err := s.openBackend(ctx, rawURL)
	if err != nil {
		return Info{}, err
	}
	if c, ok := be.(closer); ok {
		c.close()
	}
	return be.info(), nil
}

func (s *Storage) openBackend(ctx context.Context, rawURL string) (backend, error) {
	sc, loc, err := s.lookup(rawURL)
	if err != nil {
		return nil, err
	}
	return sc.open(ctx, s, loc)
}

// List returns the objects under rawURL, sorted by name: the keys under an
// s3://bucket/prefix/ (recursively), the regular files under a local
// directory, or the single object a URL names (Name is then its base name).
func (s *Storage) List(ctx context.Context, rawURL string) ([]Entry, error) {
	sc, loc, err := s.lookup(rawURL)
	if err != nil {
		return nil, err
	}
	out, err := sc.list(ctx, s, loc)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Store returns the writable store rooted at rawURL: file:///dir (or an
// absolute path) or s3://bucket/prefix. Schemes that cannot be written
// (http, https) and relative paths (which name different directories on
// different workers) fail with ErrInvalidURL.
func (s *Storage) Store(ctx context.Context, rawURL string) (Store, error) {
	if !strings.Contains(rawURL, "://") && !filepath.IsAbs(rawURL) {
		return nil, fmt.Errorf("mezzfs: %q: %w (a store is file:///dir, an absolute path or s3://bucket/prefix)", rawURL, ErrInvalidURL)
	}
	sc, loc, err := s.lookup(rawURL)
	if err != nil {
		return nil, err
	}
	if sc.store == nil {
		return nil, fmt.Errorf("mezzfs: %s: %w (%s URLs are read-only)", loc.URL, ErrInvalidURL, loc.Scheme)
	}
	return sc.store(ctx, s, loc)
}

// Open is NewStorage(cfg).Open(ctx, rawURL): for a one-off read. A process
// that opens many objects keeps one Storage, so they share its S3 client
// and block cache.
func Open(ctx context.Context, rawURL string, cfg Config) (*Object, error) {
	return NewStorage(cfg).Open(ctx, rawURL)
}
