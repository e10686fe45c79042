package vmaf

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scanCases are reports, plain and odd, that double as fuzz seeds. take
// says the scanner must read the case itself (it is the plain shape); the
// others may go to encoding/json, and either way ReadJSON must give what
// encoding/json gives.
var scanCases = []struct {
	name string
	json string
	take bool
}{
	{"minimal", `{"version":"3.2.0","frames":[]}`, true},
	{"one frame", `{"version":"v","fps":1.5,"frames":[{"frameNum":0,"metrics":{"vmaf":91.5}}]}`, true},
	{"metrics first", `{"frames":[{"metrics":{"vmaf":1},"frameNum":3}],"version":"v"}`, true},
	{"no metrics key", `{"version":"v","frames":[{"frameNum":0}]}`, true},
	{"empty metrics", `{"version":"v","frames":[{"frameNum":0,"metrics":{}},{"frameNum":1,"metrics":{"a":1}}]}`, true},
	{"sparse metrics", `{"version":"v","frames":[{"frameNum":0,"metrics":{"a":1,"b":2}},{"frameNum":2,"metrics":{"b":3}},{"frameNum":5,"metrics":{"c":4,"a":5}}],"pooled_metrics":{"a":{"min":1,"max":5},"c":{"mean":4}}}`, true},
	{"nulls", `{"version":"v","fps":null,"frames":[{"frameNum":0,"metrics":{"a":null,"b":-0.0}}],"pooled_metrics":{"a":{"min":null}},"aggregate_metrics":{"x":null,"y":2}}`, true},
	{"repeated metric", `{"version":"v","frames":[{"frameNum":0,"metrics":{"a":1,"a":2}}],"pooled_metrics":{"a":{"min":1,"min":7},"a":{"max":3}},"aggregate_metrics":{"x":1,"x":2}}`, true},
	{"numbers", `{"version":"v","frames":[{"frameNum":0,"metrics":{"a":1e3,"b":-2.5E-3,"c":0.0000000012345678,"d":123456789012345678901234,"e":1.7976931348623157e308,"f":5e-324,"g":1e-400,"h":0.30000000000000004441}}]}`, true},
	{"white space", " \t\r\n{ \"version\" : \"v\" , \"frames\" : [ { \"frameNum\" : 0 , \"metrics\" : { \"a\" : 1 } } ] }\n\n", true},
	{"pooled unknown summary", `{"version":"v","frames":[],"pooled_metrics":{"a":{"p1":1,"min":2}}}`, true},

	{"not json", `not json`, false},
	{"empty", ``, false},
	{"no version", `{"frames":[]}`, false},
	{"no frames", `{"version":"v"}`, false},
	{"null frames", `{"version":"v","frames":null}`, false},
	{"null version", `{"version":null,"frames":[]}`, false},
	{"number version", `{"version":3,"frames":[]}`, false},
	{"case-insensitive keys", `{"Version":"v","FRAMES":[{"FrameNum":0,"Metrics":{"a":1}}]}`, false},
	{"unknown keys", `{"version":"v","params":{"x":[1,2]},"frames":[{"frameNum":0,"extra":true,"metrics":{"a":1}}]}`, false},
	{"escaped name", `{"version":"v\u00e9","frames":[{"frameNum":0,"metrics":{"a\"b":1,"\u0061":2}}]}`, false},
	{"escaped version", `{"version":"v\u00e9","frames":[]}`, false},
	{"escaped metric", `{"version":"v","frames":[{"frameNum":0,"metrics":{"\u0061":2}}]}`, false},
	{"utf-8 name", `{"version":"vé","frames":[{"frameNum":0,"metrics":{"é":1}}]}`, false},
	{"invalid utf-8", "{\"version\":\"v\xff\",\"frames\":[]}", false},
	{"repeated version", `{"version":"a","version":"b","frames":[]}`, false},
	{"repeated frames", `{"version":"v","frames":[{"frameNum":0}],"frames":[{"frameNum":1}]}`, false},
	{"repeated frameNum key", `{"version":"v","frames":[{"frameNum":0,"frameNum":1}]}`, false},
	{"repeated metrics key", `{"version":"v","frames":[{"frameNum":0,"metrics":{"a":1},"metrics":{"b":2}}]}`, false},
	{"frame without frameNum", `{"version":"v","frames":[{"metrics":{"a":1}}]}`, false},
	{"frameNum null", `{"version":"v","frames":[{"frameNum":null}]}`, false},
	{"frameNum negative", `{"version":"v","frames":[{"frameNum":-1}]}`, false},
	{"frameNum minus zero", `{"version":"v","frames":[{"frameNum":-0}]}`, false},
	{"frameNum fraction", `{"version":"v","frames":[{"frameNum":1.0}]}`, false},
	{"frameNum exponent", `{"version":"v","frames":[{"frameNum":1e2}]}`, false},
	{"frameNum huge", `{"version":"v","frames":[{"frameNum":99999999999999999999}]}`, false},
	{"frameNum leading zero", `{"version":"v","frames":[{"frameNum":01}]}`, false},
	{"frames out of order", `{"version":"v","frames":[{"frameNum":2},{"frameNum":1}]}`, false},
	{"frames repeated", `{"version":"v","frames":[{"frameNum":1},{"frameNum":1}]}`, false},
	{"null frame", `{"version":"v","frames":[null]}`, false},
	{"string value", `{"version":"v","frames":[{"frameNum":0,"metrics":{"a":"1"}}]}`, false},
	{"overflow", `{"version":"v","frames":[{"frameNum":0,"metrics":{"a":1e999}}]}`, false},
	{"bad numbers", `{"version":"v","frames":[{"frameNum":0,"metrics":{"a":01,"b":1.,"c":.5,"d":+1,"e":1e,"f":NaN}}]}`, false},
	{"null pooled", `{"version":"v","frames":[],"pooled_metrics":{"a":null}}`, false},
	{"trailing value", `{"version":"v","frames":[]} {"version":"w"}`, false},
	{"trailing garbage", `{"version":"v","frames":[]}]`, false},
	{"truncated", `{"version":"v","frames":[{"frameNum":0,"metrics":{"a":1`, false},
	{"trailing comma", `{"version":"v","frames":[{"frameNum":0,},]}`, false},
	{"nul in string", "{\"version\":\"v\x00\",\"frames\":[]}", false},
}

// sameFloat is equality that takes NaN as equal to NaN and tells 0 from -0.
func sameFloat(x, y float64) bool {
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y)
	}
	return math.Float64bits(x) == math.Float64bits(y)
}

// exactDiff compares two Results field by field, every float bit for bit
// (NaN equal to NaN); "" when they are the same.
func exactDiff(a, b *Result) string {
	if a.Version != b.Version || !sameFloat(a.FPS, b.FPS) || a.Width != b.Width || a.Height != b.Height {
		return fmt.Sprintf("header %q %v %dx%d, want %q %v %dx%d", a.Version, a.FPS, a.Width, a.Height, b.Version, b.FPS, b.Width, b.Height)
	}
	if (a.Frames == nil) != (b.Frames == nil) || len(a.Frames) != len(b.Frames) {
		return fmt.Sprintf("%d frames (nil %v), want %d (nil %v)", len(a.Frames), a.Frames == nil, len(b.Frames), b.Frames == nil)
	}
	for i := range a.Frames {
		fa, fb := a.Frames[i], b.Frames[i]
		if fa.Index != fb.Index || len(fa.Metrics) != len(fb.Metrics) || (fa.Metrics == nil) != (fb.Metrics == nil) {
			return fmt.Sprintf("frame entry %d: %d %v, want %d %v", i, fa.Index, fa.Metrics, fb.Index, fb.Metrics)
		}
		for k, v := range fb.Metrics {
			if w, ok := fa.Metrics[k]; !ok || !sameFloat(w, v) {
				return fmt.Sprintf("frame %d %s: %v, want %v", fa.Index, k, w, v)
			}
		}
	}
	if len(a.Pooled) != len(b.Pooled) || (a.Pooled == nil) != (b.Pooled == nil) {
		return fmt.Sprintf("pooled %v, want %v", a.Pooled, b.Pooled)
	}
	for k, q := range b.Pooled {
		p, ok := a.Pooled[k]
		pv := []float64{p.Min, p.Max, p.Mean, p.HarmonicMean, p.P1, p.P5, p.P10, p.Low1}
		qv := []float64{q.Min, q.Max, q.Mean, q.HarmonicMean, q.P1, q.P5, q.P10, q.Low1}
		for i := range pv {
			if !ok || !sameFloat(pv[i], qv[i]) {
				return fmt.Sprintf("pooled %s: %+v, want %+v", k, p, q)
			}
		}
	}
	if len(a.Aggregate) != len(b.Aggregate) || (a.Aggregate == nil) != (b.Aggregate == nil) {
		return fmt.Sprintf("aggregate %v, want %v", a.Aggregate, b.Aggregate)
	}
	for k, v := range b.Aggregate {
		if w, ok := a.Aggregate[k]; !ok || !sameFloat(w, v) {
			return fmt.Sprintf("aggregate %s: %v, want %v", k, w, v)
		}
	}
	return ""
}

// seriesDiff compares two Series bit for bit (NaN equal to NaN).
func seriesDiff(a, b *Series) string {
	if fmt.Sprint(a.Frames) != fmt.Sprint(b.Frames) || strings.Join(a.Metrics, ",") != strings.Join(b.Metrics, ",") || len(a.Values) != len(b.Values) {
		return fmt.Sprintf("%d frames, metrics %v; want %d, %v", len(a.Frames), a.Metrics, len(b.Frames), b.Metrics)
	}
	for m, want := range b.Values {
		got := a.Values[m]
		if len(got) != len(want) {
			return fmt.Sprintf("%s: %d values, want %d", m, len(got), len(want))
		}
		for i := range want {
			if !sameFloat(got[i], want[i]) {
				return fmt.Sprintf("%s entry %d: %v, want %v", m, i, got[i], want[i])
			}
		}
	}
	return ""
}

// checkAgainstStd checks that ReadJSON, the scanner (when it takes b) and
// ReadJSONSeries give what encoding/json gives, results or errors; it
// returns whether the scanner took b.
func checkAgainstStd(t *testing.T, b []byte) bool {
	t.Helper()
	want, wantErr := readJSONStd(bytes.NewReader(b))
	got, err := ReadJSON(bytes.NewReader(b))
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("ReadJSON error %v, encoding/json's %v", err, wantErr)
	case err != nil && err.Error() != wantErr.Error():
		t.Fatalf("ReadJSON error %q, encoding/json's %q", err, wantErr)
	case err == nil:
		if d := exactDiff(got, want); d != "" {
			t.Fatalf("ReadJSON differs from encoding/json: %s", d)
		}
	}
	sc, took := scanReport(b)
	if took {
		if wantErr != nil {
			t.Fatalf("the scanner took a report encoding/json refuses: %v", wantErr)
		}
		if d := exactDiff(sc.result(), want); d != "" {
			t.Fatalf("scanner differs from encoding/json: %s", d)
		}
	}
	sr, err := ReadJSONSeries(b)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("ReadJSONSeries error %v, encoding/json's %v", err, wantErr)
	case err != nil && err.Error() != wantErr.Error():
		t.Fatalf("ReadJSONSeries error %q, encoding/json's %q", err, wantErr)
	case err == nil:
		if d := seriesDiff(sr, seriesOf(want)); d != "" {
			t.Fatalf("ReadJSONSeries differs from encoding/json: %s", d)
		}
	}
	return took
}

func TestScanReportCases(t *testing.T) {
	for _, c := range scanCases {
		t.Run(c.name, func(t *testing.T) {
			if took := checkAgainstStd(t, []byte(c.json)); took != c.take {
				t.Fatalf("scanner took it: %v, want %v", took, c.take)
			}
		})
	}
}

// TestScanReportReference reads every JSON of the shared libvmaf corpus:
// libvmaf's reports (*.vmaf.json, *.models.json) must be taken by the
// scanner and read as encoding/json reads them; the others (the manifest,
// the *.precise.json dumps of another shape) must fail alike.
func TestScanReportReference(t *testing.T) {
	dir := extraSharedDir(t)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	reports := 0
	for _, p := range files {
		name, _ := filepath.Rel(dir, p)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = readJSONStd(bytes.NewReader(b))
			isReport := err == nil
			if took := checkAgainstStd(t, b); took != isReport {
				t.Fatalf("scanner took it: %v; encoding/json reads it as a report: %v", took, isReport)
			}
			if isReport {
				reports++
			}
		})
	}
	if reports < 30 {
		t.Fatalf("%d libvmaf reports in %s, want the corpus's (at least 30)", reports, dir)
	}
}

// TestScanReportWritten reads what WriteJSON writes, with libvmaf's
// rounding and with every digit, NaN, missing metrics and tiny values
// included.
func TestScanReportWritten(t *testing.T) {
	for _, digits := range []int{0, 3, DigitsMax} {
		for _, r := range []*Result{sampleResult(), generatedResult(3000, 7)} {
			var buf bytes.Buffer
			if err := WriteJSONWith(&buf, r, ReportOptions{Digits: digits}); err != nil {
				t.Fatal(err)
			}
			t.Run(fmt.Sprintf("%d frames digits %d", len(r.Frames), digits), func(t *testing.T) {
				if !checkAgainstStd(t, buf.Bytes()) {
					t.Fatal("the scanner did not take WriteJSON's output")
				}
			})
		}
	}
}

// generatedResult is a pooled n-frame result with vmaf and three PSNRs,
// a dip now and then, one frame in 97 without PSNR, one in 89 with a NaN
// VMAF and one in 101 with a tiny MS-SSIM.
func generatedResult(n int, seed uint64) *Result {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	r := &Result{Version: "reel-test", FPS: 23.976, Frames: make([]FrameScore, n)}
	for i := range r.Frames {
		v := 92 + 6*math.Sin(float64(i)/500) - 20*float64(rng.IntN(1000)/999)
		p := 42 + 3*math.Cos(float64(i)/700) + rng.Float64()
		m := map[string]float64{"vmaf": v}
		if i%97 != 3 {
			m["psnr_y"], m["psnr_cb"], m["psnr_cr"] = p, p+3, p+4
		}
		if i%89 == 5 {
			m["vmaf"] = math.NaN()
		}
		if i%101 == 7 {
			m["float_ms_ssim"] = 1e-9 * rng.Float64()
		}
		r.Frames[i] = FrameScore{Index: int64(i), Metrics: m}
	}
	r.PoolAll()
	return r
}

// FuzzScanReport: the scanner never panics, and whenever it takes a report
// it reads what encoding/json reads; ReadJSON and ReadJSONSeries always
// give encoding/json's result or error.
func FuzzScanReport(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c.json))
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, generatedResult(300, 1)); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstStd(t, data)
	})
}

// Run with
//
//	go test ./vmaf -run '^$' -bench ReadJSON200k -benchtime 3x
//
// "encoding-json" is ReadJSON before the scanner (readJSONStd), "scan" is
// ReadJSON now, "series" is ReadJSONSeries (no map per frame, no pooling).
func BenchmarkReadJSON200k(b *testing.B) {
	r := generatedResult(200_000, 16)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for _, c := range []struct {
		name string
		read func() error
	}{
		{"encoding-json", func() error { _, err := readJSONStd(bytes.NewReader(data)); return err }},
		{"scan", func() error { _, err := ReadJSON(bytes.NewReader(data)); return err }},
		{"series", func() error { _, err := ReadJSONSeries(data); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := c.read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
