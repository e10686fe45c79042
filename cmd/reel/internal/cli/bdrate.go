package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/bdrate"
	"github.com/reelmedia/reel/workflows"
)

const bdrateLong = `Compare two rate-quality curves with the Bjøntegaard delta (VCEG-M33): the
average bitrate difference at equal quality (BD-rate, in percent of A's
bitrate; negative means B needs fewer bits) and the average quality difference
at equal bitrate (BD-VMAF or BD-PSNR; positive means B is better).

A is the anchor, B the test. Each is one of:
  - a report.json of an encode job (each rendition is a point: its bitrate and
    its pooled VMAF mean or PSNR-Y mean),
  - a CSV file of bitrate_kbps,vmaf (or bitrate_kbps,psnr) rows, with or
    without that header line; with a header, the columns are found by name,
  - a job ID, whose report is found through the cluster (--temporal).
A report or CSV may be a local path or an s3://, file:// or http(s):// URL.
A per-shot job's report (or job ID) also offers, per grid height, its fixed
ladder and its per-shot curve (docs/pershot.md), named by a suffix:
REPORT#fixed:HEIGHT or REPORT#per-shot:HEIGHT (VMAF only).

The curves are interpolated on log rate, by default with piecewise cubic
Hermite interpolation (PCHIP) as the JCT-VC/JVET common test conditions do,
or with --interp cubic by the classic least-squares cubic of VCEG-M33, and
integrated over the range where they overlap. Each curve needs at least 4
points whose quality rises strictly with bitrate.`

const bdrateExample = `  reel bdrate fixed-crf/report.json per-shot/report.json
  reel bdrate x264.csv x265.csv --metric psnr
  reel bdrate --json --interp cubic anchor.csv test.csv | jq .bd_rate_percent
  reel bdrate encode-film-20261125-101500 encode-film-20261126-090000
  reel bdrate out/report.json#fixed:720 out/report.json#per-shot:720
  reel bdrate qp-grid/report.json#fixed:720 crf-grid/report.json#per-shot:720`

// bdrateResult is what --json prints.
type bdrateResult struct {
	Anchor        string         `json:"anchor"`
	Test          string         `json:"test"`
	Metric        string         `json:"metric"`
	Interpolation string         `json:"interpolation"`
	BDRatePercent float64        `json:"bd_rate_percent"`
	BDQuality     float64        `json:"bd_quality"`
	AnchorPoints  []bdrate.Point `json:"anchor_points"`
	TestPoints    []bdrate.Point `json:"test_points"`
}

func newBDRateCmd(app *App) *cobra.Command {
	var metric, interp string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "bdrate A B",
		Short:   "BD-rate and BD-quality of curve B against curve A (reports, CSV or job IDs)",
		Long:    bdrateLong,
		Example: bdrateExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef(cmd, "bdrate takes two curves, A (anchor) and B (test), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if metric != "vmaf" && metric != "psnr" {
				return usagef(cmd, "--metric %q: want vmaf or psnr", metric)
			}
			m, err := bdrate.ParseMethod(interp)
			if err != nil {
				return usagef(cmd, "--interp %q: want pchip or cubic", interp)
			}
			ctx := cmd.Context()
			var curves [2][]bdrate.Point
			for i, arg := range args {
				if curves[i], err = app.readCurve(ctx, cmd, arg, metric); err != nil {
					return err
				}
			}
			res := bdrateResult{Anchor: args[0], Test: args[1], Metric: metric, Interpolation: m.String(), AnchorPoints: curves[0], TestPoints: curves[1]}
			if res.BDRatePercent, err = bdrate.Rate(curves[0], curves[1], m); err != nil {
				return err
			}
			if res.BDQuality, err = bdrate.Quality(curves[0], curves[1], m); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Stdout, res)
			}
			name := map[string]string{"vmaf": "VMAF", "psnr": "PSNR"}[metric]
			unit := map[string]string{"vmaf": "", "psnr": " dB"}[metric]
			fmt.Fprintf(app.Stdout, "anchor   %s (%d points)\ntest     %s (%d points)\n", args[0], len(curves[0]), args[1], len(curves[1]))
			fmt.Fprintf(app.Stdout, "BD-rate  %+.2f %% (%s on log rate, %s)\n", res.BDRatePercent, m, name)
			fmt.Fprintf(app.Stdout, "BD-%s  %+.3f%s\n", name, res.BDQuality, unit)
			return nil
		},
	}
	addTemporalFlags(app, cmd)
	fl := cmd.Flags()
	fl.StringVar(&metric, "metric", "vmaf", "quality metric: vmaf or psnr (PSNR-Y)")
	fl.StringVar(&interp, "interp", "pchip", "interpolation: pchip (common test conditions) or cubic (VCEG-M33)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// readCurve reads a report.json, a CSV file or a job's report. Rates are
// kb/s.
func (app *App) readCurve(ctx context.Context, cmd *cobra.Command, arg, metric string) ([]bdrate.Point, error) {
	arg, sel, hasSel := strings.Cut(arg, "#")
	lower := strings.ToLower(arg)
	isFile := strings.HasSuffix(lower, ".json") || strings.HasSuffix(lower, ".csv") || strings.Contains(arg, "://")
	if _, err := os.Stat(arg); err == nil {
		isFile = true
	}
	if !isFile {
		c, err := app.dialCluster(ctx, cmd)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		var res workflows.Result
		if err := c.GetWorkflow(ctx, arg, "").Get(ctx, &res); err != nil {
			return nil, fmt.Errorf("bdrate: job %s: %w", arg, err)
		}
		arg = res.Report
	}
	src, err := app.openSource(ctx, arg)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	data, err := io.ReadAll(io.NewSectionReader(src.R, 0, src.Size))
	if err != nil {
		return nil, fmt.Errorf("bdrate: reading %s: %w", arg, err)
	}
	if hasSel {
		return perShotCurveFromReport(arg, sel, data, metric)
	}
	if strings.HasSuffix(strings.ToLower(arg), ".csv") {
		return curveFromCSV(arg, data, metric)
	}
	return curveFromReport(arg, data, metric)
}

var errCurve = errors.New("bdrate: bad curve file")

func curveFromReport(name string, data []byte, metric string) ([]bdrate.Point, error) {
	var rep workflows.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%w: %s is not a report.json: %v", errCurve, name, err)
	}
	pts, err := rep.Curve(metric)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errCurve, name, err)
	}
	return pts, nil
}

// perShotCurveFromReport reads sel (fixed:HEIGHT or per-shot:HEIGHT) from a
// per-shot job's report.
func perShotCurveFromReport(name, sel string, data []byte, metric string) ([]bdrate.Point, error) {
	which, h, _ := strings.Cut(sel, ":")
	height, err := strconv.Atoi(strings.TrimSuffix(h, "p"))
	if err != nil || metric != "vmaf" {
		return nil, fmt.Errorf("%w: %s#%s: want #fixed:HEIGHT or #per-shot:HEIGHT with --metric vmaf", errCurve, name, sel)
	}
	var rep workflows.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%w: %s is not a report.json: %v", errCurve, name, err)
	}
	pts, err := rep.PerShotCurve(which, height)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errCurve, name, err)
	}
	return pts, nil
}

func curveFromCSV(name string, data []byte, metric string) ([]bdrate.Point, error) {
	r := csv.NewReader(strings.NewReader(string(data)))
	r.TrimLeadingSpace = true
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errCurve, name, err)
	}
	rateCol, qCol := 0, 1
	if len(rows) > 0 {
		if _, err := strconv.ParseFloat(strings.TrimSpace(rows[0][0]), 64); err != nil {
			rateCol, qCol = -1, -1
			for i, h := range rows[0] {
				switch strings.ToLower(strings.TrimSpace(h)) {
				case "bitrate_kbps":
					rateCol = i
				case metric:
					qCol = i
				}
			}
			if rateCol < 0 || qCol < 0 {
				return nil, fmt.Errorf("%w: %s: header %q lacks bitrate_kbps or %s", errCurve, name, strings.Join(rows[0], ","), metric)
			}
			rows = rows[1:]
		}
	}
	var pts []bdrate.Point
	for i, row := range rows {
		if len(row) <= max(rateCol, qCol) {
			return nil, fmt.Errorf("%w: %s: row %d has %d columns", errCurve, name, i+1, len(row))
		}
		rate, err1 := strconv.ParseFloat(strings.TrimSpace(row[rateCol]), 64)
		q, err2 := strconv.ParseFloat(strings.TrimSpace(row[qCol]), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: %s: row %d: %q is not two numbers", errCurve, name, i+1, strings.Join(row, ","))
		}
		pts = append(pts, bdrate.Point{Rate: rate, Quality: q})
	}
	return pts, nil
}
