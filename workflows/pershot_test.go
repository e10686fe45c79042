package workflows

import (
	"slices"
	"strings"
	"testing"
)

// The fan-out of the scale, 5 000 shots × 30 grid points, keeps
// every history under Temporal's warning threshold (10 240 events; the
// hard limit is 51 200), and every shot is in exactly one child.
func TestPerShotEventBudget(t *testing.T) {
	const limit = 10240
	for _, c := range []struct{ shots, points, rungs, batch int }{
		{5000, 30, 8, DefaultBatchSize}, {5000, 64, 8, DefaultBatchSize}, {1, 30, 1, DefaultBatchSize},
		{10000, 30, 8, DefaultBatchSize}, {7, 3, 2, DefaultBatchSize}, {5000, 30, 8, 1}, {10000, 30, 8, 1}, {5000, 30, 8, maxBatchSize},
	} {
		parent, child := PerShotEvents(c.shots, c.points, c.rungs, c.batch)
		t.Logf("%d shots × %d points, %d rungs, batch %d: parent %d events, largest child %d", c.shots, c.points, c.rungs, c.batch, parent, child)
		if parent > limit || child > limit {
			t.Errorf("%d shots × %d points: parent %d, child %d events, want ≤ %d", c.shots, c.points, parent, child, limit)
		}
		next := 0
		for _, s := range shotSlices(c.shots, c.points, c.batch) {
			if s[0] != next || s[1] <= s[0] || (s[1]-s[0])*c.points > MaxEncodesPerChild {
				t.Fatalf("%d shots × %d points: slice %v after %d", c.shots, c.points, s, next)
			}
			next = s[1]
		}
		if next != c.shots {
			t.Errorf("%d shots: slices end at %d", c.shots, next)
		}
	}
	if MaxChildEvents > limit {
		t.Errorf("MaxChildEvents %d > %d", MaxChildEvents, limit)
	}
}

func perShotJob() Job {
	return Job{
		Source: "in.mp4", Output: "file:///out", Optimize: OptimizePerShot,
		Renditions: []Rendition{
			{Name: "hi", Height: 720, Codec: "x264", Preset: "fast"},
			{Name: "lo", Height: 360, Codec: "x264", Preset: "fast"},
		},
		PerShot: PerShotPolicy{Targets: []RungTarget{{Rendition: "hi", Bitrate: 3_000_000}, {Rendition: "lo", VMAF: 80}}},
	}
}

func TestPerShotDefaultsAndGrid(t *testing.T) {
	job := WithDefaults(perShotJob())
	if err := Validate(job); err != nil {
		t.Fatal(err)
	}
	p := job.PerShot
	if job.Chunking.Mode != ChunkShots || p.RC != RCCRF || p.Pool != "mean" || !slices.Equal(p.Heights, []int{720, 360}) ||
		!slices.Equal(p.Values, []int{18, 21, 24, 27, 30, 33, 36, 39, 42}) || !slices.Contains(job.Quality.Metrics, MetricVMAF) {
		t.Errorf("defaults: chunking %q, %+v, metrics %v", job.Chunking.Mode, p, job.Quality.Metrics)
	}
	g := gridPoints(job)
	if len(g) != 18 || g[0].Name != "grid-720p-crf18" || g[0].CRF != 18 || g[17].Name != "grid-360p-crf42" || g[17].Height != 360 || g[17].Preset != "fast" {
		t.Errorf("grid %+v", g)
	}
	job.PerShot.RC = RCQP
	g = gridPoints(job)
	if g[1].Name != "grid-720p-qp21" || g[1].QP != 21 || g[1].CRF != 0 || qpParams(g[1])["qp"] != "21" || qpParams(g[1])["crf"] != "-1" {
		t.Errorf("qp grid point %+v %v", g[1], qpParams(g[1]))
	}
	if qpParams(Rendition{CRF: 20}) != nil {
		t.Error("a CRF rendition got QP options")
	}
}

func TestValidatePerShot(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Job)
		want string
	}{
		{"unknown mode", func(j *Job) { j.Optimize = "per-title" }, `optimize "per-title"`},
		{"no target", func(j *Job) { j.PerShot.Targets = j.PerShot.Targets[:1] }, "rung lo has no target"},
		{"two targets", func(j *Job) { j.PerShot.Targets[0].VMAF = 90 }, "rung hi: give one target"},
		{"stray target", func(j *Job) {
			j.PerShot.Targets = append(j.PerShot.Targets, RungTarget{Rendition: "mid", VMAF: 80})
		}, "target for mid"},
		{"height off grid", func(j *Job) { j.PerShot.Heights = []int{720, 540} }, "height 360 is not in the grid"},
		{"mixed codecs", func(j *Job) { j.Renditions[1].Codec = "x265" }, "every rung shares"},
		{"width", func(j *Job) { j.Renditions[0].Width = 1280 }, "give only a height"},
		{"one crf", func(j *Job) { j.PerShot.Values = []int{23} }, "at least 2 CRFs"},
		{"crf range", func(j *Job) { j.PerShot.Values = []int{23, 60} }, "grid value 60"},
		{"duplicate", func(j *Job) { j.PerShot.Values = []int{23, 23} }, "listed twice"},
		{"odd height", func(j *Job) { j.PerShot.Heights = []int{720, 360, 361} }, "height 361"},
		{"too many points", func(j *Job) { j.PerShot.Values = intRange(0, 51, 1) }, "at most 64"},
		{"qp on av1", func(j *Job) {
			j.PerShot.RC = RCQP
			j.Renditions[0].Codec, j.Renditions[1].Codec = "svtav1", "svtav1"
		}, "no constant-QP mode"},
		{"pool", func(j *Job) { j.PerShot.Pool = "median" }, `pool "median"`},
		{"gate", func(j *Job) { j.Quality.MinVMAF = 90 }, "quality gate does not apply"},
		{"package", func(j *Job) { j.Package = PackagePolicy{Formats: []string{"hls"}} }, "package with optimize per-shot is not supported"},
		{"no grid for codec", func(j *Job) { j.Renditions[0].Codec, j.Renditions[1].Codec = "prores", "prores" }, "no default grid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			job := perShotJob()
			c.edit(&job)
			err := Validate(WithDefaults(job))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// Two shots of 24 frames at 24 fps over three CRFs, with the answer worked
// out by hand. λ-slopes (frames·ΔVMAF/Δbits): static 40→30 24·6/1600 =
// 0.09, 30→20 24·2/5600 = 0.0086; busy 40→30 24·15/16000 = 0.0225, 30→20
// 24·10/56000 = 0.0043. The title hull in bytes: (40,40) 1100, (30,40)
// 1300, (30,30) 3300, (20,30) 4000, (20,20) 11000.
func TestSelectPerShot(t *testing.T) {
	score := map[[2]int]ChunkResult{ // (point, shot)
		{0, 0}: {Bytes: 1000, VMAF: 98, EncodeSeconds: 1}, {1, 0}: {Bytes: 300, VMAF: 96}, {2, 0}: {Bytes: 100, VMAF: 90},
		{0, 1}: {Bytes: 10000, VMAF: 95}, {1, 1}: {Bytes: 3000, VMAF: 85}, {2, 1}: {Bytes: 1000, VMAF: 70, EncodeSeconds: 2, ScoreSeconds: 0.5},
	}
	job := perShotJob()
	job.Renditions = job.Renditions[:1]
	job.Renditions = append(job.Renditions, Rendition{Name: "q", Height: 720, Codec: "x264", Preset: "fast"})
	job.PerShot = PerShotPolicy{Values: []int{20, 30, 40}, Targets: []RungTarget{
		{Rendition: "hi", Bitrate: 16000}, // 4000 bytes over 2 s
		{Rendition: "q", VMAF: 85},
	}}
	job = WithDefaults(job)
	if err := Validate(job); err != nil {
		t.Fatal(err)
	}
	task := PerShotSelectTask{
		Job: "j", Chunks: []Chunk{{0, 0, 24}, {1, 24, 48}}, Grid: gridPoints(job), Policy: job.PerShot,
		Renditions: job.Renditions, FrameRate: 24,
	}
	rep, sel, err := selectPerShot(task, func(p, s int) ChunkResult { return score[[2]int{p, s}] })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sel.Rungs[0].Choice, []int{0, 1}) || !slices.Equal(sel.Rungs[1].Choice, []int{1, 1}) {
		t.Fatalf("choices %+v", sel.Rungs)
	}
	if r := rep.Rungs[0]; r.Bitrate != 16000 || r.VMAF != 91.5 || r.Pooled != 91.5 || r.Spread != 13 {
		t.Errorf("bitrate rung %+v", r)
	}
	if r := rep.Rungs[1]; r.Bitrate != 13200 || r.VMAF != 90.5 {
		t.Errorf("quality rung %+v", r)
	}
	if rep.EncodeSeconds != 3 || rep.ScoreSeconds != 0.5 {
		t.Errorf("grid seconds %v, %v", rep.EncodeSeconds, rep.ScoreSeconds)
	}
	if s := rep.Shots[1]; !slices.Equal(s.Hull, []int{2, 1, 0}) || !slices.Equal(s.Chosen, []int{1, 1}) || s.Points[2].Bitrate != 8000 {
		t.Errorf("shot 1 %+v", s)
	}
	sz := rep.Sizes[0]
	wantFixed := []CurvePoint{{Bitrate: 4400, VMAF: 80, Value: 40}, {Bitrate: 13200, VMAF: 90.5, Value: 30}, {Bitrate: 44000, VMAF: 96.5, Value: 20}}
	if !slices.Equal(sz.Fixed, wantFixed) || len(sz.PerShot) != 5 || sz.PerShot[3].Bitrate != 16000 || sz.PerShot[3].VMAF != 91.5 {
		t.Errorf("size curves %+v", sz)
	}
	if sz.BDRate != nil || !strings.Contains(sz.BDRateError, "4") {
		t.Errorf("three fixed points gave a BD-rate %v (%s)", sz.BDRate, sz.BDRateError)
	}

	// A target under the cheapest point says what the grid spans.
	task.Policy.Targets[0].Bitrate = 1000
	if _, _, err := selectPerShot(task, func(p, s int) ChunkResult { return score[[2]int{p, s}] }); err == nil ||
		!strings.Contains(err.Error(), "rung hi") || !strings.Contains(err.Error(), "spans 4400 to 44000 b/s") {
		t.Errorf("unreachable target: %v", err)
	}
}

// With four CRFs the fixed ladder has a BD-rate, and the per-shot curve,
// which can move the static shot up alone, needs fewer bits.
func TestSelectPerShotBDRate(t *testing.T) {
	score := map[[2]int]ChunkResult{
		{0, 0}: {Bytes: 1000, VMAF: 98}, {1, 0}: {Bytes: 300, VMAF: 96}, {2, 0}: {Bytes: 100, VMAF: 90}, {3, 0}: {Bytes: 60, VMAF: 80},
		{0, 1}: {Bytes: 10000, VMAF: 95}, {1, 1}: {Bytes: 3000, VMAF: 85}, {2, 1}: {Bytes: 1000, VMAF: 70}, {3, 1}: {Bytes: 400, VMAF: 50},
	}
	job := perShotJob()
	job.Renditions = job.Renditions[:1]
	job.PerShot = PerShotPolicy{Values: []int{20, 30, 40, 50}, Targets: []RungTarget{{Rendition: "hi", VMAF: 85}}}
	job = WithDefaults(job)
	task := PerShotSelectTask{Job: "j", Chunks: []Chunk{{0, 0, 24}, {1, 24, 48}}, Grid: gridPoints(job), Policy: job.PerShot, Renditions: job.Renditions, FrameRate: 24}
	rep, _, err := selectPerShot(task, func(p, s int) ChunkResult { return score[[2]int{p, s}] })
	if err != nil {
		t.Fatal(err)
	}
	sz := rep.Sizes[0]
	if sz.BDRate == nil || !(*sz.BDRate < -1) || rep.Rungs[0].BDRate == nil || *rep.Rungs[0].BDRate != *sz.BDRate {
		t.Fatalf("BD-rate %v (%s), rung %v; curves %+v", *sz.BDRate, sz.BDRateError, rep.Rungs[0].BDRate, sz)
	}
	t.Logf("per-shot vs fixed CRF: %.2f %%", *sz.BDRate)
}

// Shots are cut exactly at the cuts, never merged towards a length; a
// flash joins the shot before, a long shot (or a source without cuts) is
// split evenly.
func TestShotChunks(t *testing.T) {
	spans := func(cs []Chunk) [][2]int64 {
		var out [][2]int64
		for i, c := range cs {
			if c.Index != i {
				t.Fatalf("chunk %d has index %d", i, c.Index)
			}
			out = append(out, [2]int64{c.Start, c.End})
		}
		return out
	}
	for _, c := range []struct {
		name   string
		cuts   []int64
		frames int64
		want   [][2]int64
	}{
		{"eight shots", []int64{12, 24, 36, 48, 60, 72, 84}, 96, [][2]int64{{0, 12}, {12, 24}, {24, 36}, {36, 48}, {48, 60}, {60, 72}, {72, 84}, {84, 96}}},
		{"a flash joins", []int64{24, 26, 48}, 72, [][2]int64{{0, 24}, {24, 48}, {48, 72}}},
		{"a short tail joins", []int64{24, 70}, 72, [][2]int64{{0, 24}, {24, 72}}},
		{"a long shot splits", []int64{24}, 24 + 100, [][2]int64{{0, 24}, {24, 57}, {57, 90}, {90, 124}}},
		{"no cuts", nil, 120, [][2]int64{{0, 40}, {40, 80}, {80, 120}}},
		{"cuts outside", []int64{0, -5, 200}, 48, [][2]int64{{0, 48}}},
	} {
		got := spans(shotChunks(c.cuts, c.frames, 24, 1)) // shots of at most 48 frames, at least 6
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
