package mezzfs

import (
	"errors"

	"github.com/reelmedia/reel/media"
)

// Errors returned by mezzfs, checkable with errors.Is. Each is wrapped with
// the URL it concerns, e.g. "mezzfs: s3://b/k: object not found (404 NoSuchKey)".
// Those made with media.NewBadInput are the caller's input
// (media.IsBadInput): a URL or object that another try cannot fix. The
// others are retried (ErrTransient), or a caller's bug (ErrClosed,
// ErrNegativeOffset), or permanent without being the input's fault
// (ErrRequest: a server that rejects or ignores our requests).
var (
	// ErrNotFound: the object, bucket or file does not exist (S3 404,
	// NoSuchKey, NoSuchBucket; HTTP 404; ENOENT). Permanent.
	ErrNotFound = media.NewBadInput("object not found")
	// ErrPermission: access was refused (S3/HTTP 401 or 403; EACCES). Permanent.
	ErrPermission = media.NewBadInput("permission denied")
	// ErrObjectChanged: the object is no longer the version pinned when it
	// was opened (ETag, version, Last-Modified or mtime+size differ). Reads
	// fail rather than mix bytes of two versions. Permanent for this Object;
	// open the URL again to read the new version.
	ErrObjectChanged = media.NewBadInput("object changed while being read")
	// ErrInvalidURL: the URL has an unsupported scheme or is malformed, or
	// names no place a Store can be (an http URL, a relative path).
	ErrInvalidURL = media.NewBadInput("invalid URL")
	// ErrOutsideRoots: a local path lies outside the Confinement's roots
	// (after resolving ".." and symlinks).
	ErrOutsideRoots = media.NewBadInput("outside the allowed storage roots")
	// ErrBucketNotAllowed: an S3 bucket is not in the Confinement's list.
	ErrBucketNotAllowed = media.NewBadInput("bucket not in the allowed storage buckets")
	// ErrHostNotAllowed: an http(s) URL (or a redirect) names a host not
	// in the Confinement's list.
	ErrHostNotAllowed = media.NewBadInput("host not in the allowed http hosts")
	// ErrBadKey: a Store key is empty, absolute or climbs out of the store
	// with "..".
	ErrBadKey = media.NewBadInput("bad object key")
	// ErrRequest: the server rejected a request for a reason other than the
	// above (another 4xx, or a server that ignores byte ranges). Permanent.
	ErrRequest = errors.New("request rejected")
	// ErrTransient wraps the last error of a read that still failed after
	// every retry (throttling, 5xx, timeouts, resets, truncated bodies).
	ErrTransient = errors.New("still failing after retries")
	// ErrClosed: the Object was closed.
	ErrClosed = errors.New("source closed")
	// ErrNegativeOffset: ReadAt was called with off < 0.
	ErrNegativeOffset = errors.New("negative offset")
	// ErrBadLog: a replay log line is not a valid record.
	ErrBadLog = media.NewBadInput("invalid access log")
)

// permanent reports whether err should not be retried.
func permanent(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrPermission) ||
		errors.Is(err, ErrObjectChanged) || errors.Is(err, ErrInvalidURL) ||
		errors.Is(err, ErrOutsideRoots) || errors.Is(err, ErrBucketNotAllowed) ||
		errors.Is(err, ErrHostNotAllowed) || errors.Is(err, ErrRequest) || errors.Is(err, ErrClosed)
}
