package api

import (
	"errors"
	"net/http"

	"github.com/reelmedia/reel/bdrate"
)

// BDRate is the Bjøntegaard comparison of two completed jobs of the same
// source: how many more (positive) or fewer (negative) bits test spends
// than anchor at equal quality, and the quality difference at equal rate.
type BDRate struct {
	Anchor       string  `json:"anchor"`
	Test         string  `json:"test"`
	Metric       string  `json:"metric"`
	Method       string  `json:"method"`
	RatePercent  float64 `json:"bd_rate_percent"`
	QualityDelta float64 `json:"bd_quality"`
	AnchorPoints []Point `json:"anchor_points"`
	TestPoints   []Point `json:"test_points"`
}

// Point is one rendition on a rate-quality curve.
type Point struct {
	RateKbps float64 `json:"rate_kbps"`
	Quality  float64 `json:"quality"`
}

// bdRate serves GET /bdrate?anchor=ID&test=ID[&metric=vmaf|psnr][&interp=pchip|cubic].
// Curves that bdrate cannot compare (fewer than 4 renditions, quality not
// rising with rate, no overlap) are 422 with the reason.
func (s *Server) bdRate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	metric := q.Get("metric")
	if metric == "" {
		metric = "vmaf"
	}
	if metric != "vmaf" && metric != "psnr" {
		writeError(w, http.StatusBadRequest, "metric %q: want vmaf or psnr", metric)
		return
	}
	interp := q.Get("interp")
	if interp == "" {
		interp = "pchip"
	}
	method, err := bdrate.ParseMethod(interp)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%s", err)
		return
	}
	out := BDRate{Anchor: q.Get("anchor"), Test: q.Get("test"), Metric: metric, Method: method.String()}
	var curves [2][]bdrate.Point
	var sources [2]string
	for i, id := range []string{out.Anchor, out.Test} {
		if err := checkID(id); err != nil {
			s.fail(w, r, err)
			return
		}
		jr, err := s.report(r.Context(), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		sources[i] = jr.report.Source
		if curves[i], err = jr.report.Curve(metric); err != nil {
			writeError(w, http.StatusUnprocessableEntity, "%s", err)
			return
		}
	}
	if sources[0] != sources[1] {
		writeError(w, http.StatusUnprocessableEntity, "jobs %s and %s encode different sources (%s, %s): BD-rate compares encodes of one source", out.Anchor, out.Test, sources[0], sources[1])
		return
	}
	out.RatePercent, err = bdrate.Rate(curves[0], curves[1], method)
	if err == nil {
		out.QualityDelta, err = bdrate.Quality(curves[0], curves[1], method)
	}
	if err != nil {
		if errors.Is(err, bdrate.ErrTooFewPoints) || errors.Is(err, bdrate.ErrNotMonotone) || errors.Is(err, bdrate.ErrNoOverlap) || errors.Is(err, bdrate.ErrInvalidInput) {
			writeError(w, http.StatusUnprocessableEntity, "%s", err)
			return
		}
		s.fail(w, r, err)
		return
	}
	out.AnchorPoints, out.TestPoints = points(curves[0]), points(curves[1])
	writeJSON(w, http.StatusOK, out)
}

func points(c []bdrate.Point) []Point {
	out := make([]Point, len(c))
	for i, p := range c {
		out[i] = Point{RateKbps: p.Rate, Quality: p.Quality}
	}
	return out
}
