package mezzfs

import (
	"strings"
	"time"
)

// Entry is one object under a prefix.
type Entry struct {
	// Name is the object's path relative to the prefix, with '/' separators.
	Name string `json:"name"`
	// URL opens the object.
	URL  string `json:"url"`
	Size int64  `json:"size"`
	// ModTime is the object's Last-Modified (S3, HTTP) or mtime (file);
	// zero when the scheme does not say.
	ModTime time.Time `json:"mod_time,omitzero"`
}

func pathBase(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimSuffix(p, "/")
	return p[strings.LastIndex(p, "/")+1:]
}
