package workflows

import (
	"os"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplay replays histories recorded from a real two-rendition job on
// the embedded server (workflows/integration, REEL_RECORD_HISTORY=1). A
// change to the workflow code that would take a different path through an
// existing history, and so break running jobs on upgrade, fails here.
func TestReplay(t *testing.T) {
	for _, tc := range []struct{ file, id string }{
		{"testdata/encode_workflow_history.json", "itest-file"},
		{"testdata/batch_workflow_history.json", "itest-file/r240/batch-0000"},
	} {
		f, err := os.Open(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		r := worker.NewWorkflowReplayer()
		Register(r)
		// Child workflow IDs derive from the job ID, so replay under the
		// recorded one.
		opts := worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: tc.id, RunID: "replay"}}
		if err := r.ReplayWorkflowHistoryWithOptions(quietLogger(), h, opts); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
	}
}
