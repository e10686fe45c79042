package api

import (
	"math"
	"strings"
	"testing"

	"github.com/reelmedia/reel/vmaf"
)

// TestFrameSeriesFromFile: a scores file read by column lands on the
// rendition's frames: used as it is when it scores every frame, spread
// out with NaN in the gaps when it does not, refused when it names a frame
// past the rendition's end.
func TestFrameSeriesFromFile(t *testing.T) {
	const every = `{"version":"v","frames":[` +
		`{"frameNum":0,"metrics":{"vmaf":90,"psnr_y":40}},` +
		`{"frameNum":1,"metrics":{"vmaf":80,"psnr_y":null}},` +
		`{"frameNum":2,"metrics":{"vmaf":70}}]}`
	const gaps = `{"version":"v","frames":[` +
		`{"frameNum":1,"metrics":{"vmaf":90,"psnr_y":40}},` +
		`{"frameNum":4,"metrics":{"psnr_y":41}}]}`
	nan := math.NaN()
	for _, c := range []struct {
		name, json string
		frames     int64
		want       map[string][]float64
		err        string
	}{
		{"every frame", every, 3, map[string][]float64{"vmaf": {90, 80, 70}, "psnr_y": {40, nan, nan}}, ""},
		{"gaps", gaps, 6, map[string][]float64{"vmaf": {nan, 90, nan, nan, nan, nan}, "psnr_y": {nan, 40, nan, nan, 41, nan}}, ""},
		{"fewer frames than the rendition", every, 5, map[string][]float64{"vmaf": {90, 80, 70, nan, nan}, "psnr_y": {40, nan, nan, nan, nan}}, ""},
		{"past the end", gaps, 4, nil, "frame 4 of a 4-frame rendition"},
		{"past the end, every frame", every, 2, nil, "frame 2 of a 2-frame rendition"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sr, err := vmaf.ReadJSONSeries([]byte(c.json))
			if err != nil {
				t.Fatal(err)
			}
			fs, err := newFrameSeries(c.frames, sr)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(fs.metrics, ",") != "psnr_y,vmaf" || len(fs.values) != len(c.want) {
				t.Fatalf("metrics %v, %d series", fs.metrics, len(fs.values))
			}
			for m, want := range c.want {
				got := fs.values[m]
				if int64(len(got)) != c.frames {
					t.Fatalf("%s: %d values for %d frames", m, len(got), c.frames)
				}
				for i := range want {
					if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
						t.Fatalf("%s: %v, want %v", m, got, want)
					}
				}
			}
		})
	}
}
