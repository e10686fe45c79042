package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/mezzfs"
)

// source is an opened input: a random-access reader with its size and a
// name for messages. Close releases it.
type source struct {
	Name string
	R    io.ReaderAt
	Size int64
	io.Closer
}

// openSource opens a local path, or an s3://, file://, http:// or https://
// URL, through the process's mezzfs.Storage (block cache, read-ahead,
// retries, pinned identity, access log), as the worker does. Nothing is
// copied locally: FFmpeg reads the object by byte range.
func (app *App) openSource(ctx context.Context, arg string) (*source, error) {
	st, err := app.storage()
	if err != nil {
		return nil, err
	}
	obj, err := st.Open(ctx, arg)
	if err != nil {
		return nil, err
	}
	return &source{Name: arg, R: obj, Size: obj.Size(), Closer: obj}, nil
}

// storage returns the process's mezzfs.Storage, made from app.Config on
// first use: one S3 client and block cache for every command and for the
// worker. closeStorage closes its access log.
func (app *App) storage() (*mezzfs.Storage, error) {
	if app.store != nil {
		return app.store, nil
	}
	cfg, closeLog, err := storageConfig(app.Config)
	if err != nil {
		return nil, err
	}
	app.store, app.storeCfg, app.closeLog = mezzfs.NewStorage(cfg), cfg, closeLog
	return app.store, nil
}

// workerStorage is the Storage a worker's activities use: app.storage(),
// confined when storage.roots or storage.s3_buckets is set. The roots are
// then storage.roots, the directory of storage.url when it is local (where
// jobs write by default), and app.allowed (the paths typed for a command's
// own embedded worker). Commands that act on paths their user typed (probe,
// vmaf, mezzfs) use app.storage() unconfined: the confinement guards
// against jobs written by others.
func (app *App) workerStorage() (*mezzfs.Storage, error) {
	base, err := app.storage()
	if err != nil {
		return nil, err
	}
	c := app.Config.Storage
	if len(c.Roots) == 0 && len(c.S3Buckets) == 0 && len(c.HTTPHosts) == 0 {
		return base, nil
	}
	cfg := app.storeCfg
	cfg.Cache = base.Cache()
	roots := slices.Clone(c.Roots)
	if len(roots) > 0 {
		if dir, ok := localDir(c.URL); ok {
			roots = append(roots, dir)
		}
		roots = append(roots, app.allowed...)
	}
	cfg.Confine = mezzfs.Confinement{Roots: roots, Buckets: c.S3Buckets, HTTPHosts: c.HTTPHosts}
	return mezzfs.NewStorage(cfg), nil
}

// allowPaths lets this command's embedded worker reach the local paths
// among urls (a source's directory, output and work directories) whatever
// storage.roots says: its user typed them. Call it before activities().
func (app *App) allowPaths(urls ...string) {
	for _, u := range urls {
		if dir, ok := localDir(u); ok {
			app.allowed = append(app.allowed, dir)
		}
	}
}

// closeStorage closes the access log of app.storage, if one was opened,
// and reports a write that failed.
func (app *App) closeStorage() error {
	if app.closeLog == nil {
		return nil
	}
	err := app.closeLog()
	app.store, app.closeLog = nil, nil
	return err
}

// storageConfig maps reel's configuration onto mezzfs's: the one mapping,
// used by the commands and the worker alike. The returned func closes the
// access log, if one was opened.
func storageConfig(c config.Config) (mezzfs.Config, func() error, error) {
	cfg := mezzfs.Config{
		S3: mezzfs.S3Config{
			Endpoint:  c.S3.Endpoint,
			Region:    c.S3.Region,
			PathStyle: c.S3.PathStyle,
			AccessKey: c.S3.AccessKey,
			SecretKey: c.S3.SecretKey,
		},
		BlockSize:     c.Mezzfs.BlockSize,
		CacheBytes:    c.Mezzfs.CacheBytes,
		CacheDir:      c.Mezzfs.CacheDir,
		CacheDirBytes: c.Mezzfs.CacheDirBytes,
		MaxReadAhead:  c.Mezzfs.MaxReadAhead,
	}
	noop := func() error { return nil }
	if c.Mezzfs.AccessLog == "" {
		return cfg, noop, nil
	}
	f, err := os.OpenFile(c.Mezzfs.AccessLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return cfg, noop, fmt.Errorf("mezzfs access log: %w", err)
	}
	cfg.AccessLog = mezzfs.NewAccessLog(f)
	log := cfg.AccessLog
	return cfg, func() error {
		return errors.Join(log.Err(), f.Close())
	}, nil
}
