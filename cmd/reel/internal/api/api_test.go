package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/vmaf"
	"github.com/reelmedia/reel/workflows"
)

// The tests share one embedded Temporal server, one worker and one
// finished two-rendition job (made by the first test that needs it and
// stopped by TestMain).

const (
	taskQueue = "reel-api-test"
	// idleQueue has no worker: jobs submitted there stay running, for
	// the cancel tests, without encoding anything.
	idleQueue = "reel-api-idle"
	jobID     = "api-test-job"
)

type fixture struct {
	srv    *devserver.Server
	c      client.Client
	w      worker.Worker
	dir    string // everything the job wrote: source copy, outputs
	out    string // the job's output directory
	source string
	report workflows.Report
	raw    []byte // report.json as stored
}

var fx struct {
	once sync.Once
	f    *fixture
	err  error
}

func TestMain(m *testing.M) {
	encode.SetLogLevel("quiet")
	code := m.Run()
	if f := fx.f; f != nil {
		f.w.Stop()
		f.c.Close()
		f.srv.Stop()
		os.RemoveAll(f.dir)
	}
	os.Exit(code)
}

func quiet() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// setup returns the shared fixture, making it on first use.
func setup(t testing.TB) *fixture {
	t.Helper()
	src := testmedia.File(t, "api-src", "mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
		"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p", "-threads", "1")
	fx.once.Do(func() { fx.f, fx.err = newFixture(src) })
	if fx.err != nil {
		t.Fatal(fx.err)
	}
	return fx.f
}

func newFixture(src string) (*fixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "reel-api-test-")
	if err != nil {
		return nil, err
	}
	f := &fixture{dir: dir, out: filepath.Join(dir, "out"), source: src}
	f.srv, err = devserver.Start(ctx, devserver.Config{LogFile: filepath.Join(dir, "temporal.log")})
	if err != nil {
		return nil, err
	}
	f.c, err = client.Dial(client.Options{HostPort: f.srv.Address, Logger: quiet()})
	if err != nil {
		return nil, err
	}
	f.w = workflows.NewWorker(f.c, taskQueue, workflows.WorkerOptions{Concurrency: 2}, &workflows.Activities{TempDir: dir, Threads: 1})
	if err := f.w.Start(); err != nil {
		return nil, err
	}
	job := workflows.Job{
		Source: src, Output: "file://" + f.out,
		Renditions: []workflows.Rendition{
			{Name: "r240", Width: 320, Height: 240, Codec: "x264", CRF: 30, Preset: "veryfast", Threads: 1},
			{Name: "r120", Width: 160, Height: 120, Codec: "x264", CRF: 30, Preset: "veryfast", Threads: 1},
		},
		Chunking: workflows.ChunkPolicy{TargetSeconds: 1},
		Quality:  workflows.QualityPolicy{MinVMAF: 10},
		Audio:    workflows.AudioPolicy{Mode: workflows.AudioNone},
	}
	run, err := f.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: jobID, TaskQueue: taskQueue}, workflows.EncodeWorkflow, job)
	if err != nil {
		return nil, err
	}
	if err := run.Get(ctx, nil); err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	if f.raw, err = os.ReadFile(filepath.Join(f.out, "report.json")); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(f.raw, &f.report); err != nil {
		return nil, err
	}
	return f, nil
}

// apiServer serves a Server over real HTTP for the test.
type apiServer struct {
	t      testing.TB
	url    string
	router routers.Router
}

func newAPI(t testing.TB, f *fixture, cfg Config) *apiServer {
	t.Helper()
	cfg.Client = f.c
	if cfg.TaskQueue == "" {
		cfg.TaskQueue = idleQueue
	}
	cfg.ProgressEvery = 50 * time.Millisecond
	cfg.QueryTimeout = 300 * time.Millisecond // jobs on idleQueue never answer
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: ts.URL + Prefix}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &apiServer{t: t, url: ts.URL, router: router}
}

func init() {
	openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/yaml", openapi3filter.PlainBodyDecoder)
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends a request (path is raw: its escapes reach the server as they
// are) and, when the path is one of the document's, checks the request
// and the response against openapi.yaml.
func (a *apiServer) do(method, path, token string, body []byte) (*http.Response, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	a.validate(req, body, resp, b)
	return resp, b
}

func (a *apiServer) validate(req *http.Request, body []byte, resp *http.Response, b []byte) {
	a.t.Helper()
	route, params, err := a.router.FindRoute(req)
	if err != nil {
		return // not a documented route: nothing to check against
	}
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true},
	}
	if resp.StatusCode < 400 {
		// A request the server took must be one the document allows.
		req.Body = io.NopCloser(bytes.NewReader(body))
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			a.t.Errorf("%s %s: the server took a request openapi.yaml refuses: %v", req.Method, req.URL.Path, err)
		}
	}
	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(b)), Options: in.Options,
	})
	if err != nil {
		a.t.Errorf("%s %s: %d response does not match openapi.yaml: %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}
}

// getJSON does a request that must answer want, and decodes the body.
func (a *apiServer) getJSON(path, token string, want int, v any) {
	a.t.Helper()
	resp, b := a.do(http.MethodGet, path, token, nil)
	if resp.StatusCode != want {
		a.t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, b, want)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			a.t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
}

func TestEndpoints(t *testing.T) {
	f := setup(t)
	a := newAPI(t, f, Config{})
	var h Health
	a.getJSON("/api/v1/health", "", 200, &h)
	if h.Status != "ok" {
		t.Errorf("health %+v", h)
	}
	resp, b := a.do("GET", "/api/v1/openapi.yaml", "", nil)
	if resp.StatusCode != 200 || !bytes.Equal(b, OpenAPI) {
		t.Errorf("openapi.yaml: %d, %d bytes", resp.StatusCode, len(b))
	}

	var list JobList
	a.getJSON("/api/v1/jobs", "", 200, &list)
	found := false
	for _, j := range list.Jobs {
		found = found || (j.Job == jobID && j.Status == "completed")
	}
	if !found {
		t.Errorf("list has no completed %s: %+v", jobID, list)
	}
	a.getJSON("/api/v1/jobs?limit=0", "", 400, nil)

	var job Job
	a.getJSON("/api/v1/jobs/"+jobID, "", 200, &job)
	if job.Status != "completed" || job.Result == nil || len(job.Result.Renditions) != 2 || job.Progress == nil || job.Progress.Phase != workflows.PhaseDone {
		t.Errorf("job %+v", job)
	}
	a.getJSON("/api/v1/jobs/no-such-job", "", 404, nil)

	resp, b = a.do("GET", "/api/v1/jobs/"+jobID+"/report", "", nil)
	if resp.StatusCode != 200 || !bytes.Equal(b, f.raw) {
		t.Errorf("report: %d, not report.json as stored (%d bytes, want %d)", resp.StatusCode, len(b), len(f.raw))
	}
	a.getJSON("/api/v1/jobs/"+jobID+"/analysis", "", 404, nil)
	t.Run("analysis", func(t *testing.T) {
		// An analysis.json beside the outputs is served as it is.
		an := []byte(`{"shots":[{"start":0,"end":50}]}`)
		p := filepath.Join(f.out, "analysis.json")
		if err := os.WriteFile(p, an, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		resp, b := a.do("GET", "/api/v1/jobs/"+jobID+"/analysis", "", nil)
		if resp.StatusCode != 200 || !bytes.Equal(b, an) {
			t.Errorf("analysis: %d %s", resp.StatusCode, b)
		}
	})
	t.Run("dashboard", func(t *testing.T) {
		for _, p := range []string{"/", "/jobs/" + jobID} {
			resp, b := a.do("GET", p, "", nil)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(b, []byte("/api/v1/openapi.yaml")) {
				t.Errorf("GET %s: %d %s", p, resp.StatusCode, b)
			}
		}
		a.getJSON("/api/v1/nope", "", 404, nil)
	})

	t.Run("scores", func(t *testing.T) { checkScores(t, a, f) })
	t.Run("frames", func(t *testing.T) { checkFrames(t, a, f) })
	t.Run("events", func(t *testing.T) { checkEvents(t, a) })
}

// checkScores: every frame's scores as the rendition's scores file has
// them, and downsampled points that keep each bucket's worst and best.
func checkScores(t *testing.T, a *apiServer, f *fixture) {
	for _, rr := range f.report.Renditions {
		file := readScores(t, filepath.Join(f.out, rr.Name+workflows.FrameScoresSuffix))
		base := "/api/v1/jobs/" + jobID + "/renditions/" + rr.Name + "/scores"
		var full Scores
		a.getJSON(base, "", 200, &full)
		v := full.Metrics["vmaf"].Values
		if full.Bucket != 1 || full.Frames != rr.Frames || int64(len(v)) != rr.Frames || len(full.Metrics["psnr_y"].Values) != len(v) {
			t.Fatalf("%s: bucket %d, %d frames, %d vmaf values, want %d", rr.Name, full.Bucket, full.Frames, len(v), rr.Frames)
		}
		for i, x := range v {
			if want := file.Frames[i].Metrics["vmaf"]; math.Abs(x-want) > 1e-6 {
				t.Fatalf("%s frame %d: vmaf %v, file %v", rr.Name, i, x, want)
			}
		}
		var ds Scores
		a.getJSON(base+"?max_points=7&metric=vmaf", "", 200, &ds)
		if ds.Points > 7 || ds.Points != len(ds.Start) || ds.Bucket != (rr.Frames+6)/7 || len(ds.Metrics) != 1 {
			t.Fatalf("%s downsampled: %d points, bucket %d, %d metrics", rr.Name, ds.Points, ds.Bucket, len(ds.Metrics))
		}
		mp := ds.Metrics["vmaf"]
		for i, s := range ds.Start {
			bucket := v[s:min(s+ds.Bucket, rr.Frames)]
			lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
			for _, x := range bucket {
				lo, hi, sum = min(lo, x), max(hi, x), sum+x
			}
			if mp.Min[i] != lo || mp.Max[i] != hi || math.Abs(mp.Mean[i]-sum/float64(len(bucket))) > 1e-6 {
				t.Errorf("%s point %d (frames %d+%d): min/max/mean %v/%v/%v, want %v/%v/%v", rr.Name, i, s, ds.Bucket, mp.Min[i], mp.Max[i], mp.Mean[i], lo, hi, sum/float64(len(bucket)))
			}
		}
	}
	// The worst frames: the lowest VMAF first, and no frame scoring lower
	// left out.
	rr := f.report.Renditions[1]
	var ws Scores
	a.getJSON("/api/v1/jobs/"+jobID+"/renditions/"+rr.Name+"/scores?worst=3&max_points=2", "", 200, &ws)
	file := readScores(t, filepath.Join(f.out, rr.Name+workflows.FrameScoresSuffix))
	if ws.Worst == nil || ws.Worst.Metric != "vmaf" || len(ws.Worst.Frames) != 3 || len(ws.Worst.Values) != 3 {
		t.Fatalf("worst: %+v", ws.Worst)
	}
	for i, fr := range ws.Worst.Frames {
		if got := file.Frames[fr].Metrics["vmaf"]; math.Abs(got-ws.Worst.Values[i]) > 1e-6 || (i > 0 && ws.Worst.Values[i] < ws.Worst.Values[i-1]) {
			t.Errorf("worst %d: frame %d, %v (file %v)", i, fr, ws.Worst.Values[i], got)
		}
	}
	for _, fr := range file.Frames {
		if fr.Metrics["vmaf"] < ws.Worst.Values[2]-1e-6 && !slices.Contains(ws.Worst.Frames, fr.Index) {
			t.Errorf("frame %d (vmaf %v) is worse than the third worst listed (%v)", fr.Index, fr.Metrics["vmaf"], ws.Worst.Values[2])
		}
	}
	if math.Abs(ws.Worst.Values[0]-rr.VMAF.MinFrame) > 1e-6 {
		t.Errorf("worst frame %v, report's min_frame %v", ws.Worst.Values[0], rr.VMAF.MinFrame)
	}
	r := f.report.Renditions[0].Name
	a.getJSON("/api/v1/jobs/"+jobID+"/renditions/"+r+"/scores?worst=0", "", 400, nil)
	a.getJSON("/api/v1/jobs/"+jobID+"/renditions/"+r+"/scores?max_points=0", "", 400, nil)
	a.getJSON("/api/v1/jobs/"+jobID+"/renditions/"+r+"/scores?max_points=x", "", 400, nil)
	a.getJSON("/api/v1/jobs/"+jobID+"/renditions/"+r+"/scores?metric=integer_vif_scale0", "", 400, nil)
	a.getJSON("/api/v1/jobs/"+jobID+"/renditions/nope/scores", "", 404, nil)
}

func readScores(t *testing.T, path string) *vmaf.Result {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r, err := vmaf.ReadJSON(fh)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkFrames: PNGs of the source and of each rendition at the source's
// size; frames past the end are 404.
func checkFrames(t *testing.T, a *apiServer, f *fixture) {
	info := f.report.Info
	paths := []string{"/api/v1/jobs/" + jobID + "/source/frames/10"}
	for _, rr := range f.report.Renditions {
		paths = append(paths, "/api/v1/jobs/"+jobID+"/renditions/"+rr.Name+"/frames/10")
	}
	var first []byte
	for _, p := range paths {
		for range 2 { // the second comes from the cache
			resp, b := a.do("GET", p, "", nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("GET %s: %d %s", p, resp.StatusCode, b)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("GET %s: %v", p, err)
			}
			if sz := img.Bounds().Size(); sz.X != info.Width || sz.Y != info.Height {
				t.Errorf("GET %s: %v, want the source's %dx%d", p, sz, info.Width, info.Height)
			}
			if first == nil {
				first = b
			}
		}
	}
	// Frame 10 is not frame 11: the frame number reaches the decoder.
	_, b11 := a.do("GET", "/api/v1/jobs/"+jobID+"/source/frames/11", "", nil)
	if bytes.Equal(first, b11) {
		t.Error("source frames 10 and 11 are the same image")
	}
	a.getJSON(fmt.Sprintf("/api/v1/jobs/%s/source/frames/%d", jobID, info.Frames), "", 404, nil)
	a.getJSON("/api/v1/jobs/"+jobID+"/source/frames/-1", "", 400, nil)
	a.getJSON("/api/v1/jobs/"+jobID+"/renditions/nope/frames/0", "", 404, nil)
}

// checkEvents: a finished job's stream is its progress, then "end".
func checkEvents(t *testing.T, a *apiServer) {
	resp, b := a.do("GET", "/api/v1/jobs/"+jobID+"/events", "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, b)
	}
	var names []string
	var p workflows.Progress
	var end JobSummary
	for _, ev := range strings.Split(strings.TrimSpace(string(b)), "\n\n") {
		name, data, ok := strings.Cut(ev, "\ndata: ")
		name = strings.TrimPrefix(name, "event: ")
		if !ok {
			t.Fatalf("event %q", ev)
		}
		names = append(names, name)
		switch name {
		case "progress":
			if err := json.Unmarshal([]byte(data), &p); err != nil {
				t.Fatal(err)
			}
		case "end":
			if err := json.Unmarshal([]byte(data), &end); err != nil {
				t.Fatal(err)
			}
		}
	}
	if strings.Join(names, ",") != "progress,end" || p.Phase != workflows.PhaseDone || end.Status != "completed" {
		t.Errorf("events %v, progress phase %q, end %+v", names, p.Phase, end)
	}
}

// route is one endpoint of the auth matrix.
type route struct {
	method, path string
	body         []byte
	operator     bool
}

func routesFor(f *fixture) []route {
	r := f.report.Renditions[0].Name
	j := "/api/v1/jobs/" + jobID
	return []route{
		{"GET", "/api/v1/jobs", nil, false},
		{"GET", j, nil, false},
		{"GET", j + "/events", nil, false},
		{"GET", j + "/report", nil, false},
		{"GET", j + "/analysis", nil, false},
		{"GET", j + "/renditions/" + r + "/scores", nil, false},
		{"GET", j + "/renditions/" + r + "/frames/0", nil, false},
		{"GET", j + "/source/frames/0", nil, false},
		{"POST", "/api/v1/jobs", []byte(`{"id":"x","job":{}}`), true},
		{"POST", j + "/cancel", nil, true},
	}
}

// The auth matrix: no token and a wrong token are 401, a viewer is 403 on
// what changes jobs, with JSON error bodies; and such a request starts or
// cancels nothing.
func TestAuthMatrix(t *testing.T) {
	f := setup(t)
	a := newAPI(t, f, Config{Tokens: []config.APIToken{{Token: "view-secret", Role: config.RoleViewer}, {Token: "op-secret", Role: config.RoleOperator}}})
	before := snapshot(t, f)
	for _, rt := range routesFor(f) {
		for _, c := range []struct {
			token string
			want  int
		}{{"", 401}, {"wrong", 401}, {"view-secret", 200}, {"op-secret", 200}} {
			want := c.want
			if want == 200 && rt.operator && c.token == "view-secret" {
				want = 403
			}
			if want == 200 {
				if rt.operator {
					continue // what operators may do is TestSubmitAndCancel's
				}
				if strings.HasSuffix(rt.path, "/analysis") {
					want = 404 // the job has none; the token was taken
				}
			}
			resp, b := a.do(rt.method, rt.path, c.token, rt.body)
			if resp.StatusCode != want {
				t.Errorf("%s %s with %q: %d, want %d (%s)", rt.method, rt.path, c.token, resp.StatusCode, want, b)
				continue
			}
			if want >= 400 {
				checkErrorBody(t, resp, b, want)
			}
			if want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", rt.method, rt.path)
			}
		}
	}
	// Health and the document need no token.
	a.getJSON("/api/v1/health", "", 200, nil)
	a.getJSON("/api/v1/openapi.yaml", "", 200, nil)
	if after := snapshot(t, f); after != before {
		t.Errorf("refused requests changed something:\nbefore %s\nafter  %s", before, after)
	}
}

func checkErrorBody(t *testing.T, resp *http.Response, b []byte, status int) {
	t.Helper()
	var e Error
	if resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &e) != nil || e.Status != status || e.Error == "" {
		t.Errorf("%s: error body %q (%s), want JSON with status %d", resp.Request.URL.Path, b, resp.Header.Get("Content-Type"), status)
	}
}

// snapshot describes what a request could have changed: every file under
// the fixture's directory (outputs, scratch) and the jobs on the cluster.
func snapshot(t *testing.T, f *fixture) string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == "temporal.log" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, fmt.Sprintf("%s:%d:%d", p, info.Size(), info.ModTime().UnixNano()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.c.ListWorkflow(context.Background(), listAll())
	if err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for _, e := range resp.Executions {
		jobs = append(jobs, e.GetExecution().GetWorkflowId()+":"+statusName(e.GetStatus()))
	}
	sort.Strings(jobs)
	return fmt.Sprintf("files %v jobs %v", files, jobs)
}

// Hostile job IDs and rendition names are refused with a JSON error,
// before anything is looked up, read or written.
func TestHostileIDs(t *testing.T) {
	f := setup(t)
	a := newAPI(t, f, Config{})
	before := snapshot(t, f)
	long := strings.Repeat("a", 5000)
	r := f.report.Renditions[0].Name
	j := "/api/v1/jobs/" + jobID
	for _, c := range []struct {
		path string
		want []int
	}{
		{"/api/v1/jobs/..%2F..%2Fetc%2Fpasswd", []int{400}},
		{"/api/v1/jobs/%2Fetc%2Fpasswd/report", []int{400}},
		{"/api/v1/jobs/..", []int{400, 307}},
		{"/api/v1/jobs/../../etc/passwd", []int{307}},
		{"/api/v1/jobs/%2E%2E/report", []int{400, 307}},
		{"/api/v1/jobs/.work/report", []int{400}},
		{"/api/v1/jobs/a%00b", []int{400}},
		{"/api/v1/jobs/a%5Cb", []int{400}},
		{"/api/v1/jobs/" + long, []int{400}},
		{"/api/v1/jobs/" + long + "/source/frames/0", []int{400}},
		{j + "/renditions/..%2F..%2Freport.json/scores", []int{404}},
		{j + "/renditions/%2Fetc%2Fpasswd/frames/0", []int{404}},
		{j + "/renditions/" + long + "/scores", []int{404}},
		{j + "/renditions/" + r + "/frames/99999999999999999999", []int{400}},
		{j + "/renditions/" + r + "/frames/1e3", []int{400}},
		{j + "/source/frames/%2e%2e", []int{400}},
	} {
		resp, b := a.do("GET", c.path, "", nil)
		ok := false
		for _, w := range c.want {
			ok = ok || resp.StatusCode == w
		}
		if !ok {
			t.Errorf("GET %.120s: %d %s, want %v", c.path, resp.StatusCode, b, c.want)
			continue
		}
		// ServeMux redirects a path with ".." segments to its clean form
		// (which then matches no job) without calling any handler.
		if resp.StatusCode != 307 {
			checkErrorBody(t, resp, b, resp.StatusCode)
		}
		if len(b) > 4096 {
			t.Errorf("GET %.120s: %d-byte error", c.path, len(b))
		}
	}
	if after := snapshot(t, f); after != before {
		t.Errorf("hostile requests changed something:\nbefore %s\nafter  %s", before, after)
	}
}

// Bad bodies are 400 and start nothing; a good one starts a job (on a
// queue no worker polls, so it stays running), a second with its ID is
// 409, and it can be cancelled.
func TestSubmitAndCancel(t *testing.T) {
	f := setup(t)
	a := newAPI(t, f, Config{Tokens: []config.APIToken{{Token: "op", Role: config.RoleOperator}}})
	out := filepath.Join(f.dir, "submitted")
	good := func(id string) []byte {
		b, _ := json.Marshal(SubmitRequest{ID: id, Job: workflows.Job{
			Source: f.source, Output: out,
			Renditions: []workflows.Rendition{{Name: "sd", Width: 160, Height: 120, Codec: "x264", CRF: 30}},
			Package:    workflows.PackagePolicy{Formats: []string{"hls", "dash"}, SegmentSeconds: 4},
		}})
		return b
	}
	before := snapshot(t, f)
	for _, body := range []string{
		``,
		`{`,
		`not json`,
		`[]`,
		`{"job":{}}`,
		`{"id":"x","job":{"source":"/a.mov","output":"/out"}}`,
		`{"id":"x","job":{"source":"rel.mov","output":"/out","renditions":[{"name":"a","codec":"x264","crf":23}]}}`,
		`{"id":"x","job":{"source":"/a.mov","output":"/out","renditions":[{"name":"a","codec":"x264","crf":23}]},"extra":1}`,
		`{"id":"../x","job":{"source":"/a.mov","output":"/out","renditions":[{"name":"a","codec":"x264","crf":23}]}}`,
		`{"id":"x","job":{"source":"/a.mov","output":"/out","renditions":[{"name":"a","codec":"x264","crf":23}]}} {}`,
		`{"id":"x","job":{"source":"/a.mov","output":"/out","renditions":[{"name":"a","codec":"x264","crf":"23"}]}}`,
		`{"id":"x","job":{"source":"/a.mov","output":"/out","renditions":[{"name":"a","codec":"x264","crf":23}],"package":{"formats":["smooth"]}}}`,
		`{"id":"x","job":{"source":"/a.mov","output":"/out","renditions":[{"name":"a","codec":"vp9","crf":23}],"package":{"formats":["hls"]}}}`,
		`{"id":"x","job":{"source":"/a.mov","output":"/out","renditions":[{"name":"a","codec":"x264","crf":23}]},"pad":"` + strings.Repeat("x", 2<<20) + `"}`,
	} {
		resp, b := a.do("POST", "/api/v1/jobs", "op", []byte(body))
		if resp.StatusCode != 400 {
			t.Errorf("POST %.80q: %d %s, want 400", body, resp.StatusCode, b)
			continue
		}
		checkErrorBody(t, resp, b, 400)
	}
	if after := snapshot(t, f); after != before {
		t.Errorf("refused submissions changed something:\nbefore %s\nafter  %s", before, after)
	}

	const id = "api-submitted"
	var sub Submitted
	resp, b := a.do("POST", "/api/v1/jobs", "op", good(id))
	if resp.StatusCode != 201 || json.Unmarshal(b, &sub) != nil || sub.Job != id || sub.URL != "/api/v1/jobs/"+id {
		t.Fatalf("submit: %d %s", resp.StatusCode, b)
	}
	t.Cleanup(func() { f.c.TerminateWorkflow(context.Background(), id, "", "test over") })
	resp, b = a.do("POST", "/api/v1/jobs", "op", good(id))
	if resp.StatusCode != 409 {
		t.Errorf("resubmit: %d %s, want 409", resp.StatusCode, b)
	}
	d, err := f.c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil || d.GetWorkflowExecutionInfo().GetTaskQueue() != idleQueue {
		t.Fatalf("submitted job: %v %v", d, err)
	}
	resp, b = a.do("POST", "/api/v1/jobs/"+id+"/cancel", "op", nil)
	if resp.StatusCode != 202 {
		t.Fatalf("cancel: %d %s", resp.StatusCode, b)
	}
	resp, b = a.do("POST", "/api/v1/jobs/"+jobID+"/cancel", "op", nil)
	if resp.StatusCode != 409 {
		t.Errorf("cancel a completed job: %d %s, want 409", resp.StatusCode, b)
	}
	resp, b = a.do("POST", "/api/v1/jobs/nope/cancel", "op", nil)
	if resp.StatusCode != 404 {
		t.Errorf("cancel a missing job: %d %s, want 404", resp.StatusCode, b)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a job no worker ran wrote its output: %v", err)
	}
	// The job's report is 409 while it runs.
	a.getJSON("/api/v1/jobs/"+id+"/report", "op", 409, nil)

	// A live stream ends with the job: the headers come once the handler
	// has found the job running; the job is then terminated, and the
	// stream's last event says so.
	const live = "api-streamed"
	if resp, b := a.do("POST", "/api/v1/jobs", "op", good(live)); resp.StatusCode != 201 {
		t.Fatalf("submit: %d %s", resp.StatusCode, b)
	}
	req, _ := http.NewRequest("GET", a.url+"/api/v1/jobs/"+live+"/events", nil)
	req.Header.Set("Authorization", "Bearer op")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("events: %v %v", resp, err)
	}
	defer resp.Body.Close()
	if err := f.c.TerminateWorkflow(context.Background(), live, "", "test"); err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	events := strings.Split(strings.TrimSpace(string(b)), "\n\n")
	last := events[len(events)-1]
	if !strings.HasPrefix(last, "event: end\ndata: ") || !strings.Contains(last, `"status":"terminated"`) {
		t.Errorf("stream of a terminated job ends with %q", last)
	}
}

// Listen refuses anything but loopback without tokens.
func TestListen(t *testing.T) {
	for _, c := range []struct {
		addr   string
		tokens []config.APIToken
		ok     bool
	}{
		{"127.0.0.1", nil, true},
		{"", nil, true},
		{"localhost", nil, true},
		{"::1", nil, true},
		{"0.0.0.0", nil, false},
		{"::", nil, false},
		{"example.com", nil, false},
		{"0.0.0.0", []config.APIToken{{Token: "t", Role: config.RoleViewer}}, true},
	} {
		ln, err := Listen(c.addr, 0, c.tokens)
		if err == nil {
			ln.Close()
		}
		if c.ok != (err == nil) || (!c.ok && !errors.Is(err, ErrInsecureBind)) {
			// ::1 is absent on hosts without IPv6: a listen error, not a refusal.
			if c.addr == "::1" && err != nil && !errors.Is(err, ErrInsecureBind) {
				continue
			}
			t.Errorf("Listen(%q, tokens %d): %v", c.addr, len(c.tokens), err)
		}
	}
	for _, tok := range [][]config.APIToken{{{Token: "", Role: config.RoleViewer}}, {{Token: "t", Role: "admin"}}} {
		if _, err := New(Config{Client: fakeClient{}, Tokens: tok}); err == nil {
			t.Errorf("New took tokens %+v", tok)
		}
	}
}

// fakeClient is only for New's argument checks, which never call it.
type fakeClient struct{ client.Client }

func listAll() *workflowservice.ListWorkflowExecutionsRequest {
	return &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: 1000}
}
