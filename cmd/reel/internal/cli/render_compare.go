package cli

import (
	"context"
	"fmt"
	"image/png"
	"io"
	"math"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/seq"
	"github.com/reelmedia/reel/vmaf"
)

const renderCompareLong = `Compare two review movies of the same shot (two versions, or a render and its
re-render): per-frame PSNR (luma) and SSIM by reel's vmaf package, the frames
that changed and by how much, a difference heat map of the most changed frame
(--heatmap FILE.png: black where equal, through red and yellow to white at the
largest difference), and a one-line summary such as "frames 1047-1063 changed;
elsewhere identical".

A frame has changed when its PSNR-Y is under --threshold dB (default 50:
invisible re-encoding noise stays above it, a changed render falls far below).
Frames are numbered from --first (the first frame's number in the sequence,
e.g. 1001; a slate counts as a frame). Both movies are decoded to 10-bit 4:4:4
and must have the same size and frame count. A or B is a local path or any
reel URL (s3://, http://). Image sequences are compared by rendering both with
'reel render run' first.`

const renderCompareExample = `  reel render compare sh010_v002.mov sh010_v003.mov --first 1001
  reel render compare v002.mov v003.mov --first 1001 --heatmap diff.png --json`

type compareFrame struct {
	Frame int     `json:"frame"`
	PSNRY float64 `json:"psnr_y"`
	SSIM  float64 `json:"ssim"`
}

type compareReport struct {
	A         string         `json:"a"`
	B         string         `json:"b"`
	Frames    int            `json:"frames"`
	Threshold float64        `json:"threshold_db"`
	Changed   []compareFrame `json:"changed"`
	Worst     *compareFrame  `json:"worst,omitempty"`
	PeakDiff  int            `json:"heatmap_peak_diff,omitempty"` // the largest luma difference, 10-bit codes
	Heatmap   string         `json:"heatmap,omitempty"`
	Summary   string         `json:"summary"`
}

func newRenderCompareCmd(app *App) *cobra.Command {
	var first, threads int
	var threshold float64
	var heatmap string
	var asJSON, quiet bool
	cmd := &cobra.Command{
		Use:     "compare A B",
		Short:   "Per-frame PSNR/SSIM of two review movies, the changed frames, a heat map",
		Long:    renderCompareLong,
		Example: renderCompareExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef(cmd, "render compare takes two movies A and B, got %d arguments", len(args))
			}
			if threshold <= 0 || math.IsNaN(threshold) {
				return usagef(cmd, "--threshold must be a positive number of dB")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			encode.SetLogLevel(ffmpegLogLevel(app.Config.LogLevel))
			rep, err := runRenderCompare(cmd.Context(), app, args[0], args[1], first, threshold, heatmap, threads, quiet || asJSON)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Stdout, rep)
			}
			fmt.Fprintln(app.Stdout, rep.Summary)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&first, "first", 0, "the number of the first frame, e.g. 1001")
	fl.Float64Var(&threshold, "threshold", 50, "a frame changed when its PSNR-Y is under this many dB")
	fl.StringVar(&heatmap, "heatmap", "", "write a PNG heat map of the most changed frame's differences")
	fl.IntVar(&threads, "threads", 0, "frames scored at once (0 = one per core)")
	fl.BoolVar(&asJSON, "json", false, "print the result as JSON")
	fl.BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	return cmd
}

// compareDecode is both movies' decode: one format, so any two review
// codecs compare.
var compareDecode = encode.DecodeOptions{PixFmt: "yuv444p10le", Threads: 1}

func runRenderCompare(ctx context.Context, app *App, a, b string, first int, threshold float64, heatmap string, threads int, quiet bool) (*compareReport, error) {
	open := func(arg string, opts encode.DecodeOptions) (*encode.FrameReader, func(), error) {
		src, err := app.openSource(ctx, arg)
		if err != nil {
			return nil, nil, err
		}
		r, err := encode.OpenFrames(ctx, encode.ReaderInput(src.Name, src.R, src.Size), opts)
		if err != nil {
			src.Close()
			return nil, nil, err
		}
		return r, func() { r.Close(); src.Close() }, nil
	}
	ra, closeA, err := open(a, compareDecode)
	if err != nil {
		return nil, err
	}
	defer closeA()
	rb, closeB, err := open(b, compareDecode)
	if err != nil {
		return nil, err
	}
	defer closeB()
	prog := newProgress(app.Stderr, "compare", 0, "frames", quiet)
	var done int64
	res, err := vmaf.Score(ctx, ra, rb, vmaf.Options{Features: []string{"psnr", "ssim"}, NoPrediction: true, Threads: threads,
		OnFrame: func(vmaf.FrameScore) { done++; prog.Set(done, "") }})
	if err != nil {
		return nil, fmt.Errorf("render compare %s %s: %w", a, b, err)
	}
	prog.Finish()
	rep := &compareReport{A: a, B: b, Frames: len(res.Frames), Threshold: threshold}
	var changed []int
	for _, fs := range res.Frames {
		c := compareFrame{Frame: first + int(fs.Index), PSNRY: fs.Metrics["psnr_y"], SSIM: fs.Metrics["float_ssim"]}
		if c.PSNRY < threshold {
			rep.Changed = append(rep.Changed, c)
			changed = append(changed, c.Frame)
			if rep.Worst == nil || c.PSNRY < rep.Worst.PSNRY {
				w := c
				rep.Worst = &w
			}
		}
	}
	if rep.Worst == nil {
		rep.Summary = fmt.Sprintf("no frame changed (%d frames, PSNR-Y ≥ %g dB everywhere)", rep.Frames, threshold)
		return rep, nil
	}
	rep.Summary = fmt.Sprintf("frames %s changed (%d of %d; most: %d, PSNR-Y %.2f dB, SSIM %.4f); elsewhere identical",
		seq.Compact(changed, 1), len(changed), rep.Frames, rep.Worst.Frame, rep.Worst.PSNRY, rep.Worst.SSIM)
	if len(changed) == rep.Frames {
		rep.Summary = fmt.Sprintf("every frame changed (%d; most: %d, PSNR-Y %.2f dB, SSIM %.4f)", rep.Frames, rep.Worst.Frame, rep.Worst.PSNRY, rep.Worst.SSIM)
	}
	if heatmap != "" {
		i := int64(rep.Worst.Frame - first)
		one := compareDecode
		one.Start, one.End = i, i+1
		fa, closeFA, err := open(a, one)
		if err != nil {
			return nil, err
		}
		defer closeFA()
		fb, closeFB, err := open(b, one)
		if err != nil {
			return nil, err
		}
		defer closeFB()
		x, err := fa.ReadFrame(ctx)
		if err != nil {
			return nil, err
		}
		x = x.Clone()
		y, err := fb.ReadFrame(ctx)
		if err != nil {
			return nil, err
		}
		img, peak, err := seq.HeatMap(x, y)
		if err != nil {
			return nil, err
		}
		if err := writeAtomic(heatmap, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
			return nil, fmt.Errorf("heat map %s: %w", heatmap, err)
		}
		rep.Heatmap, rep.PeakDiff = heatmap, peak
	}
	return rep, nil
}
