package workflows

import (
	"fmt"

	"github.com/reelmedia/reel/bdrate"
)

// Curve is the job's rate-quality curve for BD-rate: one point per
// rendition, the rate in kb/s and the quality the rendition's pooled mean
// of metric ("vmaf" or "psnr", PSNR-Y). A rendition without that score is
// an error naming it.
func (r Report) Curve(metric string) ([]bdrate.Point, error) {
	var pts []bdrate.Point
	for _, rr := range r.Renditions {
		var score *PooledScore
		switch metric {
		case "vmaf":
			score = rr.VMAF
		case "psnr":
			score = rr.PSNR
		default:
			return nil, fmt.Errorf("%w: metric %q (want vmaf or psnr)", bdrate.ErrInvalidInput, metric)
		}
		if score == nil {
			return nil, fmt.Errorf("%w: job %s: rendition %s has no %s score", bdrate.ErrInvalidInput, r.Job, rr.Name, metric)
		}
		pts = append(pts, bdrate.Point{Rate: rr.Bitrate / 1000, Quality: score.Mean})
	}
	return pts, nil
}
