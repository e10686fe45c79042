package mezzfs

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// httpScheme reads http:// and https:// URLs by Range requests; it cannot
// write.
var httpScheme = scheme{
	parse: func(u *url.URL) (Location, error) {
		if u.Host == "" {
			return Location{}, fmt.Errorf("%w (no host)", ErrInvalidURL)
		}
		return Location{Scheme: u.Scheme, URL: u.String()}, nil
	},
	open: func(ctx context.Context, s *Storage, loc Location) (backend, error) {
		return openHTTP(ctx, s.http, loc, s.cfg)
	},
	// An HTTP URL names one object; its HEAD gives the size and time.
	list: func(ctx context.Context, s *Storage, loc Location) ([]Entry, error) {
		b, err := openHTTP(ctx, s.http, loc, s.cfg)
		if err != nil {
			return nil, err
		}
		return []Entry{{Name: pathBase(loc.URL), URL: loc.URL, Size: b.size, ModTime: b.mtime}}, nil
	},
}

// httpClient returns cfg's client, or a pooled one; under a Confinement
// every redirect is held to its http hosts too.
func httpClient(cfg Config) *http.Client {
	c := cfg.HTTPClient
	if c == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 64
		t.MaxIdleConnsPerHost = 64
		c = &http.Client{Transport: t}
	}
	if cfg.Confine.confined() {
		confined := *c
		confined.CheckRedirect = cfg.Confine.checkRedirect
		c = &confined
	}
	return c
}

// httpBackend reads an HTTP(S) resource with Range requests. The version is
// pinned by a strong ETag (sent as If-Match) or else by Last-Modified (sent
// as If-Unmodified-Since); responses are checked against both as well.
type httpBackend struct {
	client  *http.Client
	loc     Location
	size    int64
	etag    string
	lastMod string
	mtime   time.Time
}

func openHTTP(ctx context.Context, client *http.Client, loc Location, cfg Config) (*httpBackend, error) {
	b := &httpBackend{client: client, loc: loc}
	err := retry(ctx, cfg, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, loc.URL, nil)
		if err != nil {
			return fmt.Errorf("mezzfs: %s: %w (%v)", loc.URL, ErrInvalidURL, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("mezzfs: %s: %w", loc.URL, err)
		}
		resp.Body.Close()
		if err := classifyHTTP(loc.URL, resp); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("mezzfs: %s: %w (HEAD answered %s)", loc.URL, ErrRequest, resp.Status)
		}
		if resp.ContentLength < 0 {
			return fmt.Errorf("mezzfs: %s: %w (no Content-Length)", loc.URL, ErrRequest)
		}
		if !strings.Contains(resp.Header.Get("Accept-Ranges"), "bytes") {
			return fmt.Errorf("mezzfs: %s: %w (server does not accept byte ranges)", loc.URL, ErrRequest)
		}
		b.size = resp.ContentLength
		if et := resp.Header.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
			b.etag = et
		}
		b.lastMod = resp.Header.Get("Last-Modified")
		if t, err := http.ParseTime(b.lastMod); err == nil {
			b.mtime = t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (b *httpBackend) info() Info {
	return Info{URL: b.loc.URL, Size: b.size, ETag: b.etag, ModTime: b.mtime}
}

func (b *httpBackend) fetch(ctx context.Context, p []byte, off int64) error {
	body, err := b.stream(ctx, off, int64(len(p)))
	if err != nil {
		return err
	}
	defer body.Close()
	return readBody(b.loc.URL, body, p, off)
}

// stream opens bytes [off, off+n) of the pinned version as one response.
func (b *httpBackend) stream(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.loc.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("mezzfs: %s: %w (%v)", b.loc.URL, ErrInvalidURL, err)
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	// Identity encoding keeps Content-Length meaningful for the length check.
	req.Header.Set("Accept-Encoding", "identity")
	if b.etag != "" {
		req.Header.Set("If-Match", b.etag)
	} else if b.lastMod != "" {
		req.Header.Set("If-Unmodified-Since", b.lastMod)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mezzfs: %s: %w", b.loc.URL, err)
	}
	fail := func(err error) (io.ReadCloser, error) {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		return nil, err
	}
	if err := classifyHTTP(b.loc.URL, resp); err != nil {
		return fail(err)
	}
	if resp.StatusCode != http.StatusPartialContent {
		return fail(fmt.Errorf("mezzfs: %s: %w (asked for a range, got %s)", b.loc.URL, ErrRequest, resp.Status))
	}
	if et := resp.Header.Get("ETag"); b.etag != "" && et != "" && et != b.etag {
		return fail(fmt.Errorf("mezzfs: %s: %w (ETag %s, opened as %s)", b.loc.URL, ErrObjectChanged, et, b.etag))
	}
	if lm := resp.Header.Get("Last-Modified"); b.lastMod != "" && lm != "" && lm != b.lastMod {
		return fail(fmt.Errorf("mezzfs: %s: %w (Last-Modified %s, opened as %s)", b.loc.URL, ErrObjectChanged, lm, b.lastMod))
	}
	if resp.ContentLength >= 0 && resp.ContentLength != n {
		return fail(fmt.Errorf("mezzfs: %s: Content-Length %d for a %d-byte range at %d", b.loc.URL, resp.ContentLength, n, off))
	}
	if err := checkContentRange(resp.Header.Get("Content-Range"), off, n, b.size); err != nil {
		return fail(fmt.Errorf("mezzfs: %s: %w", b.loc.URL, err))
	}
	return resp.Body, nil
}

func classifyHTTP(url string, resp *http.Response) error {
	s := resp.StatusCode
	switch {
	case s < 400:
		return nil
	case s == http.StatusNotFound || s == http.StatusGone:
		return fmt.Errorf("mezzfs: %s: %w (%s)", url, ErrNotFound, resp.Status)
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return fmt.Errorf("mezzfs: %s: %w (%s)", url, ErrPermission, resp.Status)
	case s == http.StatusPreconditionFailed:
		return fmt.Errorf("mezzfs: %s: %w (%s)", url, ErrObjectChanged, resp.Status)
	case s == http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("mezzfs: %s: %w (%s: shorter than when opened)", url, ErrObjectChanged, resp.Status)
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		ra := ""
		if v := resp.Header.Get("Retry-After"); v != "" {
			if _, err := strconv.Atoi(v); err == nil {
				ra = " retry-after " + v + "s"
			}
		}
		return fmt.Errorf("mezzfs: %s: server answered %s%s", url, resp.Status, ra)
	}
	return fmt.Errorf("mezzfs: %s: %w (%s)", url, ErrRequest, resp.Status)
}
