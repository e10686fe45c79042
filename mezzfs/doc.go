// Package mezzfs streams mezzanine objects from object storage by byte
// range, so that FFmpeg and the analysis cores read a 100 GB master without
// a local copy.
//
// A Source is an io.ReaderAt with a size. Open returns one for
// s3://bucket/key (aws-sdk-go-v2, any S3-compatible endpoint), http(s)://
// (Range requests) and file:// or bare paths. The object's identity (ETag,
// version, or mtime+size) is pinned at open: if it changes while being
// read, reads fail with ErrObjectChanged instead of mixing versions.
//
// Between the caller and the source sit fixed-size blocks (8 MiB by
// default) in an in-memory LRU with a byte budget, an optional on-disk cache
// shared by processes, single-flight de-duplication of in-flight fetches,
// and adaptive read-ahead that widens on sequential access and stops on
// random access. Over S3 and HTTP, a sequential run is read straight from
// one open ranged response into the caller's buffer (one copy, as a plain
// GetObject), each response as long as the run so far; a run that stops
// closes its responses rather than draining them, so it overshoots by what
// they had in flight; a read outside a run that misses fetches only the
// 256 KiB around it, not its block. With a disk cache, the whole blocks a
// run streams through are also written to disk, and a run reads the blocks
// already there from disk instead of streaming them.
// Transient failures (throttling, 5xx, timeouts, resets,
// truncated bodies) are retried with jittered backoff; permanent ones come
// back at once as ErrNotFound, ErrPermission or ErrObjectChanged with the
// URL. Range views (Object.Range) expose bytes [a, b) as a Source of their
// own and never read outside them. An AccessLog records every read and
// fetch for later summary and replay. Package fusefs mounts Sources as a
// read-only FUSE file system.
//
//	obj, err := mezzfs.Open(ctx, "s3://mezz/feature.mov", mezzfs.Config{
//		S3: mezzfs.S3Config{Endpoint: "http://127.0.0.1:7070", PathStyle: true},
//	})
//	if err != nil {
//		return err
//	}
//	defer obj.Close()
//	chunk, _ := obj.Range(off, off+n) // what one encode worker reads
package mezzfs
