package mezzfs

import (
	"context"
	"fmt"
	"path"
	"strings"
)

// StoredObject describes an object in a Store.
type StoredObject struct {
	// Key is relative to the store's root.
	Key string `json:"key"`
	// Size in bytes.
	Size int64 `json:"size"`
	// SHA256 is the hex digest of the content; empty when the object was not
	// written through a Store and its digest is unknown.
	SHA256 string `json:"sha256,omitempty"`
}

// Store is a flat key space of immutable objects under one root URL, for
// job outputs and intermediates (encoded chunks, their sidecars, renditions,
// reports). Keys use "/" as separator. Implementations are safe for
// concurrent use.
//
// Writes are atomic: a local file is written to a temporary name and
// renamed, an S3 object only appears when its PutObject or multipart upload
// completes, so a reader never sees a partial object. Every object written
// through a Store carries its SHA-256, which Stat returns: work already done
// (a chunk encoded before a crash) can be recognised and reused.
type Store interface {
	// URL returns the absolute URL of key (file:///... or s3://...).
	URL(key string) string
	// Put stores the local file at localPath under key, atomically.
	Put(ctx context.Context, key, localPath string) (StoredObject, error)
	// PutBytes stores data under key, atomically.
	PutBytes(ctx context.Context, key string, data []byte) (StoredObject, error)
	// Get copies the object to localPath (written atomically).
	Get(ctx context.Context, key, localPath string) (StoredObject, error)
	// GetBytes returns the object's content.
	GetBytes(ctx context.Context, key string) ([]byte, error)
	// Stat describes the object; errors.Is(err, ErrNotFound) when absent.
	Stat(ctx context.Context, key string) (StoredObject, error)
	// List returns the objects whose keys start with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]StoredObject, error)
	// DeletePrefix removes every object whose key starts with prefix.
	DeletePrefix(ctx context.Context, prefix string) error
}

// JoinURL appends key to a store URL ("s3://b/p" + "job/x" = "s3://b/p/job/x").
func JoinURL(base, key string) string {
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(key, "/")
}

// cleanKey validates key and returns it in canonical form.
func cleanKey(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") {
		return "", fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	c := path.Clean(key)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return c, nil
}
