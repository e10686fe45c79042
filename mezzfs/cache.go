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
	free     [][]byte // evicted blocks' buffers, cap == blockSize
}

type blockKey struct {
	obj string // Info.Identity()
	idx int64
}

// cached is a block, or the part of it inside a range view: bytes
// [start, start+len(data)) of the object. Readers copying out of data hold
// a reference; an evicted block's buffer is reused for a new block only
// once the last reference is dropped, so a reader never sees it change.
type cached struct {
	key     blockKey
	start   int64
	data    []byte
	refs    int  // guarded by Cache.mu
	evicted bool // guarded by Cache.mu
}

// call is one in-flight fetch that other readers of the block wait on.
type call struct {
	start, end int64
	done       chan struct{}
	data       []byte
	err        error
	// Guarded by Cache.mu: readers waiting, and once published, the cache
	// entry holding data (nil if it was not cached), with a reference
	// taken for each waiter.
	waiters   int
	published bool
	ent       *cached
}

// maxFree bounds the block buffers kept for reuse. Allocating fresh
// buffers costs a streaming read a third of its speed (page faults and
// zeroing); a few recycled ones are enough to avoid that.
const maxFree = 4

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

// lookupLocked returns the cached bytes [s, e) of block k, if held, with a
// reference the caller must drop with unref once it has copied them.
func (c *Cache) lookupLocked(k blockKey, s, e int64) ([]byte, *cached, bool) {
	el, ok := c.entries[k]
	if !ok {
		return nil, nil, false
	}
	b := el.Value.(*cached)
	if s < b.start || e > b.start+int64(len(b.data)) {
		return nil, nil, false
	}
	c.lru.MoveToFront(el)
	b.refs++
	return b.data[s-b.start : e-b.start], b, true
}

// prefixLocked is lookupLocked for the longest prefix of [s, e) that block
// k holds: nil when it does not hold s.
func (c *Cache) prefixLocked(k blockKey, s, e int64) ([]byte, *cached) {
	el, ok := c.entries[k]
	if !ok {
		return nil, nil
	}
	b := el.Value.(*cached)
	end := b.start + int64(len(b.data))
	if s < b.start || s >= end {
		return nil, nil
	}
	c.lru.MoveToFront(el)
	b.refs++
	return b.data[s-b.start : min(e, end)-b.start], b
}

// heldLocked reports whether block k is cached or in flight over [s, e).
func (c *Cache) heldLocked(k blockKey, s, e int64) bool {
	if el, ok := c.entries[k]; ok {
		b := el.Value.(*cached)
		if s >= b.start && e <= b.start+int64(len(b.data)) {
			return true
		}
	}
	cl, ok := c.inflight[k]
	return ok && cl.start <= s && e <= cl.end
}

// unref drops a reference from lookupLocked or a published call.
func (c *Cache) unref(b *cached) {
	if b == nil {
		return
	}
	c.mu.Lock()
	c.unrefLocked(b)
	c.mu.Unlock()
}

func (c *Cache) unrefLocked(b *cached) {
	b.refs--
	if b.refs == 0 && b.evicted {
		c.recycleLocked(b)
	}
}

func (c *Cache) recycleLocked(b *cached) {
	if int64(cap(b.data)) == c.blockSize && len(c.free) < maxFree {
		c.free = append(c.free, b.data[:cap(b.data)])
	}
	b.data = nil
}

// buffer returns an n-byte buffer for a block, reused when possible. Its
// contents are stale: the fetch overwrites all of it.
func (c *Cache) buffer(n int64) []byte {
	if n == c.blockSize {
		c.mu.Lock()
		if k := len(c.free); k > 0 {
			b := c.free[k-1]
			c.free = c.free[:k-1]
			c.mu.Unlock()
			return b
		}
		c.mu.Unlock()
	}
	return make([]byte, n)
}

// publishLocked ends call cl for block k: it caches the data (when
// fetched) and takes a reference for each waiter, plus one for the caller
// when self is set; the returned entry is what the caller must unref.
func (c *Cache) publishLocked(k blockKey, cl *call, registered, self bool) *cached {
	if registered {
		delete(c.inflight, k)
	}
	cl.published = true
	if cl.err != nil {
		return nil
	}
	cl.ent = c.addLocked(k, cl.start, cl.data)
	if cl.ent == nil {
		return nil
	}
	cl.ent.refs += cl.waiters
	if self {
		cl.ent.refs++
		return cl.ent
	}
	return nil
}

// addLocked stores a block (replacing a narrower one) and evicts the least
// recently used blocks beyond the budget. It returns the entry, or nil when
// the block was not stored (no memory cache, or a wider copy is held).
func (c *Cache) addLocked(k blockKey, start int64, data []byte) *cached {
	if c.max < 0 {
		return nil
	}
	if el, ok := c.entries[k]; ok {
		old := el.Value.(*cached)
		if int64(len(old.data)) >= int64(len(data)) {
			return nil
		}
		c.evictLocked(el)
	}
	b := &cached{key: k, start: start, data: data}
	c.entries[k] = c.lru.PushFront(b)
	c.used += int64(len(data))
	for c.used > c.max && c.lru.Len() > 1 {
		c.evictLocked(c.lru.Back())
	}
	return b
}

func (c *Cache) evictLocked(el *list.Element) {
	b := el.Value.(*cached)
	c.lru.Remove(el)
	delete(c.entries, b.key)
	c.used -= int64(len(b.data))
	b.evicted = true
	if b.refs == 0 {
		c.recycleLocked(b)
	}
}

// holds reports whether block k is cached or being fetched over [s, e).
func (c *Cache) holds(k blockKey, s, e int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heldLocked(k, s, e)
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
	Streamed     int64 `json:"streamed"`      // bytes read straight from a sequential run's response
}

type counters struct {
	reads, bytesRead, hits, diskHits, misses, shared, prefetches,
	fetches, bytesFetched, retries, errors, streamed atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Reads: c.reads.Load(), BytesRead: c.bytesRead.Load(), Hits: c.hits.Load(),
		DiskHits: c.diskHits.Load(), Misses: c.misses.Load(), Shared: c.shared.Load(),
		Prefetches: c.prefetches.Load(), Fetches: c.fetches.Load(), BytesFetched: c.bytesFetched.Load(),
		Retries: c.retries.Load(), Errors: c.errors.Load(), Streamed: c.streamed.Load(),
	}
}
