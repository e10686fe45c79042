package cli

import (
	"context"
	"fmt"
	"io"
	"os"
)

// source is an opened input: a random-access reader with its size and a
// name for messages. Close releases it.
type source struct {
	Name string
	R    io.ReaderAt
	Size int64
	io.Closer
}

// openSource opens a path or URL for reading. Local paths only for now; the
// mezzfs work extends this to s3://, file:// and https:// URLs.
func (app *App) openSource(ctx context.Context, arg string) (*source, error) {
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
