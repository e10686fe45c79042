package vmaf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ErrInvalidReport: a JSON report that ReadJSON cannot take (not JSON, not
// libvmaf's shape, duplicate or negative frame numbers).
var ErrInvalidReport = errors.New("invalid VMAF report")

// Reports are written the way libvmaf 3.2's output.c writes them, so that
// tools reading libvmaf's --json, --csv or --xml read reel's too:
//
//   - numbers print with 6 decimals, or 16 when the fraction starts with
//     more than 6 zeros (tiny values keep their digits), unless
//     ReportOptions.Digits asks for significant digits (DigitsMax: exact);
//     NaN and infinities print as null in JSON;
//   - metrics come in libvmaf's order (see metricOrder), then others
//     alphabetically; pooled_metrics holds min, max, mean and harmonic_mean;
//   - frames without any metric are left out.
//
// Every writer buffers and returns the first write error; the caller owns
// atomicity (write to a temporary file and rename). The ...With writers take
// ReportOptions; WriteJSON, WriteCSV and WriteXML are them with the zero
// value.

// DigitsMax is the ReportOptions.Digits that prints every float64 so that
// it reads back exactly (C's "%.17g").
const DigitsMax = 17

// ReportOptions says how a report prints its numbers. The zero value prints
// them as libvmaf 3.2 does.
type ReportOptions struct {
	// Digits, from 1 to DigitsMax, prints every score (per-frame metrics,
	// pooled values and aggregate metrics) with that many significant
	// digits, as C's "%.<Digits>g" does; DigitsMax round-trips exactly, so
	// two reports compare bit for bit. 0 keeps libvmaf's 6 decimals. The
	// fps, a timing rather than a score, keeps its 2 decimals.
	Digits int
}

func (o ReportOptions) check() error {
	if o.Digits < 0 || o.Digits > DigitsMax {
		return fmt.Errorf("vmaf: report digits %d (want 0 for libvmaf's rounding, or 1 to %d): %w", o.Digits, DigitsMax, ErrInvalidOptions)
	}
	return nil
}

// formatNum prints a finite v: with o.Digits significant digits when set,
// else libvmaf's "%.6f unless more than 6 leading fractional zeros, then
// %.16f".
func (o ReportOptions) formatNum(v float64) string {
	if o.Digits > 0 {
		return strconv.FormatFloat(v, 'g', o.Digits, 64)
	}
	if leadingZeros(v) <= 6 {
		return strconv.FormatFloat(v, 'f', 6, 64)
	}
	return strconv.FormatFloat(v, 'f', 16, 64)
}

// leadingZeros is output.c's count_leading_zeros_d: how many times the
// fractional part must be multiplied by ten to reach 1.
func leadingZeros(x float64) int {
	x = math.Abs(x)
	if x >= 1<<62 || math.IsNaN(x) {
		return 0
	}
	frac := x - float64(int64(x))
	n := 0
	for frac < 1.0 && frac != 0 {
		frac *= 10
		n++
	}
	return n
}

func (o ReportOptions) jsonNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	return o.formatNum(v)
}

// libvmafPools are the summaries libvmaf prints for each metric.
var libvmafPools = []string{PoolMin, PoolMax, PoolMean, PoolHarmonicMean}

// pooledNames lists the metrics of r.Pooled in report order: those of the
// frames first, then any pooled-only ones.
func (r *Result) pooledNames() []string {
	names := make([]string, 0, len(r.Pooled))
	for k := range r.Pooled {
		names = append(names, k)
	}
	sortMetrics(names)
	return names
}

func sortedAggregate(m map[string]float64) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// frameMetrics returns a frame's metric names in report order.
func frameMetrics(f FrameScore) []string {
	names := make([]string, 0, len(f.Metrics))
	for k := range f.Metrics {
		names = append(names, k)
	}
	sortMetrics(names)
	return names
}

// WriteJSON writes r as libvmaf's --json output does (version, fps,
// frames, pooled_metrics, aggregate_metrics). "fps" is written only when
// r.FPS is set.
func WriteJSON(w io.Writer, r *Result) error {
	return WriteJSONWith(w, r, ReportOptions{})
}

// WriteJSONWith is WriteJSON with numbers printed as o says.
func WriteJSONWith(w io.Writer, r *Result, o ReportOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("{\n")
	p("  \"version\": %s,\n", jsonString(r.Version))
	if r.FPS != 0 {
		if math.IsNaN(r.FPS) || math.IsInf(r.FPS, 0) {
			p("  \"fps\": null,\n")
		} else {
			p("  \"fps\": %.2f,\n", r.FPS)
		}
	}
	p("  \"frames\": [")
	first := true
	for _, f := range r.Frames {
		if len(f.Metrics) == 0 {
			continue
		}
		if first {
			p("\n")
		} else {
			p(",\n")
		}
		first = false
		p("    {\n")
		p("      \"frameNum\": %d,\n", f.Index)
		p("      \"metrics\": {\n")
		names := frameMetrics(f)
		for i, k := range names {
			p("        %s: %s%s\n", jsonString(k), o.jsonNum(f.Metrics[k]), comma(i < len(names)-1))
		}
		p("      }\n")
		p("    }")
	}
	p("\n  ],\n")
	p("  \"pooled_metrics\": {")
	for i, k := range r.pooledNames() {
		if i > 0 {
			p(",\n")
		} else {
			p("\n")
		}
		p("    %s: {", jsonString(k))
		pl := r.Pooled[k]
		for j, m := range libvmafPools {
			v, _ := pl.Get(m)
			if j > 0 {
				p(",\n")
			} else {
				p("\n")
			}
			p("      %q: %s", m, o.jsonNum(v))
		}
		p("\n    }")
	}
	p("\n  },\n")
	p("  \"aggregate_metrics\": {")
	agg := sortedAggregate(r.Aggregate)
	for i, k := range agg {
		p("\n    %s: %s%s", jsonString(k), o.jsonNum(r.Aggregate[k]), comma(i < len(agg)-1))
	}
	p("\n  }\n")
	p("}\n")
	return bw.Flush()
}

func comma(more bool) string {
	if more {
		return ","
	}
	return ""
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// WriteCSV writes one row per frame, as libvmaf's --csv does: a header
// "Frame,<metric>,..." and rows "<frameNum>,<value>,...", every field
// followed by a comma. A metric missing from a frame leaves its field
// empty (libvmaf would shift the row); NaN prints as "nan".
func WriteCSV(w io.Writer, r *Result) error {
	return WriteCSVWith(w, r, ReportOptions{})
}

// WriteCSVWith is WriteCSV with numbers printed as o says.
func WriteCSVWith(w io.Writer, r *Result, o ReportOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	names := r.MetricNames()
	bw.WriteString("Frame,")
	for _, k := range names {
		bw.WriteString(csvField(k) + ",")
	}
	bw.WriteString("\n")
	for _, f := range r.Frames {
		if len(f.Metrics) == 0 {
			continue
		}
		bw.WriteString(strconv.FormatInt(f.Index, 10) + ",")
		for _, k := range names {
			if v, ok := f.Metrics[k]; ok {
				bw.WriteString(o.textNum(v))
			}
			bw.WriteString(",")
		}
		bw.WriteString("\n")
	}
	return bw.Flush()
}

// textNum is formatNum with C's spelling of NaN and infinities.
func (o ReportOptions) textNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return o.formatNum(v)
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// WriteXML writes r as libvmaf's --xml output does: <VMAF version> with
// params (frame size), fyi (fps), one <frame> element per frame with the
// metrics as attributes, <pooled_metrics> and <aggregate_metrics>.
func WriteXML(w io.Writer, r *Result) error {
	return WriteXMLWith(w, r, ReportOptions{})
}

// WriteXMLWith is WriteXML with numbers printed as o says.
func WriteXMLWith(w io.Writer, r *Result, o ReportOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("<VMAF version=%s>\n", xmlAttr(r.Version))
	p("  <params qualityWidth=\"%d\" qualityHeight=\"%d\" />\n", r.Width, r.Height)
	p("  <fyi fps=\"%.2f\" />\n", r.FPS)
	p("  <frames>\n")
	for _, f := range r.Frames {
		if len(f.Metrics) == 0 {
			continue
		}
		p("    <frame frameNum=\"%d\" ", f.Index)
		for _, k := range frameMetrics(f) {
			p("%s=%s ", xmlName(k), xmlAttr(o.textNum(f.Metrics[k])))
		}
		p("/>\n")
	}
	p("  </frames>\n")
	p("  <pooled_metrics>\n")
	for _, k := range r.pooledNames() {
		p("    <metric name=%s ", xmlAttr(k))
		pl := r.Pooled[k]
		for _, m := range libvmafPools {
			v, _ := pl.Get(m)
			p("%s=%s ", m, xmlAttr(o.textNum(v)))
		}
		p("/>\n")
	}
	p("  </pooled_metrics>\n")
	p("  <aggregate_metrics ")
	for _, k := range sortedAggregate(r.Aggregate) {
		p("%s=%s ", xmlName(k), xmlAttr(o.textNum(r.Aggregate[k])))
	}
	p("/>\n")
	p("</VMAF>\n")
	return bw.Flush()
}

// xmlAttr quotes s as an XML attribute value.
func xmlAttr(s string) string {
	r := strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;", "\n", "&#10;", "\t", "&#9;", "\r", "&#13;")
	return `"` + r.Replace(s) + `"`
}

// xmlName makes a metric name usable as an attribute name. libvmaf's names
// already are; anything else (a model named from a path) has its other
// characters replaced by '_'.
func xmlName(s string) string {
	var b strings.Builder
	for i, c := range s {
		ok := c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(i > 0 && (c == '-' || c == '.' || (c >= '0' && c <= '9')))
		if ok {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// ReadJSON reads a report written by WriteJSON or by libvmaf's --json.
// null values read as NaN. Pooled min, max, mean and harmonic_mean come
// from the file; the percentiles and 1% low, which libvmaf does not
// write, are recomputed from the frames.
//
// Reports in the shape libvmaf and WriteJSON write are read by a scanner
// made for it (reportscan.go), more than ten times faster than
// encoding/json on a long film; anything else is decoded by encoding/json,
// so both give the same result or the same error.
func ReadJSON(rd io.Reader) (*Result, error) {
	b, err := readReport(rd)
	if err != nil {
		return nil, fmt.Errorf("vmaf: reading report: %v: %w", err, ErrInvalidReport)
	}
	if r, ok := scanReport(b); ok {
		return r.result(), nil
	}
	return readJSONStd(bytes.NewReader(b))
}

// readJSONStd is ReadJSON by encoding/json: the reference scanReport is
// tested against, and the reader of anything scanReport does not take.
func readJSONStd(rd io.Reader) (*Result, error) {
	var doc struct {
		Version   *string                        `json:"version"`
		FPS       *float64                       `json:"fps"`
		Frames    []jsonFrame                    `json:"frames"`
		Pooled    map[string]map[string]*float64 `json:"pooled_metrics"`
		Aggregate map[string]*float64            `json:"aggregate_metrics"`
	}
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("vmaf: reading report: %v: %w", err, ErrInvalidReport)
	}
	if doc.Version == nil || doc.Frames == nil {
		return nil, fmt.Errorf("vmaf: reading report: no \"version\" or \"frames\" (not a libvmaf JSON report): %w", ErrInvalidReport)
	}
	r := &Result{Version: *doc.Version, Pooled: map[string]Pooled{}, Aggregate: map[string]float64{}}
	if doc.FPS != nil {
		r.FPS = *doc.FPS
	}
	seen := map[int64]bool{}
	last := int64(-1)
	for i, f := range doc.Frames {
		if f.Index == nil || *f.Index < 0 {
			return nil, fmt.Errorf("vmaf: reading report: frame entry %d has no valid frameNum: %w", i, ErrInvalidReport)
		}
		if seen[*f.Index] || *f.Index < last {
			return nil, fmt.Errorf("vmaf: reading report: frameNum %d repeated or out of order: %w", *f.Index, ErrInvalidReport)
		}
		seen[*f.Index], last = true, *f.Index
		m := make(map[string]float64, len(f.Metrics))
		for k, v := range f.Metrics {
			m[k] = nullNaN(v)
		}
		r.Frames = append(r.Frames, FrameScore{Index: *f.Index, Metrics: m})
	}
	recomputed := Result{Frames: r.Frames}
	recomputed.PoolAll()
	for k, pm := range doc.Pooled {
		pl := recomputed.Pooled[k]
		pl.Min, pl.Max = nullNaN(pm["min"]), nullNaN(pm["max"])
		pl.Mean, pl.HarmonicMean = nullNaN(pm["mean"]), nullNaN(pm["harmonic_mean"])
		r.Pooled[k] = pl
	}
	for k, v := range doc.Aggregate {
		r.Aggregate[k] = nullNaN(v)
	}
	return r, nil
}

type jsonFrame struct {
	Index   *int64              `json:"frameNum"`
	Metrics map[string]*float64 `json:"metrics"`
}

func nullNaN(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}
