package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/bdrate"
	"github.com/reelmedia/reel/workflows"
)

// Two more jobs of the fixture's source, four renditions each (CRF 22 to
// 37), one with x264's veryfast preset (the anchor) and one with medium:
// enough points for a BD-rate.
const (
	bdAnchor = "api-bd-anchor"
	bdTest   = "api-bd-test"
)

var bdJobs struct {
	once    sync.Once
	reports map[string]workflows.Report
	err     error
}

func setupBDJobs(t *testing.T, f *fixture) map[string]workflows.Report {
	t.Helper()
	bdJobs.once.Do(func() {
		bdJobs.reports = map[string]workflows.Report{}
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		for id, preset := range map[string]string{bdAnchor: "veryfast", bdTest: "medium"} {
			out := filepath.Join(f.dir, id)
			job := workflows.Job{
				Source: f.source, Output: "file://" + out,
				Chunking: workflows.ChunkPolicy{TargetSeconds: 1},
				Quality:  workflows.QualityPolicy{MinVMAF: 1},
				Audio:    workflows.AudioPolicy{Mode: workflows.AudioNone},
			}
			for _, crf := range []int{22, 27, 32, 37} {
				job.Renditions = append(job.Renditions, workflows.Rendition{
					Name: fmt.Sprintf("crf%d", crf), Width: 320, Height: 240, Codec: "x264", CRF: crf, Preset: preset, Threads: 1})
			}
			run, err := f.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, workflows.EncodeWorkflow, job)
			if err == nil {
				err = run.Get(ctx, nil)
			}
			var raw []byte
			if err == nil {
				raw, err = os.ReadFile(filepath.Join(out, "report.json"))
			}
			var rep workflows.Report
			if err == nil {
				err = json.Unmarshal(raw, &rep)
			}
			if err != nil {
				bdJobs.err = fmt.Errorf("job %s: %w", id, err)
				return
			}
			bdJobs.reports[id] = rep
		}
	})
	if bdJobs.err != nil {
		t.Fatal(bdJobs.err)
	}
	return bdJobs.reports
}

// TestBDRateEndpoint: the endpoint's figures are bdrate's on the two jobs'
// reports as stored, and curves it cannot compare are refused with the
// reason.
func TestBDRateEndpoint(t *testing.T) {
	f := setup(t)
	reports := setupBDJobs(t, f)
	a := newAPI(t, f, Config{})

	for _, interp := range []string{"pchip", "cubic"} {
		var got BDRate
		a.getJSON("/api/v1/bdrate?anchor="+bdAnchor+"&test="+bdTest+"&interp="+interp, "", 200, &got)
		m, _ := bdrate.ParseMethod(interp)
		ca, _ := reports[bdAnchor].Curve("vmaf")
		ct, _ := reports[bdTest].Curve("vmaf")
		wantRate, err := bdrate.Rate(ca, ct, m)
		if err != nil {
			t.Fatal(err)
		}
		wantQ, _ := bdrate.Quality(ca, ct, m)
		if got.RatePercent != wantRate || got.QualityDelta != wantQ || got.Method != m.String() || len(got.AnchorPoints) != 4 || len(got.TestPoints) != 4 {
			t.Errorf("%s: %+v, want BD-rate %g, BD-quality %g over 4 points each", interp, got, wantRate, wantQ)
		}
		for i, r := range reports[bdAnchor].Renditions {
			if p := got.AnchorPoints[i]; p.RateKbps != r.Bitrate/1000 || p.Quality != r.VMAF.Mean {
				t.Errorf("anchor point %d %+v, want rendition %s (%g kb/s, VMAF %g)", i, p, r.Name, r.Bitrate/1000, r.VMAF.Mean)
			}
		}
		if math.IsNaN(got.RatePercent) || got.RatePercent == 0 {
			t.Errorf("%s: BD-rate %g between two different presets", interp, got.RatePercent)
		}
	}
	// Swapping the jobs changes the sign.
	var back BDRate
	a.getJSON("/api/v1/bdrate?anchor="+bdTest+"&test="+bdAnchor, "", 200, &back)
	var fwd BDRate
	a.getJSON("/api/v1/bdrate?anchor="+bdAnchor+"&test="+bdTest, "", 200, &fwd)
	if (back.RatePercent < 0) == (fwd.RatePercent < 0) {
		t.Errorf("BD-rate %g one way and %g the other: want opposite signs", fwd.RatePercent, back.RatePercent)
	}

	for _, c := range []struct {
		query  string
		status int
		says   string
	}{
		{"anchor=" + jobID + "&test=" + bdTest, 422, "too few points"}, // the fixture job has 2 renditions
		{"anchor=" + bdAnchor + "&test=" + bdTest + "&metric=ssim", 400, "metric"},
		{"anchor=" + bdAnchor + "&test=" + bdTest + "&interp=linear", 400, "interpolation"},
		{"anchor=" + bdAnchor, 400, "empty job ID"},
		{"anchor=" + url.QueryEscape("../"+bdAnchor) + "&test=" + bdTest, 400, "job ID"},
		{"anchor=" + bdAnchor + "&test=no-such-job", 404, ""},
	} {
		resp, b := a.do("GET", "/api/v1/bdrate?"+c.query, "", nil)
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.says) {
			t.Errorf("bdrate?%s: %d %s, want %d saying %q", c.query, resp.StatusCode, b, c.status, c.says)
		}
		checkErrorBody(t, resp, b, c.status)
	}
}
