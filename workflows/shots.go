package workflows

import (
	"context"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/reelmedia/reel/archer"
)

// ShotsTask is the input of the ShotCuts activity.
type ShotsTask struct {
	// Output is the store URL AnalyzeWorkflow wrote analysis.json to.
	Output string `json:"output"`
	// Key is analysis.json's key in that store: <analyze job>/analysis.json,
	// as the reduce writes it; empty (histories from before it) reads
	// "analysis.json".
	Key string `json:"key,omitempty"`
}

// planShots cuts the source at shot boundaries: AnalyzeWorkflow (archer's
// shots analyzer) runs as a child, the ShotCuts activity reads the cut
// frames back, and archer.PlanChunks makes chunks between half and twice
// the target length that start at cuts where it can.
func planShots(ctx workflow.Context, jobID string, job Job, src SourceInfo) ([]Chunk, error) {
	out := joinURL(job.Work, jobID+"/shots")
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:          jobID + "/shots",
		WaitForCancellation: true,
	})
	req := AnalyzeRequest{
		Job: jobID + "/shots", Source: job.Source, Work: job.Work, Output: out,
		Config: archer.Config{Analyzers: []string{archer.Shots}},
	}
	var ar AnalyzeResult
	if err := workflow.ExecuteChildWorkflow(cctx, WorkflowAnalyze, req).Get(ctx, &ar); err != nil {
		return nil, err
	}
	var cuts []int64
	if err := workflow.ExecuteActivity(shortActivity(ctx), ActivityShotCuts, ShotsTask{Output: out, Key: req.Job + "/analysis.json"}).Get(ctx, &cuts); err != nil {
		return nil, err
	}
	target := job.Chunking.TargetSeconds
	if job.Optimize == OptimizePerShot {
		chunks := shotChunks(cuts, src.Frames, src.FrameRate, target)
		if len(chunks) == 0 {
			return nil, badInputErr(fmt.Errorf("%s: no frames to plan", job.Source))
		}
		return chunks, nil
	}
	spans := archer.PlanChunks(cuts, src.Frames, src.FrameRate, target/2, target*2)
	if len(spans) == 0 {
		return nil, badInputErr(fmt.Errorf("%s: no frames to plan", job.Source))
	}
	chunks := make([]Chunk, len(spans))
	for i, s := range spans {
		chunks[i] = Chunk{Index: i, Start: s.Start, End: s.End}
	}
	return chunks, nil
}

// ShotCuts reads the shot analysis and returns the frames where shots begin.
func (a *Activities) ShotCuts(ctx context.Context, t ShotsTask) ([]int64, error) {
	st, err := a.openStore(ctx, t.Output)
	if err != nil {
		return nil, err
	}
	key := t.Key
	if key == "" {
		key = "analysis.json"
	}
	b, err := st.GetBytes(ctx, key)
	if err != nil {
		return nil, err
	}
	var an archer.Analysis
	if err := json.Unmarshal(b, &an); err != nil {
		return nil, badInputErr(fmt.Errorf("%s: %w", st.URL(key), err))
	}
	return archer.CutFrames(an.Boundaries), nil
}
