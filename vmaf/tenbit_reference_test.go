package vmaf

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/media"
)

// The 10-bit pairs below are generated in the test (testmedia, fixed
// seeds) and scored against libvmaf 3.2.0's numbers at 17 significant
// digits in testdata/tenbit_libvmaf.json, made by this test itself with
// REEL_VMAF_ORACLE naming a vmaf tool that prints 17 digits:
//
//	REEL_VMAF_ORACLE=/path/to/vmaf17 go test ./vmaf -run TestTenBitPairsMatchLibvmaf
//
// The upstream vmaf tool prints 6 decimals; vmaf17 is that tool built
// from the 3.2.0 sources (outside this repository) with the %.6f and
// %.16f of libvmaf/src/output.c changed to %.17g. Each case keeps the md5
// of its decoded distorted frames, so an encoder that makes other frames
// (another x265 or SVT-AV1 build) fails with that cause, not with scores.

const tenBitData = "testdata/tenbit_libvmaf.json"

// tenBitCases are 10-bit 4:2:0 720x480 pairs: the size and codec of the
// issue's x265 CRF 30 case, and SVT-AV1.
var tenBitCases = []struct {
	name   string
	source string   // lavfi graph of the reference
	encode []string // encoder options of the distorted
}{
	{"x265_crf30", "testsrc2=size=720x480:rate=24,noise=alls=12:allf=t:all_seed=5,format=yuv420p10le",
		[]string{"-c:v", "libx265", "-preset", "fast", "-crf", "30", "-x265-params", "log-level=error"}},
	{"svtav1_crf40", "mandelbrot=size=720x480:rate=24,format=yuv420p10le",
		[]string{"-c:v", "libsvtav1", "-preset", "10", "-crf", "40"}},
}

const tenBitFrames = 48

type tenBitCase struct {
	DistMD5 string               `json:"dist_md5"`
	Frames  []map[string]float64 `json:"frames"`
}

type tenBitFile struct {
	How   []string              `json:"how"`
	Cases map[string]tenBitCase `json:"cases"`
}

// tenBitKeys are the per-frame values compared: VMAF, and the features,
// which must be bit-identical.
var tenBitKeys = []string{"vmaf", "integer_adm2", "integer_adm_scale0", "integer_adm_scale1", "integer_adm_scale2",
	"integer_adm_scale3", "integer_vif_scale0", "integer_vif_scale1", "integer_vif_scale2", "integer_vif_scale3",
	"integer_motion2", "integer_motion"}

func TestTenBitPairsMatchLibvmaf(t *testing.T) {
	needFFmpeg(t)
	if testing.Short() {
		t.Skip("encodes two 10-bit clips; skipped in -short mode")
	}
	oracle := os.Getenv("REEL_VMAF_ORACLE")
	var data tenBitFile
	if oracle == "" {
		readJSON(t, tenBitData, &data)
	} else {
		data.Cases = map[string]tenBitCase{}
	}
	format := media.Format{Chroma: media.Chroma420, BitDepth: 10}
	for _, c := range tenBitCases {
		t.Run(c.name, func(t *testing.T) {
			in := []string{"-f", "lavfi", "-i", c.source, "-frames:v", strconv.Itoa(tenBitFrames)}
			ref := testmedia.File(t, "tenbit-ref", "mkv", append(in, "-c:v", "ffv1")...)
			dis := testmedia.File(t, "tenbit-"+c.name, "mkv", append(in, c.encode...)...)
			refs := readAll(t, ref, 720, 480, format)
			diss := readAll(t, dis, 720, 480, format)
			if len(refs) != tenBitFrames || len(diss) != tenBitFrames {
				t.Fatalf("decoded %d and %d frames, want %d", len(refs), len(diss), tenBitFrames)
			}
			sum := framesMD5(diss)
			if oracle != "" {
				data.Cases[c.name] = tenBitCase{DistMD5: sum, Frames: runOracle(t, oracle, ref, dis)}
				return
			}
			want, ok := data.Cases[c.name]
			if !ok {
				t.Fatalf("%s has no case %s", tenBitData, c.name)
			}
			if sum != want.DistMD5 {
				t.Fatalf("the encoder made other frames (md5 %s, libvmaf scored %s): not the x265/SVT-AV1 build the data was made with; regenerate it (see tenbit_reference_test.go)", sum, want.DistMD5)
			}
			res, err := Score(context.Background(), &sliceReader{frames: refs}, &sliceReader{frames: diss}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Frames) != len(want.Frames) {
				t.Fatalf("%d frames scored, libvmaf %d", len(res.Frames), len(want.Frames))
			}
			for i, fr := range res.Frames {
				for _, k := range tenBitKeys {
					got, exp := fr.Metrics[k], want.Frames[i][k]
					tol := 0.0
					if k == "vmaf" {
						tol = 1e-9
					}
					if d := got - exp; d > tol || d < -tol || got != got {
						t.Errorf("frame %d %s: %.17g, libvmaf %.17g (off by %.3g)", i, k, got, exp, d)
					}
				}
			}
		})
	}
	if oracle != "" && !t.Failed() {
		data.How = []string{
			"libvmaf 3.2.0's vmaf tool built with %.17g in output.c (REEL_VMAF_ORACLE), run as",
			"vmaf -r ref.y4m -d dis.y4m --json -o out.json -q --threads 1 (default model vmaf_v0.6.1),",
			"on both clips of each case decoded by the ffmpeg CLI to yuv420p10le y4m;",
			"written by TestTenBitPairsMatchLibvmaf (tenbit_reference_test.go).",
		}
		b, err := json.MarshalIndent(data, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		tmp := tenBitData + ".tmp"
		if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, tenBitData); err != nil {
			t.Fatal(err)
		}
	}
}

// framesMD5 is the md5 of the frames' samples, plane by plane, row by row.
func framesMD5(frames []*media.Frame) string {
	h := md5.New()
	for _, f := range frames {
		for _, p := range f.Planes {
			bpp := 1
			if f.Format.BitDepth > 8 {
				bpp = 2
			}
			for y := 0; y < p.Height; y++ {
				h.Write(p.Pix[y*p.Stride : y*p.Stride+p.Width*bpp])
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// runOracle scores the pair with the 17-digit vmaf tool and returns the
// per-frame values of tenBitKeys.
func runOracle(t *testing.T, oracle, ref, dis string) []map[string]float64 {
	dir := t.TempDir()
	var y4m [2]string
	for i, src := range []string{ref, dis} {
		y4m[i] = filepath.Join(dir, []string{"ref.y4m", "dis.y4m"}[i])
		cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", src, "-pix_fmt", "yuv420p10le", "-strict", "-1", y4m[i])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
	}
	js := filepath.Join(dir, "out.json")
	if out, err := exec.Command(oracle, "-r", y4m[0], "-d", y4m[1], "--json", "-o", js, "-q", "--threads", "1").CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", oracle, err, out)
	}
	var cli cliJSON
	readJSON(t, js, &cli)
	frames := make([]map[string]float64, len(cli.Frames))
	for i, f := range cli.Frames {
		frames[i] = map[string]float64{}
		for _, k := range tenBitKeys {
			src := k
			if k == "integer_motion" {
				src = "VMAF_integer_feature_motion_sad_score"
			}
			v, ok := f.Metrics[src]
			if !ok {
				t.Fatalf("libvmaf's frame %d has no %s", i, src)
			}
			frames[i][k] = v
		}
	}
	return frames
}
