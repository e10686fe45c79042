package mezzfs_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/mezzfs"
)

type fault int

const (
	pass fault = iota
	delay
	slowDown
	reset
	truncate
	serverError
)

// faultProxy sits between mezzfs and versitygw on loopback and injects
// faults into ranged GETs, as chosen by pick (called with the GET's number).
type faultProxy struct {
	t        testing.TB
	target   *url.URL
	rp       *httputil.ReverseProxy
	delay    time.Duration
	pick     func(n int64) fault
	gets     atomic.Int64 // ranged GETs
	requests atomic.Int64 // every request, HEADs and listings included
	faulted  atomic.Int64
	before   func(n int64) // runs before a GET is forwarded (e.g. to change the object)
	mu       sync.Mutex
	ranges   []string // Range headers of the GETs seen
	URL      string
}

func newFaultProxy(t testing.TB, backend string, pick func(n int64) fault) *faultProxy {
	target, _ := url.Parse(backend)
	p := &faultProxy{t: t, target: target, pick: pick, delay: 300 * time.Millisecond}
	p.rp = &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // SigV4 signed the proxy's host
	}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	if r.Method != http.MethodGet || r.Header.Get("Range") == "" {
		p.rp.ServeHTTP(w, r)
		return
	}
	n := p.gets.Add(1)
	p.mu.Lock()
	p.ranges = append(p.ranges, r.Header.Get("Range"))
	p.mu.Unlock()
	if p.before != nil {
		p.before(n)
	}
	f := p.pick(n)
	if f != pass {
		p.faulted.Add(1)
	}
	switch f {
	case delay:
		select {
		case <-time.After(p.delay):
		case <-r.Context().Done():
			return
		}
		p.rp.ServeHTTP(w, r)
	case slowDown:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
	case serverError:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`)
	case reset:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			p.t.Errorf("hijack: %v", err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, not FIN
		}
		conn.Close()
	case truncate:
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.URL.Scheme, out.URL.Host = p.target.Scheme, p.target.Host
		out.Host = r.Host
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		// Half the body, then the handler returns: the server closes the
		// connection short of Content-Length.
		io.CopyN(w, resp.Body, max(resp.ContentLength/2, 0))
	default:
		p.rp.ServeHTTP(w, r)
	}
}

// readAll reads src in odd-sized pieces from several goroutines and returns
// the reassembled bytes, or the first error.
func readAll(src mezzfs.Source, piece int) ([]byte, error) {
	out := make([]byte, src.Size())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	offs := make(chan int64)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for off := range offs {
				end := min(off+int64(piece), src.Size())
				n, err := src.ReadAt(out[off:end], off)
				if err != nil && !(err == io.EOF && int64(n) == end-off) {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for off := int64(0); off < src.Size(); off += int64(piece) {
		offs <- off
	}
	close(offs)
	wg.Wait()
	return out, first
}

func TestFaultsRetriedNeverWrongBytes(t *testing.T) {
	data := randomData(4<<20+333, 2)
	srv := s3test.Start(t)
	key := "faults/mezz.bin"
	putObject(t, srv, key, data)
	faults := []fault{delay, slowDown, reset, truncate, serverError}
	// Each GET's fault depends on its number alone (not on the order in
	// which concurrent readers draw from one generator), and the first GET
	// of each case always fails: every run exercises the retries.
	pick := func(n int64) fault {
		if n == 1 || rand.New(rand.NewPCG(uint64(n), 3)).IntN(100) < 40 {
			return faults[int(n)%len(faults)]
		}
		return pass
	}
	for _, direct := range []bool{true, false} {
		name := "cache"
		if direct {
			name = "direct"
		}
		t.Run(name, func(t *testing.T) {
			proxy := newFaultProxy(t, srv.Endpoint, pick)
			cfg := s3Config(srv, proxy.URL)
			cfg.Direct = direct
			cfg.BlockSize = 256 << 10
			cfg.RequestTimeout = 150 * time.Millisecond // shorter than the injected delay
			cfg.Retries = 12
			o := open(t, srv.URL(key), cfg)
			got, err := readAll(o, 100_003)
			if err != nil {
				t.Fatalf("read through faults: %v", err)
			}
			if sum(got) != sum(data) {
				t.Fatal("sha256 of bytes read through faults differs from the object")
			}
			st := o.Stats()
			if st.Retries == 0 || proxy.faulted.Load() == 0 {
				t.Fatalf("no fault exercised: retries=%d faulted=%d", st.Retries, proxy.faulted.Load())
			}
			t.Logf("GETs %d, faults injected %d, retries %d", proxy.gets.Load(), proxy.faulted.Load(), st.Retries)
		})
	}
}

func TestEachFaultKind(t *testing.T) {
	data := randomData(1<<20, 4)
	srv := s3test.Start(t)
	key := "faults/kind.bin"
	putObject(t, srv, key, data)
	for _, tc := range []struct {
		name string
		f    fault
	}{{"delay", delay}, {"slowdown", slowDown}, {"reset", reset}, {"truncate", truncate}, {"500", serverError}} {
		t.Run(tc.name, func(t *testing.T) {
			// The first two GETs fail, the rest pass.
			proxy := newFaultProxy(t, srv.Endpoint, func(n int64) fault {
				if n <= 2 {
					return tc.f
				}
				return pass
			})
			cfg := s3Config(srv, proxy.URL)
			cfg.Direct = true
			if tc.f == delay {
				// A request times out only where the proxy holds it: the
				// margins are wide, so a busy machine's slow but healthy
				// GET is not cut short and retried (an extra GET).
				proxy.delay = 5 * time.Second
				cfg.RequestTimeout = time.Second
			}
			o := open(t, srv.URL(key), cfg)
			p := make([]byte, 300_000)
			if _, err := o.ReadAt(p, 5000); err != nil {
				t.Fatalf("ReadAt: %v", err)
			}
			if sum(p) != sum(data[5000:305000]) {
				t.Fatal("wrong bytes after retries")
			}
			// net/http itself re-sends a GET whose reused connection was
			// reset, so count what the server saw.
			if g, r := proxy.gets.Load(), o.Stats().Retries; g != 3 || r < 1 {
				t.Fatalf("GETs = %d, retries = %d; want 3 GETs, >= 1 retry", g, r)
			}
		})
	}
	t.Run("persistent-slowdown", func(t *testing.T) {
		proxy := newFaultProxy(t, srv.Endpoint, func(int64) fault { return slowDown })
		cfg := s3Config(srv, proxy.URL)
		cfg.Direct = true
		cfg.Retries = 3
		o := open(t, srv.URL(key), cfg)
		_, err := o.ReadAt(make([]byte, 10), 0)
		if !errors.Is(err, mezzfs.ErrTransient) || !strings.Contains(err.Error(), srv.URL(key)) {
			t.Fatalf("err = %v; want ErrTransient naming the URL", err)
		}
		if proxy.gets.Load() != 3 {
			t.Fatalf("GETs = %d, want 3 attempts", proxy.gets.Load())
		}
	})
}

func TestObjectChangedMidRead(t *testing.T) {
	v1 := randomData(2<<20, 5)
	v2 := randomData(2<<20, 6) // same size: only the identity check can tell
	srv := s3test.Start(t)
	key := "faults/changing.bin"
	putObject(t, srv, key, v1)
	for _, direct := range []bool{true, false} {
		t.Run(map[bool]string{true: "direct", false: "cache"}[direct], func(t *testing.T) {
			putObject(t, srv, key, v1)
			proxy := newFaultProxy(t, srv.Endpoint, func(int64) fault { return pass })
			proxy.before = func(n int64) {
				if n == 3 {
					if err := srv.Put(context.Background(), key, v2); err != nil {
						t.Error(err)
					}
				}
			}
			cfg := s3Config(srv, proxy.URL)
			cfg.Direct = direct
			cfg.BlockSize = 128 << 10
			cfg.MaxReadAhead = -1
			o := open(t, srv.URL(key), cfg)
			var changed error
			p := make([]byte, 100_000)
			for off := int64(0); off < o.Size(); off += int64(len(p)) {
				n, err := o.ReadAt(p, off)
				if err != nil && err != io.EOF {
					changed = err
					break
				}
				if sum(p[:n]) != sum(v1[off:off+int64(n)]) {
					t.Fatalf("bytes at %d are not the version opened", off)
				}
			}
			if !errors.Is(changed, mezzfs.ErrObjectChanged) || !strings.Contains(changed.Error(), srv.URL(key)) {
				t.Fatalf("err = %v; want ErrObjectChanged naming the URL", changed)
			}
			t.Logf("%v", changed)
		})
	}
}

func TestFileChangedMidRead(t *testing.T) {
	data := randomData(1<<20, 7)
	path := writeFile(t, data)
	o := open(t, path, mezzfs.Config{Direct: true})
	if _, err := o.ReadAt(make([]byte, 10), 0); err != nil {
		t.Fatal(err)
	}
	// Rewrite with different bytes and a later mtime.
	if err := writeFileAt(path, randomData(1<<20, 8), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err := o.ReadAt(make([]byte, 10), 100)
	if !errors.Is(err, mezzfs.ErrObjectChanged) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v; want ErrObjectChanged naming %s", err, path)
	}
}

func TestHTTPChangedMidRead(t *testing.T) {
	for _, etag := range []bool{false, true} {
		t.Run(map[bool]string{false: "last-modified", true: "etag"}[etag], func(t *testing.T) {
			path := writeFile(t, randomData(1<<20, 9))
			url := serveFile(t, path, etag)
			o := open(t, url, mezzfs.Config{Direct: true})
			if _, err := o.ReadAt(make([]byte, 10), 0); err != nil {
				t.Fatal(err)
			}
			if err := writeFileAt(path, randomData(1<<20, 10), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			_, err := o.ReadAt(make([]byte, 10), 100)
			if !errors.Is(err, mezzfs.ErrObjectChanged) || !strings.Contains(err.Error(), url) {
				t.Fatalf("err = %v; want ErrObjectChanged naming %s", err, url)
			}
		})
	}
}

// TestPermanentErrors: a permanent failure comes back typed, naming the
// URL, after exactly one request (the HEAD that pins the object): it is not
// retried.
func TestPermanentErrors(t *testing.T) {
	srv := s3test.Start(t)
	putObject(t, srv, "here.bin", []byte("x"))
	ctx := context.Background()
	proxy := newFaultProxy(t, srv.Endpoint, func(int64) fault { return pass })
	var httpRequests atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpRequests.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(hs.Close)
	cases := []struct {
		name     string
		url      string
		cfg      mezzfs.Config
		want     error
		requests int64 // to the proxy, or to hs for http
	}{
		{"s3-missing-key", srv.URL("nope.bin"), s3Config(srv, proxy.URL), mezzfs.ErrNotFound, 1},
		{"s3-missing-bucket", "s3://no-such-bucket/x.bin", s3Config(srv, proxy.URL), mezzfs.ErrNotFound, 1},
		{"s3-bad-keys", srv.URL("here.bin"), func() mezzfs.Config {
			c := s3Config(srv, proxy.URL)
			c.S3.SecretKey = "wrong"
			return c
		}(), mezzfs.ErrPermission, 1},
		{"http-missing", hs.URL + "/x.bin", mezzfs.Config{}, mezzfs.ErrNotFound, 1},
		{"file-missing", "file:///nonexistent/mezz.mov", mezzfs.Config{}, mezzfs.ErrNotFound, 0},
		{"bad-scheme", "ftp://host/x", mezzfs.Config{}, mezzfs.ErrInvalidURL, 0},
		{"s3-prefix", "s3://bucket/dir/", s3Config(srv, proxy.URL), mezzfs.ErrInvalidURL, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := proxy.requests.Load() + httpRequests.Load()
			_, err := mezzfs.Open(ctx, tc.url, tc.cfg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open(%s) = %v; want %v", tc.url, err, tc.want)
			}
			if !strings.Contains(err.Error(), strings.TrimSuffix(tc.url, "/x")) && tc.want != mezzfs.ErrInvalidURL {
				t.Fatalf("error %q does not name %s", err, tc.url)
			}
			if n := proxy.requests.Load() + httpRequests.Load() - before; n != tc.requests {
				t.Fatalf("%d requests, want %d: a permanent error was retried", n, tc.requests)
			}
		})
	}
}
