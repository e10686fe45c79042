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

// Assets is the dashboard's files, rooted at the directory that holds
// index.html.
func Assets() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree always has assets/
	}
	return sub
}

// Handler serves the dashboard: index.html at "/", the files under
// /assets/, 404 for anything else. Responses carry a Content-Security-Policy
// that allows only this origin, so no asset can come from elsewhere.
func Handler() http.Handler {
	files := http.FileServerFS(Assets())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		switch {
		case r.URL.Path == "/" || r.URL.Path == "/index.html":
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, Assets(), "index.html")
		case strings.HasPrefix(r.URL.Path, "/assets/") && len(r.URL.Path) > len("/assets/"):
			w.Header().Set("Cache-Control", "no-cache")
			http.StripPrefix("/assets", files).ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// JobURL is the dashboard's page of a job under base (http://host:port).
// The dashboard's routes live in the URL's hash.
func JobURL(base, job string) string {
	return strings.TrimRight(base, "/") + "/#/job/" + url.PathEscape(job)
}
