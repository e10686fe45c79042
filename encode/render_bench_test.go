package encode

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/testmedia"
)

// BenchmarkRender: frames per second of a 2K (2048x1080) EXR half sequence
// to ProRes 422 HQ through the rec709 display transform, by Render with four
// burn-ins and by the ffmpeg CLI (image2 demuxer, -start_number 1001, the
// same zscale transform and encoder, no burn-ins), alternating which runs
// first. The frames alternate between two pictures so QC finds nothing.
//
//	go test -run '^$' -bench BenchmarkRender -benchtime 3x ./encode/
func BenchmarkRender(b *testing.B) {
	const w, h, n = 2048, 1080, 12
	dir := b.TempDir()
	pics := [2]string{filepath.Join(dir, "a.exr"), filepath.Join(dir, "b.exr")}
	for k, p := range pics {
		err := testmedia.WriteEXR(p, w, h, true, func(x, y int) [3]float32 {
			v := float32((x+y+k*97)%w) / float32(w)
			return [3]float32{v, 0.18, 1 - v}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	var frames []RenderFrame
	for i := 0; i < n; i++ {
		name := filepath.Join(dir, fmt.Sprintf("sh010.%04d.exr", 1001+i))
		data, _ := os.ReadFile(pics[i%2])
		if err := os.WriteFile(name, data, 0o644); err != nil {
			b.Fatal(err)
		}
		frames = append(frames, RenderFrame{Number: 1001 + i, File: name,
			Burnins: []string{"sh010 v003", "ana 2026-12-07", fmt.Sprintf("00:00:41:%02d", (17+i)%24), fmt.Sprint(1001 + i)}})
	}
	opts := RenderOptions{FontFile: testFont, Burnins: []string{"top-left", "top-right", "bottom-left", "bottom-right"}}
	out := filepath.Join(dir, "reel.mov")
	ffOut := filepath.Join(dir, "ffmpeg.mov")
	ffArgs := []string{"-nostdin", "-v", "error", "-y", "-start_number", "1001", "-i", filepath.Join(dir, "sh010.%04d.exr"),
		"-vf", "zscale=tin=linear:t=bt709:pin=709:p=709:min=gbr:m=gbr:rin=full:r=full,scale=out_color_matrix=bt709:out_range=tv,format=yuv422p10le",
		"-c:v", "prores_ks", "-profile:v", "3", "-vendor", "apl0", ffOut}
	var reelT, ffT time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run := []func(){
			func() {
				t0 := time.Now()
				if _, err := Render(context.Background(), LocalFiles{}, frames, out, opts); err != nil {
					b.Fatal(err)
				}
				reelT += time.Since(t0)
			},
			func() {
				t0 := time.Now()
				if o, err := exec.Command("ffmpeg", ffArgs...).CombinedOutput(); err != nil {
					b.Fatalf("ffmpeg: %v %s", err, o)
				}
				ffT += time.Since(t0)
			},
		}
		if i%2 == 1 {
			run[0], run[1] = run[1], run[0]
		}
		run[0]()
		run[1]()
	}
	b.StopTimer()
	reelFPS := float64(n*b.N) / reelT.Seconds()
	ffFPS := float64(n*b.N) / ffT.Seconds()
	b.ReportMetric(reelFPS, "reel-fps")
	b.ReportMetric(ffFPS, "ffmpeg-fps")
	b.ReportMetric(reelFPS/ffFPS, "speed-ratio")
	if a, c := movieFrameCount(b, out), movieFrameCount(b, ffOut); a != n || c != n {
		b.Fatalf("frames: reel %d, ffmpeg %d, want %d", a, c, n)
	}
}

func movieFrameCount(b *testing.B, path string) int {
	o, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=nb_frames", "-of", "csv=p=0", path).Output()
	if err != nil {
		b.Fatal(err)
	}
	var k int
	fmt.Sscan(string(o), &k)
	return k
}
