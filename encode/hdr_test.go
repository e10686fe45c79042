package encode

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
)

// ffprobeHDR is the first frame's mastering display (in x265's syntax) and
// content light level as ffprobe reads them, and the stream's tags.
func ffprobeHDR(tb testing.TB, path string) (master string, cll [2]int, pixFmt, trc, prim, matrix string) {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_streams", "-show_frames",
		"-read_intervals", "%+#1", "-of", "json", path).CombinedOutput()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	var r struct {
		Frames []struct {
			SideData []map[string]any `json:"side_data_list"`
		} `json:"frames"`
		Streams []struct {
			PixFmt string `json:"pix_fmt"`
			Trc    string `json:"color_transfer"`
			Prim   string `json:"color_primaries"`
			Space  string `json:"color_space"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &r); err != nil || len(r.Streams) == 0 {
		tb.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	s := r.Streams[0]
	if len(r.Frames) == 0 {
		return "", cll, s.PixFmt, s.Trc, s.Prim, s.Space
	}
	for _, sd := range r.Frames[0].SideData {
		switch sd["side_data_type"] {
		case "Mastering display metadata":
			m := MasteringDisplay{}
			q := func(k string) float64 {
				var n, d float64
				if v, ok := sd[k].(string); ok {
					fmt.Sscanf(v, "%g/%g", &n, &d)
				}
				if d == 0 {
					return 0
				}
				return n / d
			}
			m.Red = [2]float64{q("red_x"), q("red_y")}
			m.Green = [2]float64{q("green_x"), q("green_y")}
			m.Blue = [2]float64{q("blue_x"), q("blue_y")}
			m.WhitePoint = [2]float64{q("white_point_x"), q("white_point_y")}
			m.MinLuminance, m.MaxLuminance = q("min_luminance"), q("max_luminance")
			master = m.String()
		case "Content light level metadata":
			cll = [2]int{int(sd["max_content"].(float64)), int(sd["max_average"].(float64))}
		}
	}
	return master, cll, s.PixFmt, s.Trc, s.Prim, s.Space
}

func TestProbeHDR10(t *testing.T) {
	src := corpus.HDR10Source(t)
	if m, cll, _, _, _, _ := ffprobeHDR(t, src); m != testmedia.HDR10Master || cll != [2]int{1000, 400} {
		t.Fatalf("the source has %q %v", m, cll)
	}
	info, err := Probe(context.Background(), FileInput(src), ProbeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := info.HDR
	if h == nil || h.Mastering == nil || !h.CLL {
		t.Fatalf("probe found %+v", h)
	}
	if got := h.Mastering.String(); got != testmedia.HDR10Master || h.MaxCLL != 1000 || h.MaxFALL != 400 || h.Transfer != "pq" {
		t.Fatalf("probe: %s cll %d,%d transfer %q", got, h.MaxCLL, h.MaxFALL, h.Transfer)
	}
	if h.Mastering.MaxLuminance != 1000 || h.Mastering.MinLuminance != 0.005 {
		t.Fatalf("luminance %g..%g cd/m², want 0.005..1000", h.Mastering.MinLuminance, h.Mastering.MaxLuminance)
	}
	sdr, err := Probe(context.Background(), FileInput(srcClip(t)), ProbeOptions{})
	if err != nil || sdr.HDR != nil {
		t.Fatalf("SDR clip: %+v %v", sdr.HDR, err)
	}
}

// An x265 encode of an HDR10 source carries its mastering display, content
// light level, PQ/BT.2020 tags and 10 bits, in every chunk.
func TestEncodeKeepsHDR10(t *testing.T) {
	src := corpus.HDR10Source(t)
	dir := t.TempDir()
	p := Profile{Codec: "x265", Preset: "ultrafast", GOP: 10, Threads: 1}
	for _, r := range [][2]int64{{0, 20}, {10, 20}} {
		out := filepath.Join(dir, "out.mkv")
		if _, err := EncodeRange(context.Background(), FileInput(src), out, p, r[0], r[1], nil); err != nil {
			t.Fatal(err)
		}
		m, cll, pf, trc, prim, matrix := ffprobeHDR(t, out)
		if m != testmedia.HDR10Master || cll != [2]int{1000, 400} {
			t.Fatalf("range %v: output has mastering %q cll %v", r, m, cll)
		}
		if pf != "yuv420p10le" || trc != "smpte2084" || prim != "bt2020" || matrix != "bt2020nc" {
			t.Fatalf("range %v: output is %s %s/%s/%s", r, pf, prim, trc, matrix)
		}
	}
}
