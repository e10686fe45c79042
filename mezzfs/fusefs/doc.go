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
package fusefs
