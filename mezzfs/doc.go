// Package mezzfs streams mezzanine objects from object storage by byte
// range, so that FFmpeg and the analysis cores read a 100 GB master without
// a local copy.
//
// A Source is an io.ReaderAt with a size. A Storage, one per process,
// opens one for s3://bucket/key (aws-sdk-go-v2, any S3-compatible
// endpoint), http(s):// (Range requests) and file:// or bare paths; it also
// lists prefixes, and opens a Store (atomic Put, Get, Stat, List,
// DeletePrefix) where the scheme can be written: file:///dir and
// s3://bucket/prefix. It holds the process's one S3 client, HTTP client and
// block cache. The object's identity (ETag, version, or mtime+size) is
// pinned at open: if it changes while being read, reads fail with
// ErrObjectChanged instead of mixing versions.
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
// read-only FUSE file system. Config.Confine limits a Storage to local roots
// and S3 buckets (after resolving ".." and symlinks): every Open, List and
// Store outside them fails with ErrOutsideRoots or ErrBucketNotAllowed, and
// Storage.Check asks without touching anything.
//
//	storage := mezzfs.NewStorage(mezzfs.Config{
//		S3: mezzfs.S3Config{Endpoint: "http://127.0.0.1:7070", PathStyle: true},
//	})
//	obj, err := storage.Open(ctx, "s3://mezz/feature.mov")
//	if err != nil {
//		return err
//	}
//	defer obj.Close()
//	chunk, _ := obj.Range(off, off+n) // what one encode worker reads
//	out, err := storage.Store(ctx, "s3://media/jobs")
//	obj, err := out.Put(ctx, "job1/720p/000042-a1.mp4", "/tmp/chunk.mp4")
//
// # Schemes
//
// A URL's scheme picks its entry in one registry (the schemes map in
// scheme.go); Open, Stat, List, Store and ParseURL all go through it, so a
// new scheme is one file in this package and one line in that map: a
// parse function (the canonical URL), an open function returning a
// backend (info: the pinned identity; fetch: fill p from off, failing with
// this package's sentinels when permanent; optionally stream, for one
// long response per sequential run), a list function and, when the scheme
// can be written, a store function. For gs:// it would read:
//
//	// gs.go
//	var gsScheme = scheme{
//		parse: func(u *url.URL) (Location, error) {
//			if u.Host == "" {
//				return Location{}, fmt.Errorf("%w (no bucket)", ErrInvalidURL)
//			}
//			key := strings.TrimPrefix(u.Path, "/")
//			return Location{Scheme: "gs", Bucket: u.Host, Key: key, URL: "gs://" + u.Host + "/" + key}, nil
//		},
//		open:  openGS,  // HEAD for size and generation, ranged GETs pinned to it
//		list:  listGS,  // objects under a prefix
//		store: gsStore, // nil for a read-only scheme
//	}
//
//	// scheme.go
//	var schemes = map[string]scheme{
//		"file": fileScheme, "s3": s3Scheme, "http": httpScheme, "https": httpScheme,
//		"gs": gsScheme,
//	}
//
// Clients a scheme needs once per process (as s3's) live in Storage,
// made on first use.
package mezzfs
