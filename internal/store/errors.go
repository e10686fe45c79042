package store

import (
	"errors"

	"github.com/reelmedia/reel/media"
)

// Errors returned by the stores, checkable with errors.Is. ErrBadURL and
// ErrBadKey are the caller's input (media.IsBadInput); ErrNotFound is not:
// a missing intermediate is the job's state, not what the caller gave.
var (
	// ErrNotFound means the key names no object.
	ErrNotFound = errors.New("object not found")
	// ErrBadURL means a storage URL is neither file:///dir nor s3://bucket[/prefix].
	ErrBadURL = media.NewBadInput("bad storage URL")
	// ErrBadKey means a key is empty, absolute or climbs out of the store with "..".
	ErrBadKey = media.NewBadInput("bad object key")
)
