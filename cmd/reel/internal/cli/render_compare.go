package cli

import (
	"context"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/media"
	"github.com/reelmedia/reel/seq"
	"github.com/reelmedia/reel/vmaf"
	"github.com/reelmedia/reel/workflows"
)

const renderCompareLong = `Compare two versions of a shot, each a review movie or an image sequence (a
pattern like sh010_v003.####.exr, or a directory or s3:// prefix ending in /
holding one): per-frame PSNR (luma) and SSIM by reel's vmaf package, the frames
that changed and by how much, a difference heat map of the most changed frame
(--heatmap FILE.png: black where equal, through red and yellow to white at the
largest difference), and a one-line summary such as "frames 1047-1063 changed;
elsewhere identical".

A frame has changed when its PSNR-Y is under --threshold dB (default 50:
invisible re-encoding noise stays above it, a changed render falls far below).
A sequence's frames carry their own numbers; a movie's are numbered from
--first (e.g. 1001; a slate counts as a frame). Frames are matched by number:
a number only one side has is listed ("only in A: 1040") and not scored.
Sequence frames are read as 'reel render run' reads them, through the same
display transform (--display, default rec709) and --lut, so scene-linear EXR
compares in display space, as a review shows it, and a sequence compares
with its own review movie. Both sides are converted to 10-bit 4:4:4 and must
have the same size. A or B is a local path or any reel URL (s3://, http://).`

const renderCompareExample = `  reel render compare sh010_v002.mov sh010_v003.mov --first 1001
  reel render compare v002.mov v003.mov --first 1001 --heatmap diff.png --json
  reel render compare /renders/sh010/v002/sh010.####.exr /renders/sh010/v003/ --heatmap diff.png
  reel render compare sh010_v003.mov s3://renders/sh010/v003/ --first 1001 --display srgb`

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
	// OnlyA, OnlyB: frame numbers one side has and the other has not
	// (not compared).
	OnlyA []int `json:"only_a,omitempty"`
	OnlyB []int `json:"only_b,omitempty"`
}

func newRenderCompareCmd(app *App) *cobra.Command {
	var o compareOpts
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "compare A B",
		Short:   "Per-frame PSNR/SSIM of two versions (movies or sequences), the changed frames, a heat map",
		Long:    renderCompareLong,
		Example: renderCompareExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef(cmd, "render compare takes two movies or sequences A and B, got %d arguments", len(args))
			}
			if o.threshold <= 0 || math.IsNaN(o.threshold) {
				return usagef(cmd, "--threshold must be a positive number of dB")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			encode.SetLogLevel(ffmpegLogLevel(app.Config.LogLevel))
			o.quiet = o.quiet || asJSON
			rep, err := runRenderCompare(cmd.Context(), app, args[0], args[1], o)
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
	fl.IntVar(&o.first, "first", 0, "the number of a movie's first frame, e.g. 1001 (sequences carry their own numbers)")
	fl.Float64Var(&o.threshold, "threshold", 50, "a frame changed when its PSNR-Y is under this many dB")
	fl.StringVar(&o.heatmap, "heatmap", "", "write a PNG heat map of the most changed frame's differences")
	fl.StringVar(&o.display, "display", "rec709", "display transform for scene-linear EXR sequences: rec709 or srgb (as render run)")
	fl.StringVar(&o.lut, "lut", "", "a .cube 3D LUT applied to sequences after the display transform (as render run)")
	fl.IntVar(&o.threads, "threads", 0, "frames scored at once (0 = one per core)")
	fl.BoolVar(&asJSON, "json", false, "print the result as JSON")
	fl.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

// compareDecode is both movies' decode: one format, so any two review
// codecs compare.
var compareDecode = encode.DecodeOptions{PixFmt: "yuv444p10le", Threads: 1}

// compareOpts are what compare takes besides A and B.
type compareOpts struct {
	first        int
	threshold    float64
	heatmap      string
	display, lut string
	threads      int
	quiet        bool
}

// compareSide is one side of a comparison: a movie (its frames numbered
// from --first) or an image sequence (its own numbers).
type compareSide struct {
	arg     string
	movie   bool
	first   int
	numbers []int          // every frame's number, in order
	files   map[int]string // a sequence's frame files by number
}

// isSequenceArg tells a sequence (a pattern, a local directory, an s3://
// prefix ending in /) from a movie.
func isSequenceArg(arg string) bool {
	if strings.ContainsAny(arg[strings.LastIndexByte(arg, '/')+1:], "#@%") || strings.HasSuffix(arg, "/") {
		return true
	}
	if strings.Contains(arg, "://") {
		return false
	}
	st, err := os.Stat(arg)
	return err == nil && st.IsDir()
}

func (app *App) openCompareSide(ctx context.Context, arg string, first int) (*compareSide, error) {
	st, err := app.storage()
	if err != nil {
		return nil, err
	}
	side := &compareSide{arg: arg, first: first}
	if !isSequenceArg(arg) {
		src, err := app.openSource(ctx, arg)
		if err != nil {
			return nil, err
		}
		defer src.Close()
		info, err := encode.Probe(ctx, encode.ReaderInput(src.Name, src.R, src.Size), encode.ProbeOptions{})
		if err != nil {
			return nil, err
		}
		side.movie = true
		for i := int64(0); i < info.FrameCount; i++ {
			side.numbers = append(side.numbers, first+int(i))
		}
		return side, nil
	}
	lister := workflows.StorageLister{Storage: st}
	var found seq.Found
	if strings.ContainsAny(arg[strings.LastIndexByte(arg, '/')+1:], "#@%") {
		p, err := seq.ParsePattern(arg)
		if err != nil {
			return nil, err
		}
		if found, err = seq.Find(ctx, lister, p); err != nil {
			return nil, err
		}
	} else if found, err = seq.Detect(ctx, lister, strings.TrimSuffix(arg, "/")); err != nil {
		return nil, err
	}
	side.numbers = found.Numbers
	side.files = map[int]string{}
	for _, n := range found.Numbers {
		side.files[n] = found.Pattern.Path(n)
	}
	return side, nil
}

// reader delivers the side's frames whose numbers are in keep (sorted), in
// yuv444p10le.
func (app *App) compareReader(ctx context.Context, side *compareSide, keep []int, o compareOpts) (media.FrameReader, func(), error) {
	st, err := app.storage()
	if err != nil {
		return nil, nil, err
	}
	if !side.movie {
		frames := make([]encode.RenderFrame, len(keep))
		for i, n := range keep {
			frames[i] = encode.RenderFrame{Number: n, File: side.files[n]}
		}
		r, err := encode.OpenSequence(ctx, storageFiles{st}, frames, encode.RenderOptions{Display: o.display, LUT: o.lut, Threads: 1}, compareDecode.PixFmt)
		if err != nil {
			return nil, nil, err
		}
		return r, func() { r.Close() }, nil
	}
	src, err := app.openSource(ctx, side.arg)
	if err != nil {
		return nil, nil, err
	}
	opts := compareDecode
	if len(keep) > 0 {
		opts.Start, opts.End = int64(keep[0]-side.first), int64(keep[len(keep)-1]-side.first)+1
	}
	r, err := encode.OpenFrames(ctx, encode.ReaderInput(src.Name, src.R, src.Size), opts)
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	want := map[int64]bool{}
	for _, n := range keep {
		want[int64(n-side.first)] = true
	}
	return &pickFrames{r: r, want: want}, func() { r.Close(); src.Close() }, nil
}

// pickFrames passes on the frames whose Index is wanted.
type pickFrames struct {
	r    media.FrameReader
	want map[int64]bool
}

func (p *pickFrames) ReadFrame(ctx context.Context) (*media.Frame, error) {
	for {
		f, err := p.r.ReadFrame(ctx)
		if err != nil || p.want[f.Index] {
			return f, err
		}
	}
}

// matchFrames splits two sides' frame numbers into those both have and
// those only one has.
func matchFrames(a, b []int) (both, onlyA, onlyB []int) {
	inB := map[int]bool{}
	for _, n := range b {
		inB[n] = true
	}
	inA := map[int]bool{}
	for _, n := range a {
		inA[n] = true
		if inB[n] {
			both = append(both, n)
		} else {
			onlyA = append(onlyA, n)
		}
	}
	for _, n := range b {
		if !inA[n] {
			onlyB = append(onlyB, n)
		}
	}
	return both, onlyA, onlyB
}

func runRenderCompare(ctx context.Context, app *App, a, b string, o compareOpts) (*compareReport, error) {
	sa, err := app.openCompareSide(ctx, a, o.first)
	if err != nil {
		return nil, err
	}
	sb, err := app.openCompareSide(ctx, b, o.first)
	if err != nil {
		return nil, err
	}
	both, onlyA, onlyB := matchFrames(sa.numbers, sb.numbers)
	if len(both) == 0 {
		return nil, fmt.Errorf("render compare %s %s: no frame number in common (A %s, B %s)", a, b, seq.Compact(sa.numbers, 1), seq.Compact(sb.numbers, 1))
	}
	ra, closeA, err := app.compareReader(ctx, sa, both, o)
	if err != nil {
		return nil, err
	}
	defer closeA()
	rb, closeB, err := app.compareReader(ctx, sb, both, o)
	if err != nil {
		return nil, err
	}
	defer closeB()
	prog := newProgress(app.Stderr, "compare", int64(len(both)), "frames", o.quiet)
	var done int64
	res, err := vmaf.Score(ctx, ra, rb, vmaf.Options{Features: []string{"psnr", "ssim"}, NoPrediction: true, Threads: o.threads,
		OnFrame: func(vmaf.FrameScore) { done++; prog.Set(done, "") }})
	if err != nil {
		return nil, fmt.Errorf("render compare %s %s: %w", a, b, err)
	}
	prog.Finish()
	if len(res.Frames) != len(both) {
		return nil, fmt.Errorf("render compare %s %s: %d frames scored of the %d in common (a movie shorter than it said?)", a, b, len(res.Frames), len(both))
	}
	rep := &compareReport{A: a, B: b, Frames: len(res.Frames), Threshold: o.threshold, OnlyA: onlyA, OnlyB: onlyB}
	var changed []int
	for k, fs := range res.Frames {
		c := compareFrame{Frame: both[k], PSNRY: fs.Metrics["psnr_y"], SSIM: fs.Metrics["float_ssim"]}
		if c.PSNRY < o.threshold {
			rep.Changed = append(rep.Changed, c)
			changed = append(changed, c.Frame)
			if rep.Worst == nil || c.PSNRY < rep.Worst.PSNRY {
				w := c
				rep.Worst = &w
			}
		}
	}
	var extra string
	if len(onlyA) > 0 {
		extra += fmt.Sprintf("; only in A: %s", seq.Compact(onlyA, 1))
	}
	if len(onlyB) > 0 {
		extra += fmt.Sprintf("; only in B: %s", seq.Compact(onlyB, 1))
	}
	if rep.Worst == nil {
		rep.Summary = fmt.Sprintf("no frame changed (%d frames, PSNR-Y ≥ %g dB everywhere)%s", rep.Frames, o.threshold, extra)
		return rep, nil
	}
	rep.Summary = fmt.Sprintf("frames %s changed (%d of %d; most: %d, PSNR-Y %.2f dB, SSIM %.4f); elsewhere identical%s",
		seq.Compact(changed, 1), len(changed), rep.Frames, rep.Worst.Frame, rep.Worst.PSNRY, rep.Worst.SSIM, extra)
	if len(changed) == rep.Frames {
		rep.Summary = fmt.Sprintf("every frame changed (%d; most: %d, PSNR-Y %.2f dB, SSIM %.4f)%s", rep.Frames, rep.Worst.Frame, rep.Worst.PSNRY, rep.Worst.SSIM, extra)
	}
	if o.heatmap != "" {
		one := []int{rep.Worst.Frame}
		fa, closeFA, err := app.compareReader(ctx, sa, one, o)
		if err != nil {
			return nil, err
		}
		defer closeFA()
		fb, closeFB, err := app.compareReader(ctx, sb, one, o)
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
		if err := writeAtomic(o.heatmap, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
			return nil, fmt.Errorf("heat map %s: %w", o.heatmap, err)
		}
		rep.Heatmap, rep.PeakDiff = o.heatmap, peak
	}
	return rep, nil
}
