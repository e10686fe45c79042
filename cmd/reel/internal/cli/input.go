package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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
// URL through mezzfs (block cache, read-ahead, retries, pinned identity),
// configured from app.Config.S3 and app.Config.Mezzfs. Nothing is copied
// locally: FFmpeg reads the object by byte range.
func (app *App) openSource(ctx context.Context, arg string) (*source, error) {
	if !strings.Contains(arg, "://") {
		f, err := os.Open(arg)
		if err != nil {
			return nil, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		return &source{Name: arg, R: f, Size: st.Size(), Closer: f}, nil
	}
	cfg, closeLog, err := app.mezzfsConfig()
	if err != nil {
		return nil, err
	}
	obj, err := mezzfs.Open(ctx, arg, cfg)
	if err != nil {
		closeLog()
		return nil, err
	}
	return &source{Name: arg, R: obj, Size: obj.Size(), Closer: mezzCloser(func() error {
		return errors.Join(obj.Close(), closeLog())
	})}, nil
}

type mezzCloser func() error

func (f mezzCloser) Close() error { return f() }

// mezzfsConfig maps reel's configuration onto mezzfs's. The returned func
// closes the access log, if one was opened.
func (app *App) mezzfsConfig() (mezzfs.Config, func() error, error) {
	c := app.Config
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
