package vmaf

import (
	"runtime"
	"sync"
)

// computeWorkers lends frame computations their scratch (a worker: VIF,
// ADM and motion buffers, tens of MiB at 1080p) across every Scorer of the
// process, and lets at most GOMAXPROCS frames compute at once: the
// computations are pure Go, so more could not run anyway. A worker
// process scores its chunks with one Scorer each, several at a time; they
// share the cores' worth of scratch instead of each allocating its own
// and dropping it at the end of the chunk, which kept the heap at twice
// the size the GC target needs.
var computeWorkers = &workerPool{}

// workerPool is a bounded set of workers, idle ones kept for the next
// frame of the same geometry.
type workerPool struct {
	mu   sync.Mutex
	cond *sync.Cond
	busy int
	peak int // the most busy at once, for tests
	made int // workers allocated, for tests
	idle []*worker
}

// workerKey is what a worker's buffers were sized for. A worker only
// serves frames of its own geometry: its buffers' contents beyond what a
// frame writes are never read, but only a size-for-size reuse makes that
// the same as a fresh worker by construction.
type workerKey struct{ w, h, bpc int }

// get waits for a free slot and returns a worker for frames of key.
func (p *workerPool) get(key workerKey) *worker {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cond == nil {
		p.cond = sync.NewCond(&p.mu)
	}
	for p.busy >= runtime.GOMAXPROCS(0) {
		p.cond.Wait()
	}
	p.busy++
	p.peak = max(p.peak, p.busy)
	for i := len(p.idle) - 1; i >= 0; i-- {
		if wk := p.idle[i]; wk.key == key {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			return wk
		}
	}
	p.made++
	return &worker{key: key}
}

// put returns wk; at most GOMAXPROCS idle workers are kept, the most
// recently used.
func (p *workerPool) put(wk *worker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy--
	p.idle = append(p.idle, wk)
	if n := runtime.GOMAXPROCS(0); len(p.idle) > n {
		p.idle = append(p.idle[:0], p.idle[len(p.idle)-n:]...)
	}
	p.cond.Signal()
}
