package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every path that is not an asset gets index.html, so the dashboard's own
// routes load it; JobURL escapes the ID.
func TestHandler(t *testing.T) {
	ts := httptest.NewServer(Handler())
	defer ts.Close()
	for _, p := range []string{"/", "/jobs/encode-film-1", "/index.html", "/jobs/a%2Fb"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "<title>reel</title>") {
			t.Errorf("GET %s: %d %.80s", p, resp.StatusCode, b)
		}
	}
	// A path with ".." is refused (net/http's file server), never resolved.
	resp, err := http.Get(ts.URL + "/../../etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || strings.Contains(string(b), "root:") {
		t.Errorf("GET /../../etc/passwd: %d %.80s", resp.StatusCode, b)
	}
	if got := JobURL("http://127.0.0.1:7280/", "a b/c"); got != "http://127.0.0.1:7280/jobs/a%20b%2Fc" {
		t.Errorf("JobURL: %s", got)
	}
}
