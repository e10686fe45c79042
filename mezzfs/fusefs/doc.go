// Package fusefs mounts mezzfs Sources as a read-only FUSE file system, so
// tools that only take a path (ffmpeg, mediainfo, a shell) read objects in
// place. It is the one place where mezzfs errors become errnos (Errno).
//
//	files := []fusefs.File{{Name: "feature.mov", Size: n, Open: openFn}}
//	srv, err := fusefs.Mount(mountpoint, files, fusefs.Options{})
//	if err != nil {
//		return err
//	}
//	defer srv.Unmount()
//	srv.Wait() // until unmounted (fusermount3 -u, or srv.Unmount)
//
// # Page cache or direct I/O
//
// By default files are opened keep-cache: reads go through the kernel's
// page cache, whose read-ahead (Options.ReadAheadKiB, 4 MiB) turns any
// reader's reads, however small, into 1 MiB FUSE requests, and the pages
// stay valid across opens (objects are pinned), so re-reads and several
// readers of a file share them. The page cache has a price: each byte is
// copied into a newly allocated page and out again. With 1 MiB reads of a
// local S3 server on a 2-vCPU VM (BenchmarkFUSESequential) the process
// spends about 1.1-1.3 CPU-s per GiB against 0.4-0.5 for the Source read
// directly, and the server 0.5-0.7 more in both cases. A Source that costs
// nothing (the benchmark's alternating-nosource case) shows the kernel's
// and go-fuse's part alone: 0.95-1.1 CPU-s per GiB, about what the whole
// direct read of S3 costs, server included. Where the server shares the
// cores, that bounds a keep-cache read at about 0.6-0.7 times the direct
// one; with direct I/O the FUSE part is about 0.25.
//
// Options.DirectIO bypasses the page cache: each read() is one FUSE
// request of the reader's own size. With large reads that is the cheaper
// path (1 MiB reads: about 0.6-1.0 CPU-s/GiB); with small reads it is far
// worse, as nothing gathers them: ffmpeg's 32 KiB reads ran at a third of
// the keep-cache speed for three times its CPU. So keep-cache stays the
// default and DirectIO is for one-pass readers with large reads. Both
// allow mmap (direct I/O through the kernel's direct_io_allow_mmap, Linux
// 6.6 or later).
//
// The kernel sends a file's read-ahead as several requests at once and
// go-fuse serves each on its own goroutine; the mount hands adjacent ones
// to the Source in offset order, so a streaming Source sees one sequential
// run instead of requests overtaking each other.
package fusefs
