package vmaf

import (
	"bytes"
	"io"
	"math"
	"strconv"
)

// A 200,000-frame report is about 36 MB of JSON, and encoding/json takes
// seconds on it (a map per frame, reflection per value). scanReport reads
// the plain shape that libvmaf and WriteJSON write by hand: one pass over
// the bytes, metric names interned, values stored by column. It takes only
// what it is sure to read as encoding/json does: keys spelled exactly,
// strings of printable ASCII without escapes, no repeated top-level or
// frame keys, frame numbers in ascending order, nothing after the report.
// Anything else (including every error) says !ok, and the caller decodes
// the same bytes with encoding/json (readJSONStd), which gives the result
// or the error. FuzzScanReport checks that the two agree.

// scanned is a report as scanReport reads it.
type scanned struct {
	version string
	fps     float64
	nums    []int64   // frameNum of each frame entry, ascending
	cols    []*column // metrics in order of first appearance
	pooled  map[string]*[4]float64
	agg     map[string]float64
}

// column is one metric over the frame entries.
type column struct {
	name string
	v    []float64 // one per entry; NaN where absent or null
	has  []bool    // one per entry; nil while every entry had the metric
}

// poolIndex is where scanned.pooled keeps libvmaf's four summaries.
var poolIndex = map[string]int{PoolMin: 0, PoolMax: 1, PoolMean: 2, PoolHarmonicMean: 3}

type reportScanner struct {
	b     []byte
	i     int
	r     scanned
	names map[string]int // column index by metric name
	next  int            // the column the next metric of a frame usually is
}

// scanReport reads b if it is a report in libvmaf's plain shape; !ok when
// it is anything else or anything odd.
func scanReport(b []byte) (*scanned, bool) {
	s := &reportScanner{b: b, names: map[string]int{}}
	if !s.report() {
		return nil, false
	}
	s.ws()
	if s.i != len(s.b) {
		return nil, false
	}
	return &s.r, true
}

func (s *reportScanner) report() bool {
	if !s.lit('{') {
		return false
	}
	var haveVersion, haveFPS, haveFrames, havePooled, haveAgg bool
	for {
		key, ok := s.str()
		if !ok || !s.lit(':') {
			return false
		}
		switch string(key) {
		case "version":
			v, ok := s.str()
			if !ok || haveVersion {
				return false
			}
			s.r.version, haveVersion = string(v), true
		case "fps":
			v, ok := s.numOrNull()
			if !ok || haveFPS {
				return false
			}
			if !math.IsNaN(v) {
				s.r.fps = v
			}
			haveFPS = true
		case "frames":
			if haveFrames || !s.frames() {
				return false
			}
			haveFrames = true
		case "pooled_metrics":
			if havePooled || !s.pooled() {
				return false
			}
			havePooled = true
		case "aggregate_metrics":
			if haveAgg {
				return false
			}
			s.r.agg = map[string]float64{}
			if !s.values(func(k []byte, v float64) { s.r.agg[string(k)] = v }) {
				return false
			}
			haveAgg = true
		default:
			return false
		}
		if s.lit(',') {
			continue
		}
		if !s.lit('}') {
			return false
		}
		return haveVersion && haveFrames
	}
}

// frames reads the frames array, frame numbers strictly ascending (what
// ReadJSON requires; its error comes from the fallback).
func (s *reportScanner) frames() bool {
	if !s.lit('[') {
		return false
	}
	if s.lit(']') {
		return true
	}
	last := int64(-1)
	for {
		n, ok := s.frame()
		if !ok || n <= last {
			return false
		}
		last = n
		if s.lit(',') {
			continue
		}
		return s.lit(']')
	}
}

// frame reads one {"frameNum": N, "metrics": {...}} (keys in either
// order, metrics optional) and appends it as entry len(s.r.nums).
func (s *reportScanner) frame() (int64, bool) {
	if !s.lit('{') {
		return 0, false
	}
	entry := len(s.r.nums)
	num := int64(-1)
	haveMetrics := false
	if s.lit('}') {
		return 0, false // no frameNum
	}
	for {
		key, ok := s.str()
		if !ok || !s.lit(':') {
			return 0, false
		}
		switch string(key) {
		case "frameNum":
			n, ok := s.uint()
			if !ok || num >= 0 {
				return 0, false
			}
			num = n
		case "metrics":
			if haveMetrics || !s.metrics(entry) {
				return 0, false
			}
			haveMetrics = true
		default:
			return 0, false
		}
		if s.lit(',') {
			continue
		}
		if !s.lit('}') || num < 0 {
			return 0, false
		}
		break
	}
	s.r.nums = append(s.r.nums, num)
	for _, c := range s.r.cols {
		if len(c.v) == entry+1 {
			if c.has != nil {
				c.has = append(c.has, true)
			}
			continue
		}
		c.v = append(c.v, math.NaN())
		if c.has == nil {
			c.has = make([]bool, entry, entry+entry/4+16)
			for i := range c.has {
				c.has[i] = true
			}
		}
		c.has = append(c.has, false)
	}
	return num, true
}

// metrics reads a frame's metrics object into the columns at entry.
func (s *reportScanner) metrics(entry int) bool {
	s.next = 0
	return s.values(func(k []byte, v float64) {
		c := s.column(k, entry)
		if len(c.v) == entry+1 {
			c.v[entry] = v // repeated key: the last one counts, as in a map
		} else {
			c.v = append(c.v, v)
		}
	})
}

// column finds or makes the column of metric k; a new one reads NaN (and
// absent) for the entries before entry.
func (s *reportScanner) column(k []byte, entry int) *column {
	// Every frame usually lists the same metrics in the same order.
	if s.next < len(s.r.cols) {
		if c := s.r.cols[s.next]; string(k) == c.name {
			s.next++
			return c
		}
	}
	if i, ok := s.names[string(k)]; ok {
		s.next = i + 1
		return s.r.cols[i]
	}
	c := &column{name: string(k), v: make([]float64, entry, max(entry+1, 1024))}
	for i := range c.v {
		c.v[i] = math.NaN()
	}
	if entry > 0 {
		c.has = make([]bool, entry, cap(c.v))
	}
	s.names[c.name] = len(s.r.cols)
	s.r.cols = append(s.r.cols, c)
	s.next = len(s.r.cols)
	return c
}

// pooled reads pooled_metrics: {"metric": {"min": x, ...}, ...}.
func (s *reportScanner) pooled() bool {
	s.r.pooled = map[string]*[4]float64{}
	if !s.lit('{') {
		return false
	}
	if s.lit('}') {
		return true
	}
	for {
		key, ok := s.str()
		if !ok || !s.lit(':') {
			return false
		}
		p := &[4]float64{math.NaN(), math.NaN(), math.NaN(), math.NaN()}
		if !s.values(func(k []byte, v float64) {
			if i, ok := poolIndex[string(k)]; ok {
				p[i] = v
			}
		}) {
			return false
		}
		s.r.pooled[string(key)] = p // repeated: the last one counts
		if s.lit(',') {
			continue
		}
		return s.lit('}')
	}
}

// values reads an object of numbers or nulls (NaN), calling put for each.
func (s *reportScanner) values(put func(k []byte, v float64)) bool {
	if !s.lit('{') {
		return false
	}
	if s.lit('}') {
		return true
	}
	for {
		key, ok := s.str()
		if !ok || !s.lit(':') {
			return false
		}
		v, ok := s.numOrNull()
		if !ok {
			return false
		}
		put(key, v)
		if s.lit(',') {
			continue
		}
		return s.lit('}')
	}
}

func (s *reportScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// lit skips white space and then c, if c is next.
func (s *reportScanner) lit(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes (anything else
// is left to encoding/json, which also replaces invalid UTF-8).
func (s *reportScanner) str() ([]byte, bool) {
	if !s.lit('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '"' {
			s.i++
			return s.b[start : s.i-1], true
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// uint reads a JSON integer without sign, fraction or exponent, as
// encoding/json reads it into an int64 (anything else is not a frame
// number this scanner takes).
func (s *reportScanner) uint() (int64, bool) {
	s.ws()
	start := s.i
	var n int64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		n = n*10 + int64(s.b[s.i]-'0')
		s.i++
	}
	d := s.i - start
	if d == 0 || d > 18 || (d > 1 && s.b[start] == '0') {
		return 0, false
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		return 0, false
	}
	return n, true
}

// float64pow10 are the powers of ten a float64 holds exactly.
var float64pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// numOrNull reads a JSON number as strconv.ParseFloat does (which is
// what encoding/json calls), or null as NaN; an out-of-range number is
// !ok, as encoding/json fails on it.
//
// The common case, no exponent and the digits an integer below 2^53, is
// Clinger's fast path (ParseFloat's too): the digits and the power of ten
// are both exact, so one division is the correctly rounded value, the one
// ParseFloat returns.
func (s *reportScanner) numOrNull() (float64, bool) {
	s.ws()
	b := s.b
	start := s.i
	if bytes.HasPrefix(b[s.i:], []byte("null")) {
		s.i += 4
		return math.NaN(), true
	}
	neg := false
	if s.i < len(b) && b[s.i] == '-' {
		neg = true
		s.i++
	}
	// Integer part: 0, or a digit 1-9 and more digits.
	var mant uint64
	digits := 0
	intStart := s.i
	for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
		mant = mant*10 + uint64(b[s.i]-'0')
		digits++
		s.i++
	}
	if s.i == intStart || (s.i-intStart > 1 && b[intStart] == '0') {
		return 0, false
	}
	frac := 0
	if s.i < len(b) && b[s.i] == '.' {
		s.i++
		fracStart := s.i
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			mant = mant*10 + uint64(b[s.i]-'0')
			digits++
			s.i++
		}
		frac = s.i - fracStart
		if frac == 0 {
			return 0, false
		}
	}
	exp := false
	if s.i < len(b) && (b[s.i] == 'e' || b[s.i] == 'E') {
		exp = true
		s.i++
		if s.i < len(b) && (b[s.i] == '+' || b[s.i] == '-') {
			s.i++
		}
		expStart := s.i
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			s.i++
		}
		if s.i == expStart {
			return 0, false
		}
	}
	if !exp && digits <= 19 && frac < len(float64pow10) && mant>>52 == 0 {
		f := float64(mant) / float64pow10[frac]
		if neg {
			f = -f
		}
		return f, true
	}
	f, err := strconv.ParseFloat(string(b[start:s.i]), 64)
	return f, err == nil
}

// readReport is io.ReadAll in one allocation when rd knows its length (a
// bytes.Reader or Buffer, a strings.Reader): a long film's report is tens
// of megabytes, and growing a buffer to it copies it several times over.
func readReport(rd io.Reader) ([]byte, error) {
	l, ok := rd.(interface{ Len() int })
	if !ok {
		return io.ReadAll(rd)
	}
	buf := bytes.NewBuffer(make([]byte, 0, l.Len()+bytes.MinRead))
	_, err := buf.ReadFrom(rd)
	return buf.Bytes(), err
}

// result is the Result ReadJSON returns for r. The pooled summaries
// (a sort of each metric) are computed beside the frames' maps.
func (r *scanned) result() *Result {
	res := &Result{Version: r.version, FPS: r.fps, Pooled: map[string]Pooled{}, Aggregate: map[string]float64{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k, p := range r.pooled {
			// As ReadJSON: the file's four summaries, the others
			// recomputed from the frames that carry the metric, in frame
			// order.
			var pl Pooled
			if i, ok := r.column(k); ok {
				pl = Pool(r.cols[i].present())
			}
			pl.Min, pl.Max, pl.Mean, pl.HarmonicMean = p[0], p[1], p[2], p[3]
			res.Pooled[k] = pl
		}
	}()
	if len(r.nums) > 0 {
		res.Frames = make([]FrameScore, len(r.nums))
	}
	for i, n := range r.nums {
		k := 0
		for _, c := range r.cols {
			if c.has == nil || c.has[i] {
				k++
			}
		}
		m := make(map[string]float64, k)
		for _, c := range r.cols {
			if c.has == nil || c.has[i] {
				m[c.name] = c.v[i]
			}
		}
		res.Frames[i] = FrameScore{Index: n, Metrics: m}
	}
	<-done
	for k, v := range r.agg {
		res.Aggregate[k] = v
	}
	return res
}

func (r *scanned) column(name string) (int, bool) {
	for i, c := range r.cols {
		if c.name == name {
			return i, true
		}
	}
	return 0, false
}

// present is the column's values of the entries that have the metric.
func (c *column) present() []float64 {
	if c.has == nil {
		return c.v
	}
	out := make([]float64, 0, len(c.v))
	for i, v := range c.v {
		if c.has[i] {
			out = append(out, v)
		}
	}
	return out
}

// Series is a report's per-frame scores by metric: what a plot or a table
// of a long film reads, without a map per frame.
type Series struct {
	// Frames is the frameNum of each frame entry, ascending.
	Frames []int64
	// Metrics names every metric of the frames, in report order (as
	// Result.MetricNames).
	Metrics []string
	// Values holds, per metric, one value per entry of Frames: NaN where
	// the frame has no score (the metric absent or null).
	Values map[string][]float64
}

// ReadJSONSeries reads a JSON report's frames as ReadJSON does (the same
// checks, errors and values) into a Series. It reads libvmaf's plain shape
// by hand, about 20 times faster than encoding/json, and decodes anything
// else with encoding/json.
func ReadJSONSeries(b []byte) (*Series, error) {
	if r, ok := scanReport(b); ok {
		sr := &Series{Frames: r.nums, Values: make(map[string][]float64, len(r.cols))}
		for _, c := range r.cols {
			sr.Metrics = append(sr.Metrics, c.name)
			sr.Values[c.name] = c.v
		}
		sortMetrics(sr.Metrics)
		return sr, nil
	}
	res, err := readJSONStd(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return seriesOf(res), nil
}

// seriesOf is res's frames by metric.
func seriesOf(res *Result) *Series {
	sr := &Series{Metrics: res.MetricNames(), Values: map[string][]float64{}}
	sr.Frames = make([]int64, len(res.Frames))
	for i, f := range res.Frames {
		sr.Frames[i] = f.Index
	}
	for _, m := range sr.Metrics {
		v := make([]float64, len(res.Frames))
		for i, f := range res.Frames {
			x, ok := f.Metrics[m]
			if !ok {
				x = math.NaN()
			}
			v[i] = x
		}
		sr.Values[m] = v
	}
	return sr
}
