package mezzfs_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/mezzfs"
)

// randomData is n reproducible pseudo-random bytes.
func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sum(b []byte) [32]byte { return sha256.Sum256(b) }

// s3Config is a mezzfs.Config for srv (or for endpoint, e.g. a proxy in front of it).
func s3Config(srv *s3test.Server, endpoint string) mezzfs.Config {
	if endpoint == "" {
		endpoint = srv.Endpoint
	}
	return mezzfs.Config{
		S3: mezzfs.S3Config{Endpoint: endpoint, PathStyle: true, Region: srv.Region,
			AccessKey: srv.AccessKey, SecretKey: srv.SecretKey},
		RetryBase: 5 * time.Millisecond,
		RetryMax:  50 * time.Millisecond,
	}
}

func putObject(t testing.TB, srv *s3test.Server, key string, data []byte) string {
	t.Helper()
	if err := srv.Put(context.Background(), key, data); err != nil {
		t.Fatal(err)
	}
	return srv.URL(key)
}

func writeFile(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mezz.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// serveFile serves path over HTTP on loopback with Range support and
// Last-Modified; with etag, responses also carry a strong ETag derived from
// the content (so If-Match fails once it changes).
func serveFile(t testing.TB, path string, etag bool) string {
	t.Helper()
	var mu sync.Mutex
	var tagFor time.Time
	var tag string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(path)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		st, _ := f.Stat()
		if etag {
			mu.Lock()
			if !tagFor.Equal(st.ModTime()) {
				b, _ := os.ReadFile(path)
				tag, tagFor = fmt.Sprintf(`"%x"`, sha256.Sum256(b)), st.ModTime()
			}
			w.Header().Set("ETag", tag)
			mu.Unlock()
		}
		http.ServeContent(w, r, "", st.ModTime(), f)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/mezz.bin"
}

func open(t testing.TB, url string, cfg mezzfs.Config) *mezzfs.Object {
	t.Helper()
	o, err := mezzfs.Open(context.Background(), url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// writeFileAt rewrites path with data (same size, in place) and sets its mtime.
func writeFileAt(path string, data []byte, mtime time.Time) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chtimes(path, mtime, mtime)
}
