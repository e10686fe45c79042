package vmaf

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestWriteJSONReproducesLibvmaf reads every libvmaf --json output of the
// corpus and writes it back: the bytes must be libvmaf's, byte for byte.
func TestWriteJSONReproducesLibvmaf(t *testing.T) {
	for _, c := range extraCases(t) {
		for _, suffix := range []string{".vmaf.json", ".models.json"} {
			t.Run(c.Name+suffix, func(t *testing.T) {
				want, err := os.ReadFile(filepath.Join(c.Dir, c.Name+suffix))
				if err != nil {
					t.Fatal(err)
				}
				r, err := ReadJSON(bytes.NewReader(want))
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				if err := WriteJSON(&got, r); err != nil {
					t.Fatal(err)
				}
				if suffix == ".vmaf.json" {
					if d := jsonTextDiff(got.String(), string(want)); d != "" {
						t.Fatalf("output differs from libvmaf's: %s", d)
					}
					return
				}
				// models.json lists NEG features in libvmaf's registration
				// order, which reel's order does not reproduce: compare content.
				back, err := ReadJSON(&got)
				if err != nil {
					t.Fatal(err)
				}
				if d := resultDiff(r, back); d != "" {
					t.Fatal(d)
				}
			})
		}
	}
}

// jsonTextDiff compares two reports line by line. Lines must be equal,
// except that a number may be spelled differently when it is the same
// value: a value read back from 6 decimals can fall just under them (1.000001
// reads as 1.0000009999999999, which libvmaf's own rule then prints with 16
// decimals).
func jsonTextDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	if len(g) != len(w) {
		return fmt.Sprintf("%d lines, want %d\n%s", len(g), len(w), firstDiff(got, want))
	}
	for i := range g {
		if g[i] == w[i] {
			continue
		}
		gk, gv, ok1 := strings.Cut(g[i], ": ")
		wk, wv, ok2 := strings.Cut(w[i], ": ")
		gf, err1 := strconv.ParseFloat(strings.TrimSuffix(gv, ","), 64)
		wf, err2 := strconv.ParseFloat(strings.TrimSuffix(wv, ","), 64)
		if !ok1 || !ok2 || gk != wk || err1 != nil || err2 != nil || math.Abs(gf-wf) > 1e-12 ||
			strings.HasSuffix(gv, ",") != strings.HasSuffix(wv, ",") {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, g[i], w[i])
		}
	}
	return ""
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, gl, wl)
		}
	}
	return "(same lines)"
}

// resultDiff describes the first difference between two results, or "".
func resultDiff(a, b *Result) string {
	if a.Version != b.Version || len(a.Frames) != len(b.Frames) || len(a.Pooled) != len(b.Pooled) || len(a.Aggregate) != len(b.Aggregate) {
		return "shape differs"
	}
	same := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	for i := range a.Frames {
		fa, fb := a.Frames[i], b.Frames[i]
		if fa.Index != fb.Index || len(fa.Metrics) != len(fb.Metrics) {
			return "frame shape differs"
		}
		for k, v := range fa.Metrics {
			if w, ok := fb.Metrics[k]; !ok || !same(v, w) {
				return "frame metric " + k + " differs"
			}
		}
	}
	for k, p := range a.Pooled {
		q := b.Pooled[k]
		if !same(p.Min, q.Min) || !same(p.Max, q.Max) || !same(p.Mean, q.Mean) || !same(p.HarmonicMean, q.HarmonicMean) {
			return "pooled " + k + " differs"
		}
	}
	for k, v := range a.Aggregate {
		if !same(v, b.Aggregate[k]) {
			return "aggregate " + k + " differs"
		}
	}
	return ""
}

func sampleResult() *Result {
	r := &Result{Version: "3.2.0", Width: 64, Height: 36, FPS: 12.345, Frames: []FrameScore{
		{Index: 0, Metrics: map[string]float64{"vmaf": 91.5, "psnr_y": 40.25, "float_ms_ssim": math.NaN(), "tiny": 1.5e-9}},
		{Index: 1, Metrics: map[string]float64{"vmaf": 88.25, "psnr_y": 39, "float_ms_ssim": 0.99}},
		{Index: 2, Metrics: map[string]float64{}},
	}}
	r.PoolAll()
	return r
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleResult()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`"fps": 12.35,`,
		`"float_ms_ssim": null,`,
		`"tiny": 0.0000000015000000`, // more than 6 leading zeros: 16 decimals
		`"vmaf": 88.250000`,
		`"vmaf_p1": `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"frameNum": 2`) {
		t.Error("frame without metrics written")
	}
	back, err := ReadJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Frames) != 2 || !math.IsNaN(back.Frames[0].Metrics["float_ms_ssim"]) {
		t.Fatalf("frames read back: %+v", back.Frames)
	}
	if got := back.Frames[0].Metrics["psnr_y"]; got != 40.25 {
		t.Errorf("psnr_y frame 0 = %v, want 40.25", got)
	}
	if back.Pooled["vmaf"].P1 == 0 || back.Pooled["vmaf"].Low1 != 88.25 {
		t.Errorf("percentiles not recomputed: %+v", back.Pooled["vmaf"])
	}
	var again bytes.Buffer
	if err := WriteJSON(&again, back); err != nil {
		t.Fatal(err)
	}
	if again.String() != out {
		t.Errorf("second write differs:\n%s", firstDiff(again.String(), out))
	}
}

// readJSONErrorCases double as seeds of FuzzReadJSON.
var readJSONErrorCases = []struct{ name, in string }{
	{"empty", ""},
	{"not json", "VMAF 91"},
	{"array", "[1,2]"},
	{"no version", `{"frames": []}`},
	{"no frames", `{"version": "3.2.0"}`},
	{"frame without number", `{"version": "x", "frames": [{"metrics": {"vmaf": 1}}]}`},
	{"negative frame", `{"version": "x", "frames": [{"frameNum": -1, "metrics": {}}]}`},
	{"duplicate frame", `{"version": "x", "frames": [{"frameNum": 1, "metrics": {}}, {"frameNum": 1, "metrics": {}}]}`},
	{"frames out of order", `{"version": "x", "frames": [{"frameNum": 2, "metrics": {}}, {"frameNum": 1, "metrics": {}}]}`},
	{"string metric", `{"version": "x", "frames": [{"frameNum": 0, "metrics": {"vmaf": "high"}}]}`},
	{"truncated", `{"version": "3.2.0", "frames": [{"frameNum": 0, "metrics": {"vmaf": 9`},
}

func TestReadJSONErrors(t *testing.T) {
	for _, c := range readJSONErrorCases {
		t.Run(c.name, func(t *testing.T) {
			r, err := ReadJSON(strings.NewReader(c.in))
			if !errors.Is(err, ErrInvalidReport) || r != nil {
				t.Fatalf("ReadJSON = %v, %v; want ErrInvalidReport", r, err)
			}
		})
	}
}

func FuzzReadJSON(f *testing.F) {
	for _, c := range readJSONErrorCases {
		f.Add(c.in)
	}
	var buf bytes.Buffer
	_ = WriteJSON(&buf, sampleResult())
	f.Add(buf.String())
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ReadJSON(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrInvalidReport) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Whatever reads must write and read back to the same thing.
		var out bytes.Buffer
		if err := WriteJSON(&out, r); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadJSON(&out); err != nil {
			t.Fatalf("re-read of written report: %v\n%s", err, out.String())
		}
	})
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, sampleResult()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Frame", "psnr_y", "float_ms_ssim", "vmaf", "tiny", ""},
		{"0", "40.250000", "nan", "91.500000", "0.0000000015000000", ""},
		{"1", "39.000000", "0.990000", "88.250000", "", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q", rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
}

func TestWriteXML(t *testing.T) {
	r := &Result{Version: "3.2.0", Width: 576, Height: 324, FPS: 15.6, Frames: []FrameScore{
		{Index: 0, Metrics: map[string]float64{"vmaf": 89.618658, "psnr_y": 38.402318}},
	}, Aggregate: map[string]float64{}}
	r.Pooled = map[string]Pooled{"vmaf": Pool([]float64{89.618658}), "psnr_y": Pool([]float64{38.402318})}
	var buf bytes.Buffer
	if err := WriteXML(&buf, r); err != nil {
		t.Fatal(err)
	}
	// The shape of libvmaf 3.2's output.c vmaf_write_output_xml.
	want := `<VMAF version="3.2.0">
  <params qualityWidth="576" qualityHeight="324" />
  <fyi fps="15.60" />
  <frames>
    <frame frameNum="0" psnr_y="38.402318" vmaf="89.618658" />
  </frames>
  <pooled_metrics>
    <metric name="psnr_y" min="38.402318" max="38.402318" mean="38.402318" harmonic_mean="38.402318" />
    <metric name="vmaf" min="89.618658" max="89.618658" mean="89.618658" harmonic_mean="89.618658" />
  </pooled_metrics>
  <aggregate_metrics />
</VMAF>
`
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	// And the XML of a full result is well formed.
	buf.Reset()
	if err := WriteXML(&buf, sampleResult()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Frames []struct {
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"frames>frame"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(doc.Frames) != 2 {
		t.Fatalf("%d frames in XML", len(doc.Frames))
	}
}

func TestLeadingZeros(t *testing.T) {
	cases := []struct {
		v    float64
		want int
	}{{0, 0}, {1, 0}, {0.5, 1}, {38.402318, 1}, {0.000001, 6}, {1.5e-9, 9}, {-0.05, 2}, {1e300, 0}}
	for _, c := range cases {
		if got := leadingZeros(c.v); got != c.want {
			t.Errorf("leadingZeros(%g) = %d, want %d", c.v, got, c.want)
		}
	}
}

// reportDigitsCases are scores and how each ReportOptions.Digits prints
// them; the values of the 17-digit rows need every digit to read back
// exactly. They double as seeds of FuzzReportDigitsRoundTrip.
var reportDigitsCases = []struct {
	name   string
	v      float64
	digits int
	want   string
}{
	{"libvmaf rounding", 89.618657850744455, 0, "89.618658"},
	{"libvmaf rounding, tiny", 1.5e-9, 0, "0.0000000015000000"},
	{"libvmaf rounding loses the last bits", 0.30000000000000004, 0, "0.300000"},
	{"libvmaf rounding keeps 16 decimals past 6 zeros", math.Nextafter(1, 2), 0, "1.0000000000000002"},
	{"vmaf of p01 frame 0", 89.618657850744455, DigitsMax, "89.618657850744455"},
	{"motion of p01 frame 1", 2.0691972897376543, DigitsMax, "2.0691972897376543"},
	{"one ulp above 1", math.Nextafter(1, 2), DigitsMax, "1.0000000000000002"},
	{"0.1+0.2", 0.30000000000000004, DigitsMax, "0.30000000000000004"},
	{"one ulp below 100", math.Nextafter(100, 0), DigitsMax, "99.999999999999986"},
	{"tiny, exponent form", 1.5e-9, DigitsMax, "1.5e-09"},
	{"tiny, all digits", 1.2345678901234566e-9, DigitsMax, "1.2345678901234566e-09"},
	{"smallest subnormal", math.SmallestNonzeroFloat64, DigitsMax, "4.9406564584124654e-324"},
	{"large", 1.2345678901234568e+21, DigitsMax, "1.2345678901234568e+21"},
	{"negative", -0.05, DigitsMax, "-0.050000000000000003"},
	{"integer", 100, DigitsMax, "100"},
	{"zero", 0, DigitsMax, "0"},
	{"six significant digits", 89.618657850744455, 6, "89.6187"},
	{"one significant digit", 0.25, 1, "0.2"},
}

// TestReportDigits writes one score with each precision in the three
// formats: per-frame, pooled and aggregate values print as the table says,
// and at DigitsMax JSON gives back the very float64 written.
func TestReportDigits(t *testing.T) {
	for _, c := range reportDigitsCases {
		t.Run(c.name, func(t *testing.T) {
			r := &Result{Version: "3.2.0", Width: 64, Height: 36, Frames: []FrameScore{
				{Index: 0, Metrics: map[string]float64{"vmaf": c.v}},
			}, Aggregate: map[string]float64{"vmaf": c.v}}
			r.PoolAll()
			o := ReportOptions{Digits: c.digits}

			var js bytes.Buffer
			if err := WriteJSONWith(&js, r, o); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`"vmaf": ` + c.want + "\n", `"min": ` + c.want + ",", `"max": ` + c.want + ",", `"mean": ` + c.want + ",", "\"aggregate_metrics\": {\n    \"vmaf\": " + c.want + ","} {
				if !strings.Contains(js.String(), want) {
					t.Errorf("JSON lacks %q:\n%s", want, js.String())
				}
			}
			back, err := ReadJSON(&js)
			if err != nil {
				t.Fatal(err)
			}
			printed, err := strconv.ParseFloat(c.want, 64)
			if err != nil {
				t.Fatal(err)
			}
			if got := back.Frames[0].Metrics["vmaf"]; got != printed || back.Aggregate["vmaf"] != printed || back.Pooled["vmaf"].Min != printed {
				t.Errorf("read back frame %v, aggregate %v, min %v; want %v", got, back.Aggregate["vmaf"], back.Pooled["vmaf"].Min, printed)
			}
			if c.digits == DigitsMax {
				if printed != c.v {
					t.Errorf("%s reads back as %v, not %v", c.want, printed, c.v)
				}
				if hm := r.Pooled["vmaf"].HarmonicMean; back.Pooled["vmaf"].HarmonicMean != hm {
					t.Errorf("harmonic mean read back %v, written %v", back.Pooled["vmaf"].HarmonicMean, hm)
				}
			}

			var cs bytes.Buffer
			if err := WriteCSVWith(&cs, r, o); err != nil {
				t.Fatal(err)
			}
			if rows, err := csv.NewReader(&cs).ReadAll(); err != nil || len(rows) != 2 || rows[1][1] != c.want {
				t.Errorf("CSV %q, %v; want vmaf %s", rows, err, c.want)
			}
			var xs bytes.Buffer
			if err := WriteXMLWith(&xs, r, o); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`<frame frameNum="0" vmaf="` + c.want + `" />`, `min="` + c.want + `"`, `<aggregate_metrics vmaf="` + c.want + `" `} {
				if !strings.Contains(xs.String(), want) {
					t.Errorf("XML lacks %q:\n%s", want, xs.String())
				}
			}
		})
	}
}

// The default writers keep libvmaf's rounding, NaN stays null at full
// precision, and digits out of range write nothing.
func TestReportDigitsEdges(t *testing.T) {
	var def, zero bytes.Buffer
	if err := WriteJSON(&def, sampleResult()); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSONWith(&zero, sampleResult(), ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	if def.String() != zero.String() || !strings.Contains(def.String(), `"vmaf": 91.500000`) {
		t.Errorf("WriteJSON and the zero ReportOptions differ or do not round:\n%s", firstDiff(def.String(), zero.String()))
	}
	var full bytes.Buffer
	if err := WriteJSONWith(&full, sampleResult(), ReportOptions{Digits: DigitsMax}); err != nil {
		t.Fatal(err)
	}
	if s := full.String(); !strings.Contains(s, `"float_ms_ssim": null,`) || !strings.Contains(s, `"vmaf": 91.5,`) || !strings.Contains(s, `"fps": 12.35,`) {
		t.Errorf("full precision:\n%s", s)
	}
	for _, d := range []int{-1, DigitsMax + 1} {
		for name, write := range map[string]func(io.Writer, *Result, ReportOptions) error{"json": WriteJSONWith, "csv": WriteCSVWith, "xml": WriteXMLWith} {
			var buf bytes.Buffer
			if err := write(&buf, sampleResult(), ReportOptions{Digits: d}); !errors.Is(err, ErrInvalidOptions) || buf.Len() != 0 {
				t.Errorf("%s with digits %d: %v, %d bytes written; want ErrInvalidOptions and nothing", name, d, err, buf.Len())
			}
		}
	}
}

// FuzzReportDigitsRoundTrip: any finite score written with DigitsMax reads
// back as the same float64.
func FuzzReportDigitsRoundTrip(f *testing.F) {
	for _, c := range reportDigitsCases {
		f.Add(c.v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		r := &Result{Version: "3.2.0", Frames: []FrameScore{{Index: 0, Metrics: map[string]float64{"vmaf": v}}}}
		var buf bytes.Buffer
		if err := WriteJSONWith(&buf, r, ReportOptions{Digits: DigitsMax}); err != nil {
			t.Fatal(err)
		}
		back, err := ReadJSON(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := back.Frames[0].Metrics["vmaf"]; math.Float64bits(got) != math.Float64bits(v) {
			t.Fatalf("%v read back as %v", v, got)
		}
	})
}
