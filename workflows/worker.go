package workflows

import (
	"runtime"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/reelmedia/reel/archer"
)

// WorkerOptions size a worker.
type WorkerOptions struct {
	// Concurrency is the number of activities (chunk encodes) run at once.
	// Default: runtime.NumCPU().
	Concurrency int
	// Workflows is the number of workflow tasks run at once. Default: 2×Concurrency, at least 8.
	Workflows int
	// StopTimeout is how long Stop lets running activities finish: it stops
	// polling at once, waits up to StopTimeout, then cancels what still
	// runs, whose attempts fail and are retried on other workers. 0 cancels
	// at once.
	StopTimeout time.Duration
}

// NewWorker returns a worker polling taskQueue that runs the encode,
// analyze and render workflows and their activities. Start it with Start or Run.
func NewWorker(c client.Client, taskQueue string, opts WorkerOptions, acts *Activities) worker.Worker {
	n := opts.Concurrency
	if n <= 0 {
		n = runtime.NumCPU()
	}
	wf := opts.Workflows
	if wf <= 0 {
		wf = max(8, 2*n)
	}
	w := worker.New(c, taskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize:     n,
		MaxConcurrentWorkflowTaskExecutionSize: wf,
		// Chunk encodes are CPU-bound: poll for only as many as can run.
		MaxConcurrentActivityTaskPollers: min(n, 4),
		WorkerStopTimeout:                opts.StopTimeout,
	})
	Register(w)
	RegisterAnalyze(w)
	RegisterRender(w)
	w.RegisterActivity(acts)
	// Archer's activities share acts' sources, stores and threads; they serve
	// AnalyzeWorkflow and shot-aware chunking.
	w.RegisterActivity(&ArcherActivities{Base: acts, Threads: acts.Threads, DecodeThreads: archer.DecoderThreads(n)})
	return w
}
