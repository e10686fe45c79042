package api

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reelmedia/reel/cmd/reel/internal/web"
)

// TestDashboardInBrowser loads the dashboard of the finished job in a real
// Chromium (Debian's, installed by scripts/deps.sh; nothing is downloaded)
// and checks what it drew: the job list, the per-frame plot with one point
// per frame, the worst-frames table, the worst frame's source and rendition
// images and the difference image, and the rate-quality plot. Screenshots
// go to the test's temp dir, or to $REEL_SCREENSHOT_DIR when set.
func TestDashboardInBrowser(t *testing.T) {
	chrome := lookChromium(t)
	f := setup(t)
	a := newAPI(t, f, Config{Web: web.Handler()})
	shots := os.Getenv("REEL_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	bctx := startChromium(t, chrome, 3*time.Minute)
	shot := func(name string) {
		t.Helper()
		png := browse(t, bctx, "screenshot", chromedp.FullScreenshot(100))
		path := filepath.Join(shots, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", path)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browse(t, bctx, what, chromedp.Steps(steps...))
	}

	// The job list names the finished job.
	do("job list", chromedp.Navigate(a.url+"/#/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=jobs]`)))
	jobs := browse(t, bctx, "job list", chromedp.Text(chromedp.CSS(`[data-testid=jobs]`)))
	shot("jobs.png")
	if !strings.Contains(jobs, jobID) || !strings.Contains(jobs, "completed") {
		t.Errorf("job list shows %q, want %s completed", jobs, jobID)
	}

	// The job page: the per-frame plot has one point per frame of the
	// first rendition (a short clip is not downsampled), and the line is
	// drawn on the canvas.
	r := f.report.Renditions[0]
	do("job page",
		chromedp.Navigate(a.url+web.JobURL("", jobID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=frame-plot] canvas`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=worst] tbody tr`)))
	type plotInfo struct{ Points, Frames, Bucket, Drawn int }
	plot := browse(t, bctx, "plot", chromedp.Poll[plotInfo](`window.reelPlot`, chromedp.WithPollingTimeout(30*time.Second)))
	// VMAF's line is #2563eb: count the canvas pixels near that blue.
	blue := browse(t, bctx, "plot pixels", chromedp.Evaluate[int](`(() => {
		const c = document.querySelector('[data-testid=frame-plot] canvas');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 0; i < d.length; i += 4) if (d[i] < 90 && d[i+1] > 70 && d[i+1] < 130 && d[i+2] > 200) n++;
		return n;
	})()`))
	worstRows := browse(t, bctx, "worst rows", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=worst] tbody tr').length`))
	shot("job.png")
	if int64(plot.Frames) != r.Frames || plot.Bucket != 1 || plot.Points != plot.Frames || plot.Drawn != plot.Frames {
		t.Errorf("plot drew %+v, want one point per frame of %s's %d frames", plot, r.Name, r.Frames)
	}
	if blue < 200 {
		t.Errorf("the VMAF line covers %d pixels of the plot: nothing was drawn", blue)
	}
	if want := min(20, int(r.Frames)); worstRows != want {
		t.Errorf("worst-frames table has %d rows, want %d", worstRows, want)
	}

	// The worst frame: the table's first link is the frame with the
	// lowest VMAF, and both images load at the source's size.
	var scores Scores
	a.getJSON("/api/v1/jobs/"+jobID+"/renditions/"+r.Name+"/scores?metric=vmaf", "", 200, &scores)
	worst, low := -1, 0.0
	for i, v := range scores.Metrics["vmaf"].Values {
		if worst < 0 || v < low {
			worst, low = i, v
		}
	}
	do("worst frame",
		chromedp.Click(chromedp.CSS(`[data-testid=worst-link]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`img[data-testid=rendition-image]`)),
		chromedp.WaitVisible(chromedp.CSS(`img[data-testid=source-image]`)))
	hash := browse(t, bctx, "hash", chromedp.Evaluate[string](`location.hash`))
	sizes := browse(t, bctx, "image sizes", chromedp.Evaluate[[]int](`[...document.querySelectorAll('img[data-testid]')].flatMap(i => [i.complete ? i.naturalWidth : -1, i.naturalHeight])`))
	shot("worst-frame.png")
	if want := fmt.Sprintf("/frame/%s/%d", r.Name, worst); !strings.HasSuffix(hash, want) {
		t.Errorf("the first worst frame opened %s, want %s (VMAF %.3f)", hash, want, low)
	}
	w, h := int(f.report.Info.Width), int(f.report.Info.Height)
	if len(sizes) != 4 || sizes[0] != w || sizes[1] != h || sizes[2] != w || sizes[3] != h {
		t.Errorf("frame images are %v (width, height of each), want both %dx%d", sizes, w, h)
	}

	// The difference image: the rendition is lossy, so it is not black.
	do("difference",
		chromedp.Click(chromedp.Search(`//button[text()="difference"]`)),
		chromedp.WaitVisible(chromedp.CSS(`canvas[data-testid=difference]`)))
	mean := browse(t, bctx, "difference", chromedp.AttributeValue(chromedp.CSS(`canvas[data-testid=difference]`), "data-mean-abs"))
	shot("difference.png")
	if v, err := strconv.ParseFloat(mean.Value, 64); err != nil || v <= 0 {
		t.Errorf("difference image mean %q: want a positive difference", mean.Value)
	}

	// Rate-quality: one point per rendition with a VMAF.
	do("rate-quality",
		chromedp.Navigate(a.url+"/#/job/"+jobID+"/rq"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rq-plot] canvas`)))
	rq := browse(t, bctx, "rate-quality", chromedp.Text(chromedp.CSS(`[data-testid=rq-table]`)))
	shot("rate-quality.png")
	for _, rr := range f.report.Renditions {
		if !strings.Contains(rq, rr.Name) {
			t.Errorf("rate-quality table %q has no %s", rq, rr.Name)
		}
	}

	// Two jobs of the same source: both curves, and their BD-rate as the
	// API computes it.
	setupBDJobs(t, f)
	var bd BDRate
	a.getJSON("/api/v1/bdrate?anchor="+bdAnchor+"&test="+bdTest, "", 200, &bd)
	do("BD-rate",
		chromedp.Navigate(a.url+"/#/job/"+bdAnchor+"/rq?vs="+bdTest),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rq-plot] canvas`)))
	said := browse(t, bctx, "BD-rate text", chromedp.Poll[string](`document.querySelector('[data-testid=bdrate]').textContent`, chromedp.WithPollingTimeout(30*time.Second)))
	rows := browse(t, bctx, "curve rows", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=rq-table] tbody tr').length`))
	shot("bdrate.png")
	if want := fmt.Sprintf("%.2f %%", bd.RatePercent); !strings.Contains(said, want) || !strings.Contains(said, "pchip") {
		t.Errorf("rate-quality page says %q, want the BD-rate %s and its method", said, want)
	}
	if rows != 8 {
		t.Errorf("rate-quality table has %d rows, want 4 renditions of each job", rows)
	}
}

// lookChromium finds Debian's chromium, or skips.
func lookChromium(tb testing.TB) string {
	tb.Helper()
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		tb.Skip("chromium is not installed (scripts/deps.sh installs Debian's chromium for this test)")
	}
	return chrome
}

// startChromium starts a headless Chromium for at most limit, stopped at
// the end of the test; it skips where Chromium cannot run at all.
func startChromium(tb testing.TB, chrome string, limit time.Duration) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	tb.Cleanup(cancel)
	// The flags keep Chromium off the network (this machine's is closed)
	// and in a profile of its own.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1400, 1000),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tb.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	tb.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil {
		tb.Skipf("chromium cannot run here: %v", err)
	}
	return bctx
}

// BenchmarkJobPageFirstRender: from navigation to the finished job's page
// until its per-frame plot and its worst-frames table are drawn, in a real
// Chromium over loopback HTTP. The job is the test fixture's: a 2 s
// 320x240 25 fps clip, 50 frames per rendition, two renditions. The first
// navigation also reads the report and the scores file on the server
// (first-ms); every other one starts from about:blank with the server's
// caches and the browser's asset cache warm (p50-ms, p99-ms).
//
//	go test -run '^$' -bench JobPageFirstRender -benchtime 10x ./cmd/reel/internal/api/
func BenchmarkJobPageFirstRender(b *testing.B) {
	chrome := lookChromium(b)
	f := setup(b)
	a := newAPI(b, f, Config{Web: web.Handler()})
	bctx := startChromium(b, chrome, 5*time.Minute)
	open := func() time.Duration {
		// A page that never draws fails the benchmark in half a minute.
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		browse(b, ctx, "blank", chromedp.Navigate("about:blank"))
		t0 := time.Now()
		browse(b, ctx, "job page", chromedp.Steps(
			chromedp.Navigate(a.url+web.JobURL("", jobID)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=frame-plot] canvas`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=worst] tbody tr`))))
		return time.Since(t0)
	}
	first := open()
	var lat []time.Duration
	for b.Loop() {
		lat = append(lat, open())
	}
	slices.Sort(lat)
	b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}

// browse runs one browser action and fails the test on its error.
func browse[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}
