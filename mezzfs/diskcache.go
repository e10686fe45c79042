package mezzfs

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// diskCache keeps blocks as files named by hash(identity, range) under
// dir/v1/xx/. It is shared by processes without a server:
//   - a block is written to a temp file and renamed into place, so readers
//     see a whole block or none;
//   - each file ends with the block's length and CRC-32C, so a damaged file
//     is a miss (and is removed), never wrong bytes;
//   - a hit refreshes the file's mtime, the LRU clock used by eviction;
//   - eviction runs in one process at a time (flock on dir/v1/.evict) and
//     tolerates files vanishing under it.
type diskCache struct {
	dir   string
	limit int64

	mu       sync.Mutex
	estimate int64 // bytes believed to be on disk; rescanned when over limit
}

const diskTrailer = 12 // uint64 length + uint32 CRC-32C, little-endian

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func newDiskCache(dir string, limit int64) (*diskCache, error) {
	root := filepath.Join(dir, "v1")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("mezzfs: disk cache %s: %w", dir, err)
	}
	d := &diskCache{dir: root, limit: limit}
	d.estimate, _ = d.scan(nil)
	return d, nil
}

func diskKey(identity string, start, end int64) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", identity, start, end))
	return hex.EncodeToString(h[:])
}

func (d *diskCache) path(key string) string {
	return filepath.Join(d.dir, key[:2], key+".blk")
}

// get returns the block if a whole, undamaged copy of size n is on disk.
func (d *diskCache) get(key string, n int64) ([]byte, bool) {
	p := d.path(key)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	if int64(len(b)) != n+diskTrailer {
		os.Remove(p)
		return nil, false
	}
	data, tr := b[:n], b[n:]
	if binary.LittleEndian.Uint64(tr) != uint64(n) || binary.LittleEndian.Uint32(tr[8:]) != crc32.Checksum(data, castagnoli) {
		os.Remove(p)
		return nil, false
	}
	now := time.Now()
	os.Chtimes(p, now, now)
	return data, true
}

// has says whether a copy of the block is on disk (get still checks it).
func (d *diskCache) has(key string) bool {
	_, err := os.Stat(d.path(key))
	return err == nil
}

// put stores a block; failures only cost a future miss, so they are dropped.
func (d *diskCache) put(key string, data []byte) {
	p := d.path(key)
	if _, err := os.Stat(p); err == nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return
	}
	var tr [diskTrailer]byte
	binary.LittleEndian.PutUint64(tr[:], uint64(len(data)))
	binary.LittleEndian.PutUint32(tr[8:], crc32.Checksum(data, castagnoli))
	_, err1 := f.Write(data)
	_, err2 := f.Write(tr[:])
	err3 := f.Close()
	if err1 != nil || err2 != nil || err3 != nil || os.Rename(f.Name(), p) != nil {
		os.Remove(f.Name())
		return
	}
	d.mu.Lock()
	d.estimate += int64(len(data)) + diskTrailer
	over := d.estimate > d.limit
	d.mu.Unlock()
	if over {
		d.evict()
	}
}

type diskFile struct {
	path  string
	size  int64
	mtime time.Time
}

// scan sums the cache's files (and lists them when files != nil). Stale
// temp files (a crashed writer) older than an hour are removed.
func (d *diskCache) scan(files *[]diskFile) (int64, error) {
	var total int64
	err := filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil // a file or dir removed by another process
		}
		info, err := e.Info()
		if err != nil {
			return nil
		}
		name := e.Name()
		if strings.HasPrefix(name, ".tmp-") {
			if time.Since(info.ModTime()) > time.Hour {
				os.Remove(p)
			}
			return nil
		}
		if !strings.HasSuffix(name, ".blk") {
			return nil
		}
		total += info.Size()
		if files != nil {
			*files = append(*files, diskFile{p, info.Size(), info.ModTime()})
		}
		return nil
	})
	return total, err
}

// evict removes the least recently used blocks until the cache is at 90%
// of its limit. Only one process evicts at a time; the others skip.
func (d *diskCache) evict() {
	lock, err := os.OpenFile(filepath.Join(d.dir, ".evict"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	var files []diskFile
	total, _ := d.scan(&files)
	target := d.limit / 10 * 9
	if total > d.limit {
		sort.Slice(files, func(i, j int) bool { return files[i].mtime.Before(files[j].mtime) })
		for _, f := range files {
			if total <= target {
				break
			}
			if err := os.Remove(f.path); err == nil || os.IsNotExist(err) {
				total -= f.size
			}
		}
	}
	d.mu.Lock()
	d.estimate = total
	d.mu.Unlock()
}
