package mezzfs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FileStore is a Store in a local directory. Keys map to paths below Root.
type FileStore struct {
	Root string
}

// NewFileStore returns the store rooted at dir, creating dir if needed.
func NewFileStore(dir string) (*FileStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("mezzfs: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("mezzfs: %w", err)
	}
	return &FileStore{Root: abs}, nil
}

// URL implements Store.
func (s *FileStore) URL(key string) string {
	return "file://" + filepath.ToSlash(filepath.Join(s.Root, key))
}

// Path returns the local path of key, so callers on the same machine can read
// an object without copying it.
func (s *FileStore) Path(key string) (string, error) {
	k, err := cleanKey(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.Root, filepath.FromSlash(k)), nil
}

// Put implements Store.
func (s *FileStore) Put(ctx context.Context, key, localPath string) (StoredObject, error) {
	f, err := os.Open(localPath)
	if err != nil {
		return StoredObject{}, fmt.Errorf("mezzfs: %w", err)
	}
	defer f.Close()
	return s.put(ctx, key, f)
}

// PutBytes implements Store.
func (s *FileStore) PutBytes(ctx context.Context, key string, data []byte) (StoredObject, error) {
	return s.put(ctx, key, bytes.NewReader(data))
}

func (s *FileStore) put(ctx context.Context, key string, r io.Reader) (StoredObject, error) {
	dst, err := s.Path(key)
	if err != nil {
		return StoredObject{}, err
	}
	if err := ctx.Err(); err != nil {
		return StoredObject{}, err
	}
	h := sha256.New()
	n, err := writeAtomic(dst, io.TeeReader(r, h))
	if err != nil {
		return StoredObject{}, fmt.Errorf("mezzfs: put %s: %w", s.URL(key), err)
	}
	return StoredObject{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Get implements Store.
func (s *FileStore) Get(ctx context.Context, key, localPath string) (StoredObject, error) {
	src, err := s.Path(key)
	if err != nil {
		return StoredObject{}, err
	}
	f, err := os.Open(src)
	if err != nil {
		return StoredObject{}, classifyFile(s.URL(key), err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := writeAtomic(localPath, io.TeeReader(f, h))
	if err != nil {
		return StoredObject{}, fmt.Errorf("mezzfs: get %s: %w", s.URL(key), err)
	}
	return StoredObject{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// GetBytes implements Store.
func (s *FileStore) GetBytes(ctx context.Context, key string) ([]byte, error) {
	src, err := s.Path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return nil, classifyFile(s.URL(key), err)
	}
	return b, nil
}

// Stat implements Store. It hashes the file, so the digest is always right
// even for files put there by other means.
func (s *FileStore) Stat(ctx context.Context, key string) (StoredObject, error) {
	p, err := s.Path(key)
	if err != nil {
		return StoredObject{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return StoredObject{}, classifyFile(s.URL(key), err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return StoredObject{}, fmt.Errorf("mezzfs: %w", err)
	}
	if st.IsDir() {
		return StoredObject{}, fmt.Errorf("mezzfs: %s: %w", s.URL(key), ErrNotFound)
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return StoredObject{}, fmt.Errorf("mezzfs: stat %s: %w", s.URL(key), err)
	}
	return StoredObject{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// List implements Store. Digests are not computed (SHA256 is empty); Stat
// one object to get it.
func (s *FileStore) List(ctx context.Context, prefix string) ([]StoredObject, error) {
	var out []StoredObject
	err := filepath.WalkDir(s.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || isTemp(d.Name()) {
			return nil
		}
		rel, err := filepath.Rel(s.Root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, StoredObject{Key: key, Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mezzfs: list %s: %w", s.URL(prefix), err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// DeletePrefix implements Store. Directories left empty are removed too.
func (s *FileStore) DeletePrefix(ctx context.Context, prefix string) error {
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return err
	}
	dirs := map[string]bool{}
	for _, o := range objs {
		p := filepath.Join(s.Root, filepath.FromSlash(o.Key))
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("mezzfs: delete %s: %w", s.URL(o.Key), err)
		}
		for d := filepath.Dir(p); d != s.Root && strings.HasPrefix(d, s.Root); d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	// Deepest first, so parents are empty by the time they are tried;
	// non-empty directories (other objects) stay.
	ordered := make([]string, 0, len(dirs))
	for d := range dirs {
		ordered = append(ordered, d)
	}
	sort.Slice(ordered, func(i, j int) bool { return len(ordered[i]) > len(ordered[j]) })
	for _, d := range ordered {
		_ = os.Remove(d)
	}
	return nil
}

const tempSuffix = ".reel-tmp"

func isTemp(name string) bool { return strings.Contains(name, tempSuffix) }

// writeAtomic copies r to a temporary file next to dst, syncs it and renames
// it over dst, so dst is either absent, the old content or the whole new one.
func writeAtomic(dst string, r io.Reader) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*"+tempSuffix)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(tmp, r)
	if err == nil {
		// CreateTemp makes the file private; published outputs are ordinary
		// files that other users and services (a web server) read.
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, err
	}
	return n, nil
}
