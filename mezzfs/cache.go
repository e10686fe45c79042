package mezzfs

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// CacheConfig sizes a Cache. Zero fields take the defaults of Config.
type CacheConfig struct {
	// BlockSize of cached blocks. Default: 8 MiB.
	BlockSize int64
	// MemoryBytes is the in-memory LRU budget. Default: 256 MiB; negative
	// disables the memory cache.
	MemoryBytes int64
	// Dir enables the on-disk cache shared by processes; empty disables it.
	Dir string
	// DirBytes limits the on-disk cache. Default: 10 GiB.
	DirBytes int64
}

// Cache holds blocks of many objects: an in-memory LRU with a byte budget
// and, optionally, an on-disk cache that survives restarts and is shared by
// processes. Concurrent requests for one block are served by one fetch.
// It is safe for concurrent use.
type Cache struct {
	blockSize int64
	disk      *diskCache
	st        counters

	mu       sync.Mutex // guards the fields below
	max      int64
	used     int64
	lru      *list.List // of *cached, most recent first
	entries  map[blockKey]*list.Element
	inflight map[blockKey]*call
}

type blockKey struct {
	obj string // Info.Identity()
	idx int64
}

// cached is a block, or the part of it inside a range view: bytes
// [start, start+len(data)) of the object.
type cached struct {
	key   blockKey
	start int64
	data  []byte
}

// call is one in-flight fetch that other readers of the block wait on.
type call struct {
	start, end int64
	done       chan struct{}
	data       []byte
	err        error
}

// NewCache makes a Cache; it fails only when Dir cannot be created.
func NewCache(cfg CacheConfig) (*Cache, error) {
	d := Config{BlockSize: cfg.BlockSize, CacheBytes: cfg.MemoryBytes, CacheDirBytes: cfg.DirBytes}.withDefaults()
	c := &Cache{
		blockSize: d.BlockSize,
		max:       d.CacheBytes,
		lru:       list.New(),
		entries:   make(map[blockKey]*list.Element),
		inflight:  make(map[blockKey]*call),
	}
	if cfg.Dir != "" {
		dc, err := newDiskCache(cfg.Dir, d.CacheDirBytes)
		if err != nil {
			return nil, err
		}
		c.disk = dc
	}
	return c, nil
}

// BlockSize is the size of the cache's blocks.
func (c *Cache) BlockSize() int64 { return c.blockSize }

// MemoryBytes is the in-memory budget (negative: no memory cache).
func (c *Cache) MemoryBytes() int64 { return c.max }

// MemoryUsed is the bytes held by the in-memory LRU now.
func (c *Cache) MemoryUsed() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// Stats returns the counters of every Object using this cache.
func (c *Cache) Stats() Stats { return c.st.snapshot() }

// lookup returns the cached bytes [s, e) of block k, if held.
func (c *Cache) lookupLocked(k blockKey, s, e int64) ([]byte, bool) {
	el, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	b := el.Value.(*cached)
	if s < b.start || e > b.start+int64(len(b.data)) {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return b.data[s-b.start : e-b.start], true
}

// addLocked stores a block (replacing a narrower one) and evicts the least
// recently used blocks beyond the budget. Readers holding a slice of an
// evicted block keep it alive: blocks are never modified.
func (c *Cache) addLocked(k blockKey, start int64, data []byte) {
	if c.max < 0 {
		return
	}
	if el, ok := c.entries[k]; ok {
		old := el.Value.(*cached)
		if int64(len(old.data)) >= int64(len(data)) {
			return
		}
		c.used -= int64(len(old.data))
		c.lru.Remove(el)
		delete(c.entries, k)
	}
	c.entries[k] = c.lru.PushFront(&cached{key: k, start: start, data: data})
	c.used += int64(len(data))
	for c.used > c.max && c.lru.Len() > 1 {
		el := c.lru.Back()
		b := el.Value.(*cached)
		c.lru.Remove(el)
		delete(c.entries, b.key)
		c.used -= int64(len(b.data))
	}
}

// holds reports whether block k is cached or being fetched over [s, e).
func (c *Cache) holds(k blockKey, s, e int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		b := el.Value.(*cached)
		if s >= b.start && e <= b.start+int64(len(b.data)) {
			return true
		}
	}
	cl, ok := c.inflight[k]
	return ok && cl.start <= s && e <= cl.end
}

// Stats counts what reads cost. Block lookups are Hits + DiskHits + Misses
// + Shared.
type Stats struct {
	Reads        int64 `json:"reads"`         // ReadAt calls
	BytesRead    int64 `json:"bytes_read"`    // bytes returned to callers
	Hits         int64 `json:"hits"`          // block lookups served from memory
	DiskHits     int64 `json:"disk_hits"`     // block lookups served from the disk cache
	Misses       int64 `json:"misses"`        // block lookups that fetched from the source
	Shared       int64 `json:"shared"`        // block lookups that waited on another reader's fetch
	Prefetches   int64 `json:"prefetches"`    // blocks fetched by read-ahead
	Fetches      int64 `json:"fetches"`       // successful ranged requests
	BytesFetched int64 `json:"bytes_fetched"` // bytes those requests returned
	Retries      int64 `json:"retries"`       // attempts repeated after a transient failure
	Errors       int64 `json:"errors"`        // ReadAt calls that failed
}

type counters struct {
	reads, bytesRead, hits, diskHits, misses, shared, prefetches,
	fetches, bytesFetched, retries, errors atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Reads: c.reads.Load(), BytesRead: c.bytesRead.Load(), Hits: c.hits.Load(),
		DiskHits: c.diskHits.Load(), Misses: c.misses.Load(), Shared: c.shared.Load(),
		Prefetches: c.prefetches.Load(), Fetches: c.fetches.Load(), BytesFetched: c.bytesFetched.Load(),
		Retries: c.retries.Load(), Errors: c.errors.Load(),
	}
}
