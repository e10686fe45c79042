package encode

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
)

// clickWav writes a click track: the first millisecond of every second
// loud, silence otherwise, at rate for secs seconds.
func clickWav(t *testing.T, dir string, rate int, secs float64) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("click%d_%g.wav", rate, secs))
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
		fmt.Sprintf("aevalsrc='if(lt(mod(n\\,%d)\\,%d)\\,0.9\\,0)':s=%d:d=%g", rate, rate/1000, rate, secs), "-ac", "2", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	return p
}

// TestRenderAudioSync: a 3 s sequence flashing white on frames 0, 24 and
// 48 (24 fps) with a click track muxed: every click lands on its flash
// (within one AAC frame, 21 ms; a frame is 42 ms), with and without a
// slate (which gets silence), in ProRes (PCM s24le) and H.264 (AAC); a
// longer track is trimmed and a shorter one padded with silence to the
// movie's length.
func TestRenderAudioSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := ffmpegSeq(t, dir, "flash", "png",
		"color=c=black:s=64x36:r=24,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(mod(n\\,24)\\,0)'", "rgb24", 1001, 72)
	frames := plainFrames(files, 1001)
	cases := []struct {
		name, codec, out string
		slate            bool
		rate             int
		secs             float64
		clicks           int
		mp4              bool // the clicks of testmedia.ClickFlash: AAC in MP4, 10 s
	}{
		{"prores pcm", "prores", "a.mov", false, 44100, 4, 3, false},
		{"prores pcm slate", "prores", "b.mov", true, 48000, 4, 3, false},
		{"h264 aac slate", "h264", "c.mp4", true, 48000, 4, 3, false},
		{"h264 aac short", "h264", "d.mp4", false, 48000, 2, 2, false},
		{"prores from aac in mp4", "prores", "e.mov", true, 48000, 10, 3, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.out)
			sound := clickWav(t, dir, c.rate, c.secs)
			if c.mp4 {
				sound = testmedia.ClickFlash(t, false)
			}
			o := RenderOptions{Codec: c.codec, Audio: &Input{Path: sound}, FontFile: testFont}
			if c.slate {
				o.Slate = []string{"sh010"}
			}
			res, err := Render(ctx, LocalFiles{}, frames, out, o)
			if err != nil {
				t.Fatal(err)
			}
			wantAudio := map[string]string{"prores": "pcm_s24le", "h264": "aac"}[c.codec]
			if res.Audio != wantAudio || audioCodec(t, out) != wantAudio {
				t.Errorf("audio codec %q, probed %q, want %s", res.Audio, audioCodec(t, out), wantAudio)
			}
			flashes := testmedia.FlashTimes(t, out)
			samples, times := testmedia.AudioSamples(t, out, 0)
			clicks := testmedia.ClickTimes(samples, times)
			if len(flashes) != 3 || len(clicks) != c.clicks {
				t.Fatalf("flashes at %v, clicks at %v: want 3 flashes and %d clicks", flashes, clicks, c.clicks)
			}
			var offsets []float64
			for i, ct := range clicks {
				offsets = append(offsets, ct-flashes[i])
				if math.Abs(ct-flashes[i]) > testmedia.SyncBound {
					t.Errorf("click %d at %.4f s is %+.1f ms from its flash", i, ct, (ct-flashes[i])*1000)
				}
			}
			videoDur := float64(res.Frames) / 24
			audioDur := times[len(times)-1] + 1.0/48000 - times[0]
			bound := 1.0 / 48000
			if c.codec == "h264" {
				bound = testmedia.SyncBound
			}
			t.Logf("offsets %v s; audio %.5f s from %.5f, video %.5f s", offsets, audioDur, times[0], videoDur)
			if math.Abs(audioDur-videoDur) > bound || math.Abs(times[0]) > bound {
				t.Errorf("audio runs %.5f s from %.5f, the movie %.5f s", audioDur, times[0], videoDur)
			}
			if c.secs < 3 { // padded: silence after the track's end
				for i, v := range samples {
					if times[i] > c.secs+0.05 && math.Abs(v) > 0.01 {
						t.Fatalf("sample at %.3f s is %.3f, want the padding's silence", times[i], v)
					}
				}
			}
		})
	}
}

// audioCodec is the codec of a movie's first audio stream.
func audioCodec(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	return string(bytesTrim(out))
}

func bytesTrim(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
