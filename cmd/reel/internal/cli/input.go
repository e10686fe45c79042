package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

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
	app.store, app.closeLog = mezzfs.NewStorage(cfg), closeLog
	return app.store, nil
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
