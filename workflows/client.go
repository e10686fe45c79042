package workflows

import (
	"context"
	"fmt"
	"sort"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// GetProgress asks a running or finished EncodeWorkflow how far it is and
// completes the per-chunk states with those of its running batches, so the
// caller sees every chunk that is encoding, retrying or done.
func GetProgress(ctx context.Context, c client.Client, jobID string) (Progress, error) {
	var p Progress
	v, err := c.QueryWorkflow(ctx, jobID, "", QueryProgress)
	if err != nil {
		return p, fmt.Errorf("job %s: %w", jobID, err)
	}
	if err := v.Get(&p); err != nil {
		return p, fmt.Errorf("job %s: progress: %w", jobID, err)
	}
	for _, b := range p.Batches {
		if b.Done {
			continue
		}
		var bp Progress
		v, err := c.QueryWorkflow(ctx, b.WorkflowID, "", QueryProgress)
		if err != nil {
			if ctx.Err() != nil {
				return p, ctx.Err()
			}
			// Not started yet, or between its first tasks: its chunks count
			// as pending until it answers.
			continue
		}
		if err := v.Get(&bp); err != nil {
			return p, fmt.Errorf("job %s: batch %s: %w", jobID, b.WorkflowID, err)
		}
		for _, s := range bp.ChunkStates {
			if s.State != StatePending {
				p.ChunkStates = append(p.ChunkStates, s)
			}
		}
	}
	order := map[string]int{}
	for i, r := range p.Renditions {
		order[r.Name] = i
	}
	sort.SliceStable(p.ChunkStates, func(i, j int) bool {
		a, b := p.ChunkStates[i], p.ChunkStates[j]
		if a.Rendition != b.Rendition {
			return order[a.Rendition] < order[b.Rendition]
		}
		return a.Index < b.Index
	})
	return p, nil
}

// Register adds the workflows to a worker (or a replayer).
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(EncodeWorkflow, workflow.RegisterOptions{Name: "EncodeWorkflow"})
	r.RegisterWorkflowWithOptions(ChunkBatchWorkflow, workflow.RegisterOptions{Name: "ChunkBatchWorkflow"})
	r.RegisterWorkflowWithOptions(PerShotBatchWorkflow, workflow.RegisterOptions{Name: WorkflowPerShotBatch})
}
