package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/workflows"
)

// MaxIDLength bounds a job ID.
const MaxIDLength = 200

// maxBody bounds a submitted job's JSON.
const maxBody = 1 << 20

const encodeWorkflow = "EncodeWorkflow"

// checkID refuses a job ID that could name anything but a job: empty, too
// long, not UTF-8, with a control character, a path separator, a leading
// dot or "..". Job IDs are prefixes of storage keys.
func checkID(id string) error {
	switch {
	case id == "":
		return statusErr(http.StatusBadRequest, "empty job ID")
	case len(id) > MaxIDLength:
		return statusErr(http.StatusBadRequest, "job ID of %d bytes (at most %d)", len(id), MaxIDLength)
	case !utf8.ValidString(id):
		return statusErr(http.StatusBadRequest, "job ID is not UTF-8")
	case strings.ContainsAny(id, `/\`) || strings.HasPrefix(id, ".") || strings.Contains(id, ".."):
		return statusErr(http.StatusBadRequest, "job ID %q: no slashes, leading dot or '..'", id)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return statusErr(http.StatusBadRequest, "job ID %q has a control character", id)
		}
	}
	return nil
}

// JobSummary is one job in a list.
type JobSummary struct {
	Job     string     `json:"job"`
	Status  string     `json:"status"` // running, completed, failed, canceled, terminated, timed_out, ...
	Started time.Time  `json:"started"`
	Closed  *time.Time `json:"closed,omitempty"`
}

// JobList is the body of GET /jobs.
type JobList struct {
	Jobs []JobSummary `json:"jobs"`
}

// Job is the body of GET /jobs/{id}.
type Job struct {
	JobSummary
	// Progress is the job's own account (absent before it answers).
	Progress *workflows.Progress `json:"progress,omitempty"`
	// Result is set once the job completed.
	Result *workflows.Result `json:"result,omitempty"`
	// Error is why a failed job failed.
	Error string `json:"error,omitempty"`
}

func statusName(s enums.WorkflowExecutionStatus) string {
	n := strings.TrimPrefix(s.String(), "WorkflowExecutionStatus")
	var b strings.Builder
	for i, r := range n {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "limit %q: want 1 to 1000", v)
			return
		}
		limit = n
	}
	list := JobList{Jobs: []JobSummary{}}
	var token []byte
	for len(list.Jobs) < limit {
		resp, err := s.cfg.Client.ListWorkflow(r.Context(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.cfg.Namespace, PageSize: int32(limit), NextPageToken: token,
			Query: "WorkflowType = '" + encodeWorkflow + "'",
		})
		if err != nil {
			s.fail(w, r, fmt.Errorf("list jobs: %w", err))
			return
		}
		for _, e := range resp.Executions {
			js := JobSummary{Job: e.GetExecution().GetWorkflowId(), Status: statusName(e.GetStatus()), Started: e.GetStartTime().AsTime()}
			if ct := e.GetCloseTime(); ct != nil {
				t := ct.AsTime()
				js.Closed = &t
			}
			list.Jobs = append(list.Jobs, js)
		}
		token = resp.NextPageToken
		if len(token) == 0 {
			break
		}
	}
	if len(list.Jobs) > limit {
		list.Jobs = list.Jobs[:limit]
	}
	writeJSON(w, http.StatusOK, list)
}

// describe returns a job's summary; a missing job, or a workflow that is
// not an encode job, is 404.
func (s *Server) describe(ctx context.Context, id string) (JobSummary, error) {
	if err := checkID(id); err != nil {
		return JobSummary{}, err
	}
	d, err := s.cfg.Client.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return JobSummary{}, statusErr(http.StatusNotFound, "no job %s", id)
	}
	if err != nil {
		return JobSummary{}, fmt.Errorf("job %s: %w", id, err)
	}
	info := d.GetWorkflowExecutionInfo()
	if info.GetType().GetName() != encodeWorkflow {
		return JobSummary{}, statusErr(http.StatusNotFound, "no job %s", id)
	}
	js := JobSummary{Job: id, Status: statusName(info.GetStatus()), Started: info.GetStartTime().AsTime()}
	if ct := info.GetCloseTime(); ct != nil {
		t := ct.AsTime()
		js.Closed = &t
	}
	return js, nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	js, err := s.describe(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	job := Job{JobSummary: js}
	if p, err := s.progress(ctx, js.Job); err == nil {
		job.Progress = &p
	}
	switch js.Status {
	case "completed":
		res, err := s.result(ctx, js.Job)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		job.Result = &res
	case "failed", "terminated", "timed_out":
		var res workflows.Result
		if err := s.cfg.Client.GetWorkflow(ctx, js.Job, "").Get(ctx, &res); err != nil {
			job.Error = err.Error()
		}
	}
	writeJSON(w, http.StatusOK, job)
}

// progress asks a job how far it is, without per-chunk states, for at
// most QueryTimeout.
func (s *Server) progress(ctx context.Context, id string) (workflows.Progress, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	p, err := workflows.GetProgress(ctx, s.cfg.Client, id)
	p.ChunkStates = nil
	return p, err
}

// result is a completed job's result.
func (s *Server) result(ctx context.Context, id string) (workflows.Result, error) {
	var res workflows.Result
	if err := s.cfg.Client.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		return res, fmt.Errorf("job %s: %w", id, err)
	}
	return res, nil
}

// SubmitRequest is the body of POST /jobs.
type SubmitRequest struct {
	// ID of the new job; default encode-<source name>-<UTC time>.
	ID string `json:"id,omitempty"`
	// Job is what 'reel submit' builds from its flags.
	Job workflows.Job `json:"job"`
}

// Submitted is the answer to POST /jobs.
type Submitted struct {
	Job string `json:"job"`
	Run string `json:"run"`
	URL string `json:"url"` // the job's API resource
}

func (s *Server) submitJob(w http.ResponseWriter, r *http.Request) {
	var req SubmitRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "job JSON: %v", err)
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "job JSON: more than one value in the body")
		return
	}
	job := req.Job
	for _, u := range []struct{ name, v string }{{"source", job.Source}, {"output", job.Output}, {"work", job.Work}} {
		if u.v != "" && !strings.Contains(u.v, "://") && !strings.HasPrefix(u.v, "/") {
			writeError(w, http.StatusBadRequest, "job %s %q: want an absolute path or a URL (the workers resolve it, not this server)", u.name, u.v)
			return
		}
	}
	if err := workflows.Validate(workflows.WithDefaults(job)); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	id := req.ID
	if id == "" {
		base := job.Source[strings.LastIndexAny(job.Source, "/")+1:]
		if i := strings.LastIndexByte(base, '.'); i > 0 {
			base = base[:i]
		}
		id = fmt.Sprintf("encode-%s-%s", base, time.Now().UTC().Format("20060102-150405"))
	}
	if err := checkID(id); err != nil {
		s.fail(w, r, err)
		return
	}
	run, err := s.cfg.Client.ExecuteWorkflow(r.Context(), client.StartWorkflowOptions{
		ID: id, TaskQueue: s.cfg.TaskQueue,
		WorkflowIDConflictPolicy:                 enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.EncodeWorkflow, job)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		writeError(w, http.StatusConflict, "job %s is running", id)
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("submit: %w", err))
		return
	}
	writeJSON(w, http.StatusCreated, Submitted{Job: run.GetID(), Run: run.GetRunID(), URL: Prefix + "/jobs/" + run.GetID()})
}

// Canceled is the answer to POST /jobs/{id}/cancel.
type Canceled struct {
	Job    string `json:"job"`
	Status string `json:"status"` // cancel_requested
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	js, err := s.describe(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if js.Status != "running" {
		writeError(w, http.StatusConflict, "job %s is %s", js.Job, js.Status)
		return
	}
	if err := s.cfg.Client.CancelWorkflow(ctx, js.Job, ""); err != nil {
		s.fail(w, r, fmt.Errorf("cancel %s: %w", js.Job, err))
		return
	}
	writeJSON(w, http.StatusAccepted, Canceled{Job: js.Job, Status: "cancel_requested"})
}

// jobEvents streams a job's progress as Server-Sent Events: a "progress"
// event (workflows.Progress without per-chunk states) whenever it changes,
// then one "end" event (a Job) when the job closes, and the stream ends.
func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	js, err := s.describe(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	var last []byte
	tick := time.NewTicker(s.cfg.ProgressEvery)
	defer tick.Stop()
	for {
		if p, err := s.progress(ctx, js.Job); err == nil {
			b, _ := json.Marshal(p)
			if string(b) != string(last) {
				fmt.Fprintf(w, "event: progress\ndata: %s\n\n", b)
				last = b
			}
		}
		if js.Closed != nil {
			b, _ := json.Marshal(js)
			fmt.Fprintf(w, "event: end\ndata: %s\n\n", b)
			rc.Flush()
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if js, err = s.describe(ctx, js.Job); err != nil {
			return
		}
	}
}
