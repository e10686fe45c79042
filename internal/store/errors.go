package store

import "errors"

var (
	// ErrNotFound means the key names no object.
	ErrNotFound = errors.New("object not found")
	// ErrBadURL means a storage URL is neither file:///dir nor s3://bucket[/prefix].
	ErrBadURL = errors.New("bad storage URL")
	// ErrBadKey means a key is empty, absolute or climbs out of the store with "..".
	ErrBadKey = errors.New("bad object key")
)
