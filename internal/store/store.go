package store

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
)

// Object describes a stored object.
type Object struct {
	// Key is relative to the store's root.
	Key string `json:"key"`
	// Size in bytes.
	Size int64 `json:"size"`
	// SHA256 is the hex digest of the content; empty when the object was not
	// written through a Store and its digest is unknown.
	SHA256 string `json:"sha256,omitempty"`
}

// Store is a flat key space of immutable objects under one root URL. Keys
// use "/" as separator. Implementations are safe for concurrent use.
type Store interface {
	// URL returns the absolute URL of key (file:///... or s3://...).
	URL(key string) string
	// Put stores the local file at localPath under key, atomically.
	Put(ctx context.Context, key, localPath string) (Object, error)
	// PutBytes stores data under key, atomically.
	PutBytes(ctx context.Context, key string, data []byte) (Object, error)
	// Get copies the object to localPath (written atomically).
	Get(ctx context.Context, key, localPath string) (Object, error)
	// GetBytes returns the object's content.
	GetBytes(ctx context.Context, key string) ([]byte, error)
	// Stat describes the object; errors.Is(err, ErrNotFound) when absent.
	Stat(ctx context.Context, key string) (Object, error)
	// List returns the objects whose keys start with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]Object, error)
	// DeletePrefix removes every object whose key starts with prefix.
	DeletePrefix(ctx context.Context, prefix string) error
}

// Options configures Open.
type Options struct {
	// S3 configures the client for s3:// URLs.
	S3 S3Config
}

// Open returns the store for a file:///dir or s3://bucket/prefix URL. A
// plain absolute path is taken as a directory.
func Open(ctx context.Context, rawURL string, opts Options) (Store, error) {
	if strings.HasPrefix(rawURL, "/") {
		return NewFile(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadURL, rawURL, err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("%w: %q: file URLs must be file:///absolute/dir", ErrBadURL, rawURL)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("%w: %q: no directory", ErrBadURL, rawURL)
		}
		return NewFile(u.Path)
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("%w: %q: no bucket", ErrBadURL, rawURL)
		}
		client, err := NewS3Client(ctx, opts.S3)
		if err != nil {
			return nil, err
		}
		return NewS3(client, u.Host, strings.Trim(u.Path, "/")), nil
	default:
		return nil, fmt.Errorf("%w: %q: want file:///dir or s3://bucket/prefix", ErrBadURL, rawURL)
	}
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
