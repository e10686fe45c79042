// Package web holds the dashboard's assets, embedded in the binary, and
// the handler that serves them at / beside the API (cmd/reel/internal/api).
// Today it is a placeholder page; every path that is not an asset gets
// index.html, so the dashboard's own routes (/jobs/ID) load it.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
)

//go:embed assets
var assets embed.FS

// Handler serves the embedded assets, and index.html for any other path.
func Handler() http.Handler {
	root, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name != "" {
			if st, err := fs.Stat(root, name); err == nil && !st.IsDir() {
				files.ServeHTTP(w, r)
				return
			}
		}
		http.ServeFileFS(w, r, root, "index.html")
	})
}

// JobURL is the dashboard's page of a job under base (http://host:port).
func JobURL(base, job string) string {
	return strings.TrimRight(base, "/") + "/jobs/" + url.PathEscape(job)
}
