package mezzfs

import (
	"context"
	"io"
	"sync"
	"time"
)

// Sequential runs over a backend that streams (S3, HTTP) skip the memory
// block cache: each read is filled straight from one open ranged response,
// so a byte is copied once (socket to caller) as with a plain GetObject.
// With a disk cache, the whole blocks a run passes through are also written
// to it (tee), and blocks already there are read from disk instead. Each
// response's range is 1/streamShare of the bytes the run has read so far,
// so a long run ends up with few, long requests. A response is read only
// as far as the run goes: when the run stops (the end of a chunk) or
// jumps, the response is closed, not drained, and only the bytes read from
// it plus what may have been in flight (streamInFlight) count as fetched.
const (
	// streamMin and streamMax bound the range of one streamed request.
	streamMin = 1 << 20
	streamMax = 1 << 30
	// streamShare: a new request asks for 1/streamShare of the run's
	// length (at least the read at hand).
	streamShare = 1
	// streamInFlight is what a response closed before its end is counted
	// as having sent beyond the bytes read from it: the socket's receive
	// buffer and the transport's, at most. It is an estimate (the kernel
	// tunes the buffer), kept generous so the fetched figure does not
	// flatter.
	streamInFlight = 1 << 20
	// streamSkip bounds how far ahead of the response a read may start and
	// still continue it: parallel readers (the kernel under FUSE) arrive a
	// little out of order. The bytes skipped over are kept for the late
	// reader, up to streamSkip in all.
	streamSkip = 8 << 20
	// randomFetch is what a read that is not part of a sequential run
	// fetches around itself (aligned) when its block is not cached, rather
	// than the whole block: index and header reads cost little.
	randomFetch = 256 << 10
	// streamPipeline is the run length from which the next response is
	// opened while the last streamLead bytes of the current one are read,
	// so a long run does not wait for a request's round trip. A run that
	// stops then leaves two responses unread: streamInFlight each.
	streamPipeline = 8 << 20
	streamLead     = 8 << 20
	// streamAhead is how many read sizes ahead of the run a read may start
	// and still continue it (bounded by streamSkip).
	streamAhead = 4
)

// seqStream is an Object's open streamed response and the sequential run
// it serves. Reads that are not sequential leave it alone.
type seqStream struct {
	mu   sync.Mutex
	next int64 // where a sequential read would start (object offsets)
	run  int64 // bytes read by the current sequential run

	body     io.ReadCloser // nil when none is open
	cancel   context.CancelFunc
	pos, end int64 // the body delivers [pos, end)

	gaps     []gap // bytes skipped over by a read that came early
	gapBytes int64

	next2 *pendingStream // the response after body, being opened

	// With a disk cache, the block being assembled from streamed bytes:
	// teeBuf holds block teeIdx's first len(teeBuf) bytes.
	teeBuf []byte
	teeIdx int64

	// diskIdx is the block whose presence in the disk cache was last
	// checked (-1: none), diskHas the answer: one check per block entered,
	// not a stat per read.
	diskIdx int64
	diskHas bool
}

// pendingStream is a response opened ahead by a goroutine of the Object.
type pendingStream struct {
	off, n int64
	cancel context.CancelFunc
	done   chan struct{} // closed once body and err are set
	body   io.ReadCloser
	err    error
}

type gap struct {
	off  int64
	data []byte
}

// closeBody drops the open response, if any. A response read to its end
// is read to EOF first, so its connection is reused.
func (s *seqStream) closeBody() {
	if s.body != nil {
		if s.pos == s.end {
			var one [1]byte
			s.body.Read(one[:])
		}
		s.body.Close()
		s.cancel()
		s.body, s.cancel = nil, nil
	}
}

// dropPending abandons the response being opened ahead; wg owns the
// goroutine that closes it once the open returns.
func (s *seqStream) dropPending(wg *sync.WaitGroup) {
	pn := s.next2
	if pn == nil {
		return
	}
	s.next2 = nil
	pn.cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-pn.done
		if pn.body != nil {
			pn.body.Close()
		}
	}()
}

// takeGap copies p from a kept gap if one holds all of it.
func (s *seqStream) takeGap(p []byte, abs int64) bool {
	end := abs + int64(len(p))
	for i, g := range s.gaps {
		gEnd := g.off + int64(len(g.data))
		if abs < g.off || end > gEnd {
			continue
		}
		copy(p, g.data[abs-g.off:])
		switch {
		case abs == g.off && end == gEnd:
			s.gaps = append(s.gaps[:i], s.gaps[i+1:]...)
		case abs == g.off:
			s.gaps[i] = gap{off: end, data: g.data[end-g.off:]}
		case end == gEnd:
			s.gaps[i] = gap{off: g.off, data: g.data[:abs-g.off]}
		default:
			return true // a read inside a gap: keep it whole
		}
		s.gapBytes -= int64(len(p))
		return true
	}
	return false
}

// keepGap keeps bytes skipped over, dropping the oldest beyond streamSkip.
func (s *seqStream) keepGap(off int64, data []byte) {
	s.gaps = append(s.gaps, gap{off: off, data: data})
	s.gapBytes += int64(len(data))
	for s.gapBytes > streamSkip && len(s.gaps) > 0 {
		s.gapBytes -= int64(len(s.gaps[0].data))
		s.gaps = s.gaps[1:]
	}
}

// streamRead serves p at abs from the sequential stream when the read
// continues a run; handled is false when the caller must use the block
// path (not sequential, or the stream failed: the block path retries).
func (o *Object) streamRead(ctx context.Context, p []byte, abs int64) (handled, hit bool, err error) {
	s := &o.seq
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.takeGap(p, abs) {
		o.st.streamed.Add(int64(len(p)))
		return true, true, nil
	}
	end := abs + int64(len(p))
	// A read continues the run when it starts at or a little after where
	// the run (or the open response) has got to: a parallel reader may be
	// about to read the bytes between.
	// An established run (the kernel's read-ahead under FUSE) may have
	// several reads in flight at once, a few MiB apart.
	skip := min(streamSkip, streamAhead*int64(len(p)))
	if s.run >= streamSkip {
		skip = streamSkip
	}
	cont := s.body != nil && abs >= s.pos && abs-s.pos <= skip
	near := s.next >= 0 && abs >= s.next && abs-s.next <= skip
	if !cont && !near {
		if s.next >= 0 && abs < s.next && s.next-abs <= skip {
			// A late reader of a run whose bytes were not kept for it:
			// the block path serves it; the run goes on.
			return false, false, nil
		}
		s.next, s.run = end, int64(len(p))
		return false, false, nil
	}
	from := s.next // where a new response starts, if one is needed
	s.next = max(s.next, end)
	s.run += int64(len(p))

	// Bytes already in memory (an earlier read's block) are served from
	// there; the stream picks up after them.
	k := o.cachedPrefix(p, abs)
	if k == len(p) {
		return true, true, nil
	}
	at := abs + int64(k)
	if k > 0 {
		from = at
	}
	// A block another process (or an earlier Object) left in the disk
	// cache is read from there by the block path; the run goes on and the
	// stream resumes after it.
	if o.runOnDisk(s, at) {
		s.closeBody()
		s.dropPending(&o.wg)
		return false, false, nil
	}
	if s.body != nil && (at < s.pos || at-s.pos > skip) {
		s.closeBody()
		s.dropPending(&o.wg)
	}

	// The read's own context and the request timeout both abort the body.
	var stopRead func() bool
	var watchdog *time.Timer
	arm := func() {
		disarm(stopRead, watchdog)
		stopRead = context.AfterFunc(ctx, s.cancel)
		watchdog = time.AfterFunc(o.cfg.RequestTimeout, s.cancel)
	}
	defer func() { disarm(stopRead, watchdog) }()
	if s.body != nil {
		arm()
	}
	for at < end {
		if s.body == nil || s.pos == s.end {
			s.closeBody()
			openAt := at
			if from >= 0 && from < at && at-from <= skip {
				openAt = from
			}
			if err := o.openStream(ctx, openAt, end, s); err != nil {
				return false, false, nil
			}
			arm()
		}
		if at > s.pos { // an early reader: keep what it skips
			upto := min(at, s.end)
			skipped := make([]byte, upto-s.pos)
			if _, err := io.ReadFull(s.body, skipped); err != nil {
				s.closeBody()
				s.dropPending(&o.wg)
				return false, false, nil
			}
			o.tee(s, s.pos, skipped)
			s.keepGap(s.pos, skipped)
			s.pos, from = upto, upto
			if upto < at {
				continue // the response ended in the gap: open the next
			}
		}
		m := min(end, s.end) - at
		if _, err := io.ReadFull(s.body, p[at-abs:at-abs+m]); err != nil {
			// A failed or short response: the block path retries.
			s.closeBody()
			s.dropPending(&o.wg)
			return false, false, nil
		}
		o.tee(s, at, p[at-abs:at-abs+m])
		at += m
		s.pos, from = at, at
		o.pipeline(s)
		watchdog.Reset(o.cfg.RequestTimeout)
	}
	o.st.streamed.Add(end - abs - int64(k))
	return true, false, nil
}

// openStream opens a response at at for a read ending at end, sized from
// the run, never past this view: the one opened ahead if it starts there.
// In a long run it then starts opening the response after it.
func (o *Object) openStream(ctx context.Context, at, end int64, s *seqStream) error {
	if pn := s.next2; pn != nil && pn.off == at && pn.off+pn.n >= end {
		s.next2 = nil
		select {
		case <-pn.done:
		case <-ctx.Done():
			s.next2 = pn
			return ctx.Err()
		}
		if pn.err != nil {
			pn.cancel()
			return pn.err
		}
		s.body, s.cancel, s.pos, s.end = pn.body, pn.cancel, pn.off, pn.off+pn.n
	} else {
		s.dropPending(&o.wg)
		n := min(max(s.run/streamShare, streamMin), streamMax)
		n = min(max(n, end-at), o.hi-at)
		sctx, cancel := context.WithCancel(o.ctx)
		body, err := o.openResponse(sctx, at, n)
		if err != nil {
			cancel()
			return err
		}
		s.body, s.cancel, s.pos, s.end = body, cancel, at, at+n
	}
	o.pipeline(s)
	return nil
}

// pipeline starts opening the response after the current one when a long
// run is within streamLead bytes of the current one's end.
func (o *Object) pipeline(s *seqStream) {
	if s.next2 != nil || s.body == nil || s.run < streamPipeline || s.end-s.pos > streamLead || s.end >= o.hi {
		return
	}
	// Sized for the run as it will be when this response is read.
	n := min(max((s.run+s.end-s.pos)/streamShare, streamMin), streamMax, o.hi-s.end)
	pctx, cancel := context.WithCancel(o.ctx)
	pn := &pendingStream{off: s.end, n: n, cancel: cancel, done: make(chan struct{})}
	s.next2 = pn
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		pn.body, pn.err = o.openResponse(pctx, pn.off, pn.n)
		close(pn.done)
	}()
}

// openResponse opens bytes [at, at+n) as one response, logged and counted.
func (o *Object) openResponse(ctx context.Context, at, n int64) (io.ReadCloser, error) {
	t0 := time.Now()
	body, err := o.be.(streamer).stream(ctx, at, n)
	rec := Record{Op: OpFetch, URL: o.inf.URL, Off: at, Len: n, Prefetch: true, Micros: time.Since(t0).Microseconds(), Err: errString(err)}
	if err != nil {
		if o.cfg.AccessLog != nil {
			o.cfg.AccessLog.record(rec)
		}
		return nil, err
	}
	o.st.fetches.Add(1)
	return &countedBody{ReadCloser: body, st: o.st, left: n, log: o.cfg.AccessLog, rec: rec}, nil
}

// countedBody counts a response's bytes as fetched as they are read, and
// on Close what it may have had in flight (at most streamInFlight of the
// bytes not read): a response abandoned early is closed, not drained.
// The access log gets the response on Close, with what it counted as
// fetched for its length (Micros is the time to open it). Its owner (the
// seqStream, under its lock, or the goroutine dropping a response opened
// ahead) is the only caller.
type countedBody struct {
	io.ReadCloser
	st      *counters
	left    int64 // bytes of the range not read yet
	fetched int64
	log     *AccessLog
	rec     Record
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.left -= int64(n)
		b.fetched += int64(n)
		b.st.bytesFetched.Add(int64(n))
	}
	return n, err
}

func (b *countedBody) Close() error {
	if b.left > 0 {
		b.st.bytesFetched.Add(min(b.left, streamInFlight))
		b.fetched += min(b.left, streamInFlight)
		b.left = 0
	}
	if log := b.log; log != nil {
		b.log = nil // one record, even if closed twice
		b.rec.Len = b.fetched
		log.record(b.rec)
	}
	return b.ReadCloser.Close()
}

func disarm(stopRead func() bool, watchdog *time.Timer) {
	if stopRead != nil {
		stopRead()
	}
	if watchdog != nil {
		watchdog.Stop()
	}
}

// cachedPrefix copies into p the longest prefix of the bytes at abs that
// the memory cache holds and returns its length.
func (o *Object) cachedPrefix(p []byte, abs int64) int {
	c := o.cache
	bs := c.blockSize
	id := o.id
	k := 0
	for k < len(p) {
		at := abs + int64(k)
		e := min(abs+int64(len(p)), (at/bs+1)*bs)
		c.mu.Lock()
		data, ent := c.prefixLocked(blockKey{obj: id, idx: at / bs}, at, e)
		c.mu.Unlock()
		if ent == nil {
			break
		}
		copy(p[k:], data)
		c.unref(ent)
		o.st.hits.Add(1)
		k += len(data)
		if int64(len(data)) < e-at {
			break
		}
	}
	return k
}

// wholeBlock is block idx of the whole object, [s, e), whatever the view:
// the disk cache holds whole blocks (keyed by diskKey of these bounds).
func (o *Object) wholeBlock(idx int64) (s, e int64) {
	bs := o.cache.blockSize
	return idx * bs, min((idx+1)*bs, o.inf.Size)
}

// onDisk says whether the disk cache holds the whole block containing abs.
func (o *Object) onDisk(abs int64) bool {
	if o.cache.disk == nil {
		return false
	}
	s, e := o.wholeBlock(abs / o.cache.blockSize)
	return o.cache.disk.has(diskKey(o.id, s, e))
}

// runOnDisk is onDisk for the block of at, checked once per block the run
// enters. s.mu is held.
func (o *Object) runOnDisk(s *seqStream, at int64) bool {
	if o.cache.disk == nil {
		return false
	}
	if idx := at / o.cache.blockSize; idx != s.diskIdx {
		s.diskIdx, s.diskHas = idx, o.onDisk(at)
	}
	return s.diskHas
}

// tee collects streamed bytes d at abs (object offsets, in stream order)
// into whole blocks and writes each complete one to the disk cache, so
// other processes find it. Bytes of a block whose start the stream did not
// deliver are not kept. The write runs on a goroutine of the Object (Close
// waits for it). s.mu is held.
func (o *Object) tee(s *seqStream, abs int64, d []byte) {
	c := o.cache
	if c.disk == nil {
		return
	}
	bs := c.blockSize
	for len(d) > 0 {
		idx := abs / bs
		bStart, bEnd := o.wholeBlock(idx)
		n := min(int64(len(d)), bEnd-abs)
		if s.teeBuf != nil && (s.teeIdx != idx || bStart+int64(len(s.teeBuf)) != abs) {
			s.teeBuf = nil // a jump: that block will not be complete
		}
		if s.teeBuf == nil && abs == bStart {
			s.teeBuf, s.teeIdx = make([]byte, 0, bEnd-bStart), idx
		}
		if s.teeBuf != nil {
			s.teeBuf = append(s.teeBuf, d[:n]...)
			if int64(len(s.teeBuf)) == bEnd-bStart {
				o.putDisk(diskKey(o.id, bStart, bEnd), s.teeBuf)
				s.teeBuf = nil
			}
		}
		abs += n
		d = d[n:]
	}
}

// putDisk writes a block to the disk cache on a goroutine the Object owns.
// At most two writes run at once; a reader waits only when both are busy.
func (o *Object) putDisk(key string, data []byte) {
	o.diskSem <- struct{}{}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		defer func() { <-o.diskSem }()
		o.cache.disk.put(key, data)
	}()
}
