package integration

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// Every real-world source of the corpus (issue 14), with a click track,
// goes through the embedded job as `reel encode SRC -o out/ --rendition
// ...` sends it: chunks of 0.4 s cut anywhere (not at keyframes, so every
// chunk but the first starts inside a GOP), scored, assembled with the
// source's audio. For each:
//
//   - the x264 rendition has the frame count and span of the ffmpeg CLI's
//     conversion of the same source, within one frame;
//   - the chunked lossless (FFV1) rendition decodes to the frames of a
//     one-chunk job's, one for one;
//   - every click of the x264 rendition is on its flash, within one AAC
//     frame, as many as the source has;
//   - report.json says how the timing was treated (vfr kept or constant
//     rate).
//
// In -short mode only the variable-rate MP4, the packed B-frame AVI and
// the MPEG-TS with a timestamp jump go through.
func TestCorpusJob(t *testing.T) {
	_, c := startServer(t, devserver.Config{})
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1})
	corpus := testmedia.Corpus{Clicks: true}
	for _, s := range []struct {
		name  string
		make  func(testing.TB) string
		cli   []string // the ffmpeg CLI's options for the same conversion
		vfr   bool
		short bool    // also in -short mode
		chunk float64 // seconds (0: 0.4)
		// late is how far the source file itself puts its pictures
		// after their clicks (from the second click on), which a faithful
		// output keeps: a sync error in the file, not reel's
		late float64
	}{
		{"vfr-mp4", corpus.VFRMP4, []string{"-fps_mode", "passthrough"}, true, true, 0, 0},
		// The packed B-frame AVI is two frames out of sync in the file
		// itself. AVI has no timestamps, one chunk per 1/23.976 s slot
		// (an empty chunk repeats the picture before). ffmpeg's libxvid
		// encoder returns nothing for the two B-frames it holds back and
		// its AVI muxer fills those slots with empty chunks: slot 0 holds
		// picture 0, slot 1 picture 1, slots 2-3 are empty, and from slot
		// 4 on the packed stream ([P4 B2] [B3] [N-VOP] [P7 B5] ...) decodes
		// one picture per slot, picture k in slot k+2. So the first click
		// is on its flash and every later flash is two slots (83.4 ms)
		// after its click, as reel's index (encode/index.go, fromDts)
		// reads the slots; the ffmpeg CLI adds the decoder's reordering
		// delay on top (three frames, the first one). Shown with ffprobe
		// -show_packets and the VOP types of the packets in the report on
		// issue 14.
		{"packed-avi", corpus.PackedAVI, nil, false, true, 0, 2 * 1001.0 / 24000},
		{"repeat-avi", corpus.RepeatAVI, nil, false, false, 0, 0},
		{"cut-avi", corpus.CutAVI, nil, false, false, 0, 0},
		{"ts-discont", func(tb testing.TB) string { return corpus.DiscontTS(tb, false) }, nil, false, true, 0, 0},
		{"mp4-editlist", corpus.EditListMP4, nil, false, false, 0, 0},
		// (a range that starts in the last 11 frames of this MPEG-TS
		// cannot be decoded yet, "frame range 39:end outside the clip":
		// the index's MPEG-TS tail, being fixed in encode/index.go; the
		// last chunk starts at 36)
		{"ts-interlaced", corpus.InterlacedH264, nil, false, false, 0.72, 0},
		{"hdr10-hevc", corpus.HDR10Source, nil, false, false, 0, 0},
		{"mxf-dnxhr", corpus.DNxMXF, nil, false, false, 0, 0},
	} {
		t.Run(s.name, func(t *testing.T) {
			if testing.Short() && !s.short {
				t.Skip("-short: a subset of the corpus")
			}
			src := s.make(t)
			dir := t.TempDir()
			no, chunk := false, s.chunk
			if chunk == 0 {
				chunk = 0.4
			}
			job := workflows.Job{
				Source: src,
				Output: fileURL(filepath.Join(dir, "chunked")),
				Renditions: []workflows.Rendition{
					{Name: "x264", Codec: "x264", Preset: "ultrafast", Threads: 1},
					{Name: "ffv1", Codec: "ffv1", Threads: 1},
				},
				Chunking: workflows.ChunkPolicy{TargetSeconds: chunk, GOPAligned: &no},
				Quality:  workflows.QualityPolicy{Metrics: []string{workflows.MetricPSNR}},
				Timeouts: workflows.ActivityTiming{HeartbeatSeconds: 30},
			}
			res := runJob(t, c, "corpus-"+s.name, job)
			if res.Chunks < 2 {
				t.Fatalf("%d chunks: the test needs several", res.Chunks)
			}
			one := job
			one.Output = fileURL(filepath.Join(dir, "one"))
			one.Renditions = job.Renditions[1:]
			one.Chunking = workflows.ChunkPolicy{TargetSeconds: 1000}
			one.Quality = workflows.QualityPolicy{Metrics: []string{"none"}}
			if r := runJob(t, c, "corpus-"+s.name+"-one", one); r.Chunks != 1 {
				t.Fatalf("one-chunk job made %d chunks", r.Chunks)
			}

			out := filepath.Join(dir, "chunked", "x264.mp4")
			cli := testmedia.CLIConverted(t, src, s.cli...)
			gotN, wantN := len(testmedia.FrameTimes(t, out)), len(testmedia.FrameTimes(t, cli))
			gotSpan, wantSpan := testmedia.FrameSpan(t, out), testmedia.FrameSpan(t, cli)
			rep := readReport(t, mustFileStore(t, filepath.Join(dir, "chunked")))
			frame := 1 / rep.Info.FrameRate
			t.Logf("%d chunks; x264: %d frames, %.3f s; the ffmpeg CLI: %d frames, %.3f s; problems %v", res.Chunks, gotN, gotSpan, wantN, wantSpan, rep.Problems)
			if math.Abs(float64(gotN-wantN)) > 1 {
				t.Errorf("%d frames, the ffmpeg CLI gives %d", gotN, wantN)
			}
			if math.Abs(gotSpan-wantSpan) > 1.01*frame {
				t.Errorf("lasts %.4f s, the ffmpeg CLI's %.4f s", gotSpan, wantSpan)
			}

			chunked := testmedia.FrameMD5s(t, filepath.Join(dir, "chunked", "ffv1.mkv"))
			whole := testmedia.FrameMD5s(t, filepath.Join(dir, "one", "ffv1.mkv"))
			if !slices.Equal(chunked, whole) {
				t.Errorf("chunked lossless output differs from the one-chunk job's (%d vs %d frames, first difference at %d)",
					len(chunked), len(whole), firstDiff(chunked, whole))
			}

			// Every click starts with its flash, as the sources are made
			// (but for the packed B-frames: see late). The
			// ffmpeg CLI's conversion is no reference here: its
			// constant-rate output moves frames by up to half a frame.
			got, want := testmedia.SyncOffsets(t, out), testmedia.SyncOffsets(t, src)
			t.Logf("sync: output%s; the source as FFmpeg reads it%s", offsets(got), offsets(want))
			if len(got) != len(want) || len(got) < 2 {
				t.Fatalf("%d clicks with flashes, the source %d", len(got), len(want))
			}
			for i, d := range got {
				want := 0.0
				if i > 0 {
					want = -s.late
				}
				if math.Abs(d-want) > testmedia.SyncBound {
					t.Errorf("click %d is %+.1f ms from its flash, the file puts it %+.1f ms (bound %.1f ms)", i, d*1000, want*1000, testmedia.SyncBound*1000)
				}
			}

			wantTiming := workflows.TimingConstant
			if s.vfr {
				wantTiming = workflows.TimingVFRKept
			}
			for _, r := range rep.Renditions {
				if r.Timing != wantTiming {
					t.Errorf("%s: report says timing %q, want %q", r.Name, r.Timing, wantTiming)
				}
			}
			for _, r := range res.Renditions {
				if r.Timing != wantTiming {
					t.Errorf("%s: result says timing %q, want %q", r.Name, r.Timing, wantTiming)
				}
			}
		})
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func offsets(d []float64) string {
	s := ""
	for _, x := range d {
		s += fmt.Sprintf(" %+.1f", x*1000)
	}
	return s + " ms"
}

func mustFileStore(t *testing.T, dir string) mezzfs.Store {
	t.Helper()
	st, err := mezzfs.NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// A rendition with fps= goes through the embedded job converted to that
// constant rate, as `reel encode SRC -o out/ --rendition ...,fps=25` sends
// it: chunks of 0.4 s cut anywhere, scored, assembled with the source's
// audio. For the variable-rate MP4 to 25 fps and a 25 fps source to 30:
//
//   - the x264 rendition has the frame count and span of the ffmpeg CLI's
//     -vf fps=N, within one frame;
//   - the chunked lossless (FFV1) rendition decodes to the frames of a
//     one-chunk job's, one for one (no frame twice or lost at chunk edges);
//   - the lossless rendition scores the PSNR of identical pictures: every
//     chunk is paired frame by frame with the source converted the same way;
//   - the flashes the conversion shows are the ffmpeg CLI's (a flash is
//     dropped when a later source frame takes its grid point), and each is
//     on a click within one AAC frame plus half an output frame;
//   - report.json and the result say "converted to N fps".
func TestCorpusFPS(t *testing.T) {
	_, c := startServer(t, devserver.Config{})
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1})
	corpus := testmedia.Corpus{Clicks: true}
	for _, s := range []struct {
		name string
		make func(testing.TB) string
		fps  string
		rate float64
	}{
		{"vfr-mp4-to-25", corpus.VFRMP4, "25", 25},
		{"cfr25-to-30", func(tb testing.TB) string { return testmedia.ClickFlash(tb, false) }, "30", 30},
	} {
		t.Run(s.name, func(t *testing.T) {
			src := s.make(t)
			dir := t.TempDir()
			no := false
			job := workflows.Job{
				Source: src,
				Output: fileURL(filepath.Join(dir, "chunked")),
				Renditions: []workflows.Rendition{
					{Name: "x264", Codec: "x264", Preset: "ultrafast", Threads: 1, FPS: s.fps},
					{Name: "ffv1", Codec: "ffv1", Threads: 1, FPS: s.fps},
				},
				Chunking: workflows.ChunkPolicy{TargetSeconds: 0.4, GOPAligned: &no},
				Quality:  workflows.QualityPolicy{Metrics: []string{workflows.MetricPSNR}},
				Timeouts: workflows.ActivityTiming{HeartbeatSeconds: 30},
			}
			res := runJob(t, c, "fps-"+s.name, job)
			if res.Chunks < 2 {
				t.Fatalf("%d chunks: the test needs several", res.Chunks)
			}
			one := job
			one.Output = fileURL(filepath.Join(dir, "one"))
			one.Renditions = job.Renditions[1:]
			one.Chunking = workflows.ChunkPolicy{TargetSeconds: 1000}
			one.Quality = workflows.QualityPolicy{Metrics: []string{"none"}}
			if r := runJob(t, c, "fps-"+s.name+"-one", one); r.Chunks != 1 {
				t.Fatalf("one-chunk job made %d chunks", r.Chunks)
			}

			out := filepath.Join(dir, "chunked", "x264.mp4")
			cli := testmedia.CLIConverted(t, src, "-vf", "fps="+s.fps)
			gotN, wantN := len(testmedia.FrameTimes(t, out)), len(testmedia.FrameTimes(t, cli))
			gotSpan, wantSpan := testmedia.FrameSpan(t, out), testmedia.FrameSpan(t, cli)
			t.Logf("%d chunks; x264: %d frames, %.3f s; the ffmpeg CLI -vf fps=%s: %d frames, %.3f s", res.Chunks, gotN, gotSpan, s.fps, wantN, wantSpan)
			if math.Abs(float64(gotN-wantN)) > 1 {
				t.Errorf("%d frames, the ffmpeg CLI gives %d", gotN, wantN)
			}
			if math.Abs(gotSpan-wantSpan) > 1.01/s.rate {
				t.Errorf("lasts %.4f s, the ffmpeg CLI's %.4f s", gotSpan, wantSpan)
			}
			for _, ft := range testmedia.FrameTimes(t, out) {
				if k := ft[0] * s.rate; math.Abs(k-math.Round(k)) > 1e-3 {
					t.Fatalf("a frame at %.4f s is off the %s fps grid", ft[0], s.fps)
				}
			}

			chunked := testmedia.FrameMD5s(t, filepath.Join(dir, "chunked", "ffv1.mkv"))
			whole := testmedia.FrameMD5s(t, filepath.Join(dir, "one", "ffv1.mkv"))
			if !slices.Equal(chunked, whole) {
				t.Errorf("chunked lossless output differs from the one-chunk job's (%d vs %d frames, first difference at %d)",
					len(chunked), len(whole), firstDiff(chunked, whole))
			}
			if len(chunked) != gotN {
				t.Errorf("lossless rendition has %d frames, x264 %d", len(chunked), gotN)
			}

			// A conversion drops a flash when a later source frame takes
			// its grid point, as the ffmpeg CLI's does: the flashes shown
			// are the CLI's, and each is on a click.
			flashes, cliFlashes := testmedia.FlashTimes(t, out), testmedia.FlashTimes(t, cli)
			samples, times := testmedia.AudioSamples(t, out, 0)
			clicks := testmedia.ClickTimes(samples, times)
			// (a flash with no audio left after it has no click to meet)
			audioEnd := times[len(times)-1] - 48.0/48000
			for len(flashes) > 0 && flashes[len(flashes)-1] > audioEnd {
				flashes = flashes[:len(flashes)-1]
			}
			for len(cliFlashes) > 0 && cliFlashes[len(cliFlashes)-1] > audioEnd {
				cliFlashes = cliFlashes[:len(cliFlashes)-1]
			}
			t.Logf("flashes %v (the ffmpeg CLI's %v), clicks %v", flashes, cliFlashes, clicks)
			if len(flashes) != len(cliFlashes) || len(flashes) < 2 {
				t.Fatalf("%d flashes, the ffmpeg CLI's conversion shows %d", len(flashes), len(cliFlashes))
			}
			bound := testmedia.SyncBound + 0.5/s.rate
			for i, f := range flashes {
				if math.Abs(f-cliFlashes[i]) > 1e-3 {
					t.Errorf("flash %d at %.4f s, the ffmpeg CLI's at %.4f s", i, f, cliFlashes[i])
				}
				near := math.Inf(1)
				for _, c := range clicks {
					near = min(near, math.Abs(c-f))
				}
				if near > bound {
					t.Errorf("flash %d at %.4f s is %.1f ms from the nearest click (bound %.1f ms)", i, f, near*1000, bound*1000)
				}
			}

			rep := readReport(t, mustFileStore(t, filepath.Join(dir, "chunked")))
			wantTiming := "converted to " + s.fps + " fps"
			for _, r := range rep.Renditions {
				if r.Timing != wantTiming {
					t.Errorf("%s: report says timing %q, want %q", r.Name, r.Timing, wantTiming)
				}
			}
			for _, r := range res.Renditions {
				if r.Timing != wantTiming {
					t.Errorf("%s: result says timing %q, want %q", r.Name, r.Timing, wantTiming)
				}
				if r.Name == "ffv1" && r.PSNR < 59 {
					t.Errorf("lossless rendition scores PSNR %.2f: chunks are not paired frame by frame with the converted source", r.PSNR)
				}
				t.Logf("%s: %d frames, PSNR %.2f", r.Name, r.Frames, r.PSNR)
			}
		})
	}
}
