package mezzfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Object is a Source over one pinned object version: reads go through the
// block cache (unless Config.Direct) with adaptive read-ahead, retries and
// identity checks. It is safe for concurrent use. Close stops read-ahead.
type Object struct {
	be     backend
	inf    Info
	id     string // inf.Identity(), the cache key prefix, formatted once
	cfg    Config
	cache  *Cache // nil when Direct
	st     *counters
	lo, hi int64 // this view's bytes of the object: [lo, hi)
	ra     readAhead
	root   bool // owns be
	// streams: sequential runs are served by seq (see stream.go) rather
	// than by block read-ahead.
	streams bool
	seq     seqStream

	// ctx bounds fetches and read-ahead; Close cancels it and waits.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{} // bounds read-ahead goroutines
	// diskSem bounds the goroutines writing streamed blocks to disk.
	diskSem chan struct{}
	once    sync.Once
}

func newObject(be backend, cfg Config) *Object {
	inf := be.info()
	o := &Object{be: be, inf: inf, id: inf.Identity(), cfg: cfg, lo: 0, hi: inf.Size, root: true}
	if !cfg.Direct {
		o.cache = cfg.Cache
		if o.cache == nil {
			// A private cache; a disk cache dir that cannot be created
			// degrades to memory only rather than failing the open.
			c, err := NewCache(CacheConfig{BlockSize: cfg.BlockSize, MemoryBytes: cfg.CacheBytes, Dir: cfg.CacheDir, DirBytes: cfg.CacheDirBytes})
			if err != nil {
				c, _ = NewCache(CacheConfig{BlockSize: cfg.BlockSize, MemoryBytes: cfg.CacheBytes})
			}
			o.cache = c
		}
		o.st = &o.cache.st
	} else {
		o.st = new(counters)
	}
	o.start(context.Background())
	return o
}

func (o *Object) start(parent context.Context) {
	o.ctx, o.cancel = context.WithCancel(parent)
	window := o.cfg.MaxReadAhead
	if o.cache != nil {
		bs := o.cache.blockSize
		// Read-ahead into a cache too small to hold it would evict blocks
		// before they are read.
		if m := o.cache.max; m >= 0 && window > 0 && int64(window+1)*bs > m/2 {
			window = int(m/2/bs) - 1
		}
		if o.cache.max < 0 && o.cache.disk == nil {
			window = 0
		}
		// No read has been seen: the first is not sequential.
		o.ra = readAhead{next: math.MinInt64 / 2, lastBlock: -1, max: max(window, 0), bs: bs}
	}
	o.sem = make(chan struct{}, max(window, 1))
	o.diskSem = make(chan struct{}, 2)
	_, canStream := o.be.(streamer)
	// With a disk cache too: whole blocks a stream delivers are written to
	// it (seqStream.tee) and blocks already there are read from it.
	o.streams = canStream && o.cache != nil && o.ra.max > 0
	o.seq.next, o.seq.diskIdx = -1, -1
}

// Range returns bytes [a, b) of o (relative to o) as an Object sharing its
// connection and cache. Read-ahead and fetches stay inside [a, b).
func (o *Object) Range(a, b int64) (*Object, error) {
	if b > o.Size() {
		b = o.Size()
	}
	if a < 0 || a > b {
		return nil, fmt.Errorf("mezzfs: %s: range [%d,%d) of %d bytes: %w", o.inf.URL, a, b, o.Size(), ErrRequest)
	}
	v := &Object{be: o.be, inf: o.inf, id: o.id, cfg: o.cfg, cache: o.cache, st: o.st, lo: o.lo + a, hi: o.lo + b}
	v.start(o.ctx)
	return v, nil
}

// Size is the number of bytes in the object, or in the range view.
func (o *Object) Size() int64 { return o.hi - o.lo }

// Info is the identity pinned at open.
func (o *Object) Info() Info { return o.inf }

// URL is the canonical URL of the object.
func (o *Object) URL() string { return o.inf.URL }

// Stats returns the counters of o's cache (shared with every Object using
// it), or of o alone when Direct.
func (o *Object) Stats() Stats { return o.st.snapshot() }

// Close stops read-ahead and, for an Object from Open, releases its
// connection or file. Views of a closed Object fail with ErrClosed.
func (o *Object) Close() error {
	var err error
	o.once.Do(func() {
		o.cancel()
		o.wg.Wait()
		o.seq.mu.Lock()
		o.seq.closeBody()
		o.seq.dropPending(&o.wg)
		o.seq.gaps = nil
		o.seq.mu.Unlock()
		o.wg.Wait()
		if c, ok := o.be.(closer); ok && o.root {
			err = c.close()
		}
	})
	return err
}

// ReadAt implements io.ReaderAt.
func (o *Object) ReadAt(p []byte, off int64) (int, error) {
	return o.ReadAtContext(o.ctx, p, off)
}

// ReadAtContext is ReadAt bounded by ctx as well as by Close.
func (o *Object) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("mezzfs: %s: ReadAt %d: %w", o.inf.URL, off, ErrNegativeOffset)
	}
	if o.ctx.Err() != nil {
		return 0, fmt.Errorf("mezzfs: %s: %w", o.inf.URL, ErrClosed)
	}
	size := o.Size()
	if off >= size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), size-off))
	if n == 0 {
		return 0, nil
	}
	if ctx != o.ctx {
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(ctx)
		defer stop()
		defer context.AfterFunc(o.ctx, stop)()
	}
	t0 := time.Now()
	var hit bool
	var err error
	abs := o.lo + off
	handled := false
	switch {
	case o.cache == nil:
		err = o.fetch(ctx, p[:n], abs, false)
		handled = true
	case o.streams:
		handled, hit, err = o.streamRead(ctx, p[:n], abs)
	}
	if !handled {
		hit, err = o.readBlocks(ctx, p[:n], abs)
	}
	o.st.reads.Add(1)
	if o.cfg.AccessLog != nil {
		o.cfg.AccessLog.record(Record{Op: OpRead, URL: o.inf.URL, Off: abs, Len: int64(n), Hit: hit, Micros: time.Since(t0).Microseconds(), Err: errString(err)})
	}
	if err != nil {
		o.st.errors.Add(1)
		return 0, err
	}
	o.st.bytesRead.Add(int64(n))
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readBlocks fills p with the bytes at abs through the cache; hit reports
// that no fetch was needed.
func (o *Object) readBlocks(ctx context.Context, p []byte, abs int64) (bool, error) {
	bs := o.cache.blockSize
	end := abs + int64(len(p))
	first, last := abs/bs, (end-1)/bs
	window := o.ra.observe(abs, end)
	if !o.streams {
		o.readAhead(window, last)
	}
	// A read outside a sequential run fetches only around itself; with a
	// stream, the block path serves no sequential run.
	random := window == 0 || o.streams

	var fetched atomic.Bool
	one := func(ctx context.Context, idx int64) error {
		s, e := max(abs, idx*bs), min(end, (idx+1)*bs)
		data, ent, f, err := o.block(ctx, idx, s, e, random)
		if err != nil {
			return err
		}
		if f {
			fetched.Store(true)
		}
		copy(p[s-abs:e-abs], data)
		o.cache.unref(ent)
		return nil
	}
	if first == last {
		err := one(ctx, first)
		return !fetched.Load(), err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(o.cfg.MaxReadAhead, 1))
	for idx := first; idx <= last; idx++ {
		g.Go(func() error { return one(gctx, idx) })
	}
	err := g.Wait()
	return !fetched.Load(), err
}

// blockRange is block idx clipped to this view.
func (o *Object) blockRange(idx int64) (int64, int64) {
	bs := o.cache.blockSize
	return max(idx*bs, o.lo), min((idx+1)*bs, o.hi)
}

// block returns bytes [s, e) of block idx, from memory, from another
// reader's in-flight fetch, from disk or fetched (fetched reports the
// last). The caller copies the bytes out, then drops ent with Cache.unref.
func (o *Object) block(ctx context.Context, idx, s, e int64, random bool) (data []byte, ent *cached, fetched bool, err error) {
	return o.blockFetch(ctx, idx, s, e, false, random)
}

// prefetchBlock fetches block idx for read-ahead, taking no reference.
func (o *Object) prefetchBlock(idx, fs, fe int64) {
	o.blockFetch(o.ctx, idx, fs, fe, true, false)
}

// blockFetch is block, or a prefetch (which copies nothing and gets no
// reference). A random read that misses fetches only the randomFetch-aligned
// bytes around [s, e), joined with what the cache holds of the block, so a
// second miss in the block widens the cached part rather than adding one.
func (o *Object) blockFetch(ctx context.Context, idx, s, e int64, prefetch, random bool) (data []byte, ent *cached, fetched bool, err error) {
	c := o.cache
	k := blockKey{obj: o.id, idx: idx}
	c.mu.Lock()
	if data, ent, ok := c.lookupLocked(k, s, e); ok {
		if prefetch {
			c.unrefLocked(ent)
			ent = nil
		}
		c.mu.Unlock()
		if !prefetch {
			o.st.hits.Add(1)
		}
		return data, ent, false, nil
	}
	if cl, ok := c.inflight[k]; ok && cl.start <= s && e <= cl.end {
		if prefetch {
			c.mu.Unlock()
			return nil, nil, false, nil
		}
		cl.waiters++
		c.mu.Unlock()
		o.st.shared.Add(1)
		select {
		case <-cl.done:
		case <-ctx.Done():
			c.mu.Lock()
			if cl.published {
				if cl.ent != nil {
					c.unrefLocked(cl.ent)
				}
			} else {
				cl.waiters--
			}
			c.mu.Unlock()
			return nil, nil, false, fmt.Errorf("mezzfs: %s: %w", o.inf.URL, ctx.Err())
		}
		if cl.err != nil {
			if errors.Is(cl.err, context.Canceled) && ctx.Err() == nil {
				// The fetch belonged to a reader that went away (a closed
				// Object sharing the cache); fetch it ourselves.
				return o.blockFetch(ctx, idx, s, e, prefetch, random)
			}
			return nil, nil, false, cl.err
		}
		return cl.data[s-cl.start : e-cl.start], cl.ent, false, nil
	}
	fs, fe := o.blockRange(idx)
	if random && c.blockSize > randomFetch && !o.onDisk(s) {
		// (A block on disk is loaded whole: reading it costs no fetch.)
		fs, fe = o.randomRange(k, fs, fe, s, e)
	}
	cl := &call{start: fs, end: fe, done: make(chan struct{})}
	_, busy := c.inflight[k]
	if !busy {
		c.inflight[k] = cl
	}
	c.mu.Unlock()

	cl.data, cl.err = o.load(ctx, idx, fs, fe, prefetch)
	c.mu.Lock()
	ent = c.publishLocked(k, cl, !busy, !prefetch)
	c.mu.Unlock()
	close(cl.done)
	if cl.err != nil {
		return nil, nil, false, cl.err
	}
	return cl.data[s-fs : e-fs], ent, true, nil
}

// randomRange is the part of block k ([bs, be) in this view) a random read
// of [s, e) fetches: [s, e) widened to randomFetch boundaries and joined
// with the part of the block already cached. c.mu is held.
func (o *Object) randomRange(k blockKey, bs, be, s, e int64) (int64, int64) {
	fs := max(bs, s/randomFetch*randomFetch)
	fe := min(be, (e+randomFetch-1)/randomFetch*randomFetch)
	if el, ok := o.cache.entries[k]; ok {
		b := el.Value.(*cached)
		fs, fe = min(fs, b.start), max(fe, b.start+int64(len(b.data)))
	}
	return fs, fe
}

// load gets bytes [fs, fe) of block idx from the disk cache or the source.
func (o *Object) load(ctx context.Context, idx, fs, fe int64, prefetch bool) ([]byte, error) {
	c := o.cache
	id := o.id
	var key string
	if c.disk != nil {
		fullS, fullE := o.wholeBlock(idx)
		if fullS != fs || fullE != fe {
			if data, ok := c.disk.get(diskKey(id, fullS, fullE), fullE-fullS); ok {
				o.st.diskHits.Add(1)
				return data[fs-fullS : fe-fullS], nil
			}
		}
		key = diskKey(id, fs, fe)
		if data, ok := c.disk.get(key, fe-fs); ok {
			o.st.diskHits.Add(1)
			return data, nil
		}
	}
	if prefetch {
		o.st.prefetches.Add(1)
	} else {
		o.st.misses.Add(1)
	}
	data := c.buffer(fe - fs)
	if err := o.fetch(ctx, data, fs, prefetch); err != nil {
		return nil, err
	}
	if c.disk != nil {
		c.disk.put(key, data)
	}
	return data, nil
}

// fetch reads p at abs from the source, with retries, and logs it.
func (o *Object) fetch(ctx context.Context, p []byte, abs int64, prefetch bool) error {
	t0 := time.Now()
	err := retryCounted(ctx, o.cfg, &o.st.retries, func(ctx context.Context) error {
		return o.be.fetch(ctx, p, abs)
	})
	if err == nil {
		o.st.fetches.Add(1)
		o.st.bytesFetched.Add(int64(len(p)))
	}
	if o.cfg.AccessLog != nil {
		o.cfg.AccessLog.record(Record{Op: OpFetch, URL: o.inf.URL, Off: abs, Len: int64(len(p)), Prefetch: prefetch, Micros: time.Since(t0).Microseconds(), Err: errString(err)})
	}
	return err
}

// readAhead keeps up to window blocks after last held or in flight, one
// request per block. It waits for nothing: when every read-ahead slot is
// busy the rest is left for later reads. (Over a backend that streams and
// with no disk cache, sequential runs are served by the stream instead.)
func (o *Object) readAhead(window int, last int64) {
	if window <= 0 {
		return
	}
	id := o.id
	held := func(idx int64) (bool, bool) { // (inside the view, held or in flight)
		fs, fe := o.blockRange(idx)
		if fs >= fe {
			return false, false
		}
		return true, o.cache.holds(blockKey{obj: id, idx: idx}, fs, fe)
	}
	end := last + int64(window)
	for idx := last + 1; idx <= end; idx++ {
		in, h := held(idx)
		if !in {
			return
		}
		if h {
			continue
		}
		if !o.acquire() {
			return
		}
		fs, fe := o.blockRange(idx)
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			defer o.release()
			// Errors surface again on the demand read of the block.
			o.prefetchBlock(idx, fs, fe)
		}()
	}
}

func (o *Object) acquire() bool {
	select {
	case o.sem <- struct{}{}:
		return true
	default:
		return false
	}
}

func (o *Object) release() { <-o.sem }

// readAhead detects sequential access. A read starting near where the last
// one ended keeps read-ahead on, and each new block such a run enters
// doubles the window, capped by the blocks the run has entered and by max:
// a short run overshoots little and a long one streams. Any other read
// turns read-ahead off.
type readAhead struct {
	mu        sync.Mutex
	next      int64 // where a sequential read would start
	lastBlock int64 // the block the last read started in
	window    int
	run       int // blocks entered by the current sequential run
	max       int
	bs        int64
}

func (r *readAhead) observe(start, end int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.max == 0 {
		return 0
	}
	block := start / r.bs
	// Parallel readers (the kernel under FUSE, a decoder's worker) land a
	// little before or after the previous end; that still counts.
	switch {
	case start < r.next-r.bs || start > r.next+r.bs:
		r.window, r.run = 0, 0
	case r.window == 0:
		r.window, r.run = 1, 1
	case block != r.lastBlock:
		// Never ahead by more blocks than the run has read: a short run
		// (one chunk of a long mezzanine) wastes at most what it used.
		r.run++
		r.window = min(2*r.window, r.run, r.max)
	}
	r.lastBlock = block
	if end > r.next || r.window == 0 {
		r.next = end
	}
	return r.window
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Wrap puts any Source behind mezzfs's block cache, read-ahead, retries
// and access log: the decorator has the same interface as what it wraps.
// name identifies the source in cache keys and messages; Sources sharing a
// Cache must have distinct names. Wrap does not close src.
func Wrap(name string, src Source, cfg Config) *Object {
	return newObject(sourceBackend{name: name, src: src}, cfg.withDefaults())
}

type sourceBackend struct {
	name string
	src  Source
}

func (b sourceBackend) info() Info { return Info{URL: b.name, Size: b.src.Size()} }

func (b sourceBackend) fetch(ctx context.Context, p []byte, off int64) error {
	n, err := b.src.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("mezzfs: %s: read %d of %d bytes at %d: %w", b.name, n, len(p), off, err)
}
