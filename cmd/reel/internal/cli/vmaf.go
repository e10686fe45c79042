package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/media"
	"github.com/reelmedia/reel/media/y4m"
	"github.com/reelmedia/reel/vmaf"
)

const vmafLong = `Score a distorted video against its reference with VMAF, the way libvmaf 3.2
does, in pure Go.

Inputs can be:
  .y4m            YUV4MPEG2, any 4:2:0/4:2:2/4:4:4/gray layout at 8, 10, 12 or 16 bits
  .yuv or .raw    headerless planar YUV: give --width, --height and --pix-fmt
                  (both raw inputs share them, as with libvmaf's vmaf tool)
  anything else   any file FFmpeg decodes (mp4, mkv, mov, ...)

Frames are matched by index. When the distorted video has another size than the
reference, it is scaled to the reference size with bicubic (through FFmpeg); when
it has another pixel format, it is converted to the reference's. Raw inputs
cannot be scaled.

The default model is vmaf_v0.6.1; --model takes vmaf_v0.6.1neg, vmaf_4k_v0.6.1
or a model JSON path, and may be repeated (the first model's score is "vmaf",
the others are keyed by their names). --feature adds psnr (psnr_y/cb/cr), ssim
(float_ssim) or ms_ssim (float_ms_ssim); with --no-prediction only those are
computed, without the model (much faster when PSNR is all you need).

The report (--output) has per-frame and pooled values in libvmaf's JSON, CSV or
XML layout; --output - writes it to stdout instead of the summary. The summary's
headline is pooled with --pool: mean (default), harmonic_mean, min, max, p1, p5,
p10 (percentiles, linear interpolation) or low1 (mean of the worst 1% of
frames).

The report prints scores as libvmaf does (6 decimals) unless --precision says
otherwise: max (or full) prints every per-frame, pooled and aggregate value
with 17 significant digits, which read back as the very numbers computed, so
two reports can be compared exactly; N from 1 to 17 prints N significant
digits (C's %.Ng); legacy is the default. The names are those of the
--precision option of VMAFx, a libvmaf fork; Netflix's vmaf tool has none.
The printed summary keeps 6 decimals (--json prints its numbers exactly).`

const vmafExample = `  # an encode against its mezzanine
  reel vmaf --reference mezz.mov --distorted rendition_720p.mp4

  # raw 10-bit input, with PSNR and SSIM, libvmaf JSON report
  reel vmaf -r ref.yuv -d dist.yuv --width 1920 --height 1080 --pix-fmt yuv420p10le \
      --feature psnr --feature ssim --output report.json

  # the 4K model, pooled by the worst 1% of frames, as JSON for scripts
  reel vmaf -r ref.y4m -d dist.mkv --model vmaf_4k_v0.6.1 --pool low1 --json

  # PSNR only, without the VMAF model (far faster)
  reel vmaf -r ref.y4m -d dist.mkv --feature psnr --no-prediction

  # every score with 17 significant digits, to compare two reports exactly
  reel vmaf -r ref.y4m -d dist.mkv --precision max --output report.json`

type vmafFlags struct {
	reference, distorted string
	width, height        int
	pixFmt               string
	models               []string
	features             []string
	threads              int
	subsample            int
	output               string
	format               string
	precision            string
	digits               int // from precision: 0 = libvmaf's rounding
	pool                 string
	allowLengthMismatch  bool
	transform            bool
	noClip               bool
	motionV30            bool
	noPrediction         bool
	asJSON               bool
	quiet                bool
}

func newVMAFCmd(app *App) *cobra.Command {
	var fl vmafFlags
	cmd := &cobra.Command{
		Use:     "vmaf --reference REF --distorted DIST",
		Short:   "Score a distorted video against its reference (VMAF, PSNR, SSIM, MS-SSIM)",
		Long:    vmafLong,
		Example: vmafExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := fl.check(cmd); err != nil {
				return err
			}
			return runVMAF(cmd.Context(), app, cmd, fl)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&fl.reference, "reference", "r", "", "reference video (.y4m, .yuv, or any file FFmpeg decodes)")
	f.StringVarP(&fl.distorted, "distorted", "d", "", "distorted video, scored against the reference")
	f.IntVar(&fl.width, "width", 0, "width of raw .yuv inputs")
	f.IntVar(&fl.height, "height", 0, "height of raw .yuv inputs")
	f.StringVar(&fl.pixFmt, "pix-fmt", "yuv420p", "pixel format of raw .yuv inputs: yuv420p, yuv422p, yuv444p or gray, with 10le, 12le or 16le for deeper samples")
	f.StringArrayVar(&fl.models, "model", nil, "model: vmaf_v0.6.1 (default), vmaf_v0.6.1neg, vmaf_4k_v0.6.1 or a model JSON path (repeatable)")
	f.StringArrayVar(&fl.features, "feature", nil, "extra metric: psnr, ssim or ms_ssim (repeatable)")
	f.IntVar(&fl.threads, "threads", 0, "frames scored at once (0 = one per core; each decoded input gets half as many decoder threads, 1 to 8); results do not depend on it")
	f.IntVar(&fl.subsample, "subsample", 1, "score every Nth frame only")
	f.StringVarP(&fl.output, "output", "o", "", "write the per-frame report to this file ('-' = stdout)")
	f.StringVar(&fl.format, "format", "", "report format: json, csv or xml (default: from the --output extension, else json)")
	f.StringVar(&fl.precision, "precision", "legacy", "report numbers: legacy (libvmaf's 6 decimals), max or full (17 significant digits, exact), or N significant digits (1 to 17)")
	f.StringVar(&fl.pool, "pool", vmaf.PoolMean, "pooling of the summary's headline: "+strings.Join(vmaf.PoolMethods, ", "))
	f.BoolVar(&fl.allowLengthMismatch, "allow-length-mismatch", false, "score up to the end of the shorter input instead of failing")
	f.BoolVar(&fl.transform, "model-transform", false, "apply the model's score transform (vmaf_v0.6.1's 'phone' mapping)")
	f.BoolVar(&fl.noClip, "no-clip", false, "do not clip model scores to [0, 100]")
	f.BoolVar(&fl.motionV30, "motion-v3.0", false, "compute motion as libvmaf 3.0.0 did (what most FFmpeg builds ship)")
	f.BoolVar(&fl.noPrediction, "no-prediction", false, "compute only the --feature metrics, no VMAF model (libvmaf's --no_prediction; far faster for PSNR alone)")
	f.BoolVar(&fl.asJSON, "json", false, "print the summary as JSON")
	f.BoolVarP(&fl.quiet, "quiet", "q", false, "no progress on stderr")
	return cmd
}

// check validates the flags that need no input opened.
func (fl *vmafFlags) check(cmd *cobra.Command) error {
	if fl.reference == "" || fl.distorted == "" {
		return usagef(cmd, "vmaf: --reference and --distorted are both required")
	}
	for i, f := range fl.features {
		switch f {
		case "float_ssim":
			fl.features[i] = vmaf.FeatureSSIM
		case "float_ms_ssim":
			fl.features[i] = vmaf.FeatureMSSSIM
		case vmaf.FeaturePSNR, vmaf.FeatureSSIM, vmaf.FeatureMSSSIM:
		default:
			return usagef(cmd, "vmaf: --feature %q (want psnr, ssim or ms_ssim)", f)
		}
	}
	if fl.noPrediction && len(fl.features) == 0 {
		return usagef(cmd, "vmaf: --no-prediction needs a --feature to compute")
	}
	if fl.noPrediction && (len(fl.models) > 0 || fl.transform || fl.noClip || fl.motionV30) {
		return usagef(cmd, "vmaf: --no-prediction computes no model: --model, --model-transform, --no-clip and --motion-v3.0 do not apply")
	}
	if _, err := (vmaf.Pooled{}).Get(fl.pool); err != nil {
		return usagef(cmd, "vmaf: --pool %q (want one of %s)", fl.pool, strings.Join(vmaf.PoolMethods, ", "))
	}
	digits, err := parsePrecision(fl.precision)
	if err != nil {
		return usagef(cmd, "vmaf: --precision %q (want legacy, max, full or 1 to %d)", fl.precision, vmaf.DigitsMax)
	}
	fl.digits = digits
	if fl.subsample < 1 {
		return usagef(cmd, "vmaf: --subsample %d (want 1 or more)", fl.subsample)
	}
	if fl.threads < 0 {
		return usagef(cmd, "vmaf: --threads %d (want 0 or more)", fl.threads)
	}
	if fl.format == "" {
		switch strings.ToLower(filepath.Ext(fl.output)) {
		case ".csv":
			fl.format = "csv"
		case ".xml":
			fl.format = "xml"
		default:
			fl.format = "json"
		}
	}
	switch fl.format {
	case "json", "csv", "xml":
	default:
		return usagef(cmd, "vmaf: --format %q (want json, csv or xml)", fl.format)
	}
	if fl.output == "-" && fl.asJSON {
		return usagef(cmd, "vmaf: --output - and --json both write to stdout; choose one")
	}
	if isRaw(fl.reference) || isRaw(fl.distorted) {
		if fl.width <= 0 || fl.height <= 0 {
			return usagef(cmd, "vmaf: raw .yuv input needs --width and --height")
		}
		if _, err := parsePixFmt(fl.pixFmt); err != nil {
			return usagef(cmd, "vmaf: --pix-fmt: %v", err)
		}
	}
	return nil
}

// parsePrecision maps --precision to vmaf.ReportOptions.Digits.
func parsePrecision(s string) (int, error) {
	switch s {
	case "legacy":
		return 0, nil
	case "max", "full":
		return vmaf.DigitsMax, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > vmaf.DigitsMax {
		return 0, fmt.Errorf("precision %q out of range", s)
	}
	return n, nil
}

func isRaw(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yuv", ".raw":
		return true
	}
	return false
}

func isY4M(path string) bool { return strings.EqualFold(filepath.Ext(path), ".y4m") }

// parsePixFmt maps an FFmpeg planar YUV pixel format name to media.Format.
func parsePixFmt(name string) (media.Format, error) {
	base, depth := name, 8
	for _, d := range []int{10, 12, 16} {
		if s := fmt.Sprintf("%dle", d); strings.HasSuffix(name, s) {
			base, depth = strings.TrimSuffix(name, s), d
		}
	}
	var c media.Chroma
	switch base {
	case "yuv420p":
		c = media.Chroma420
	case "yuv422p":
		c = media.Chroma422
	case "yuv444p":
		c = media.Chroma444
	case "gray":
		c = media.Chroma400
	default:
		return media.Format{}, fmt.Errorf("%q is not a planar YUV format reel reads raw (yuv420p, yuv422p, yuv444p, gray, optionally with 10le, 12le or 16le)", name)
	}
	return media.Format{Chroma: c, BitDepth: depth}, nil
}

// vmafInput is an opened input: its frames, its geometry, and how it was
// opened (for the summary).
type vmafInput struct {
	path   string
	r      media.FrameReader
	close  func() error
	width  int
	height int
	format media.Format
	frames int64  // 0 when unknown
	note   string // e.g. "scaled from 1280x720 with bicubic"
	first  *media.Frame
}

// ReadFrame returns a frame read ahead by peek first, then the rest.
func (in *vmafInput) ReadFrame(ctx context.Context) (*media.Frame, error) {
	if f := in.first; f != nil {
		in.first = nil
		return f, nil
	}
	return in.r.ReadFrame(ctx)
}

// peek reads the first frame to learn the real size and format. The frame
// stays valid because nothing else reads from in until ReadFrame returns it.
func (in *vmafInput) peek(ctx context.Context) error {
	f, err := in.r.ReadFrame(ctx)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: no frames", in.path)
	}
	if err != nil {
		return err
	}
	in.first = f
	in.width, in.height, in.format = f.Width, f.Height, f.Format
	return nil
}

// openRaw opens a raw .yuv file with the flags' geometry.
func openRaw(path string, fl vmafFlags) (*vmafInput, error) {
	format, err := parsePixFmt(fl.pixFmt)
	if err != nil {
		return nil, err
	}
	r, err := y4m.OpenRaw(path, y4m.RawConfig{Width: fl.width, Height: fl.height, Format: format})
	if err != nil {
		return nil, err
	}
	in := &vmafInput{path: path, r: r, close: r.Close, width: fl.width, height: fl.height, format: format}
	if st, err := os.Stat(path); err == nil && r.FrameSize() > 0 {
		in.frames = st.Size() / int64(r.FrameSize())
	}
	return in, nil
}

// openY4M opens a .y4m file.
func openY4M(path string) (*vmafInput, error) {
	r, err := y4m.Open(path)
	if err != nil {
		return nil, err
	}
	h := r.Header()
	in := &vmafInput{path: path, r: r, close: r.Close, width: h.Width, height: h.Height, format: h.Format}
	if st, err := os.Stat(path); err == nil {
		// Exact when FRAME lines carry no parameters, as FFmpeg writes them.
		in.frames = (st.Size() - int64(len(h.String())+1)) / int64(h.FrameSize()+len("FRAME\n"))
	}
	return in, nil
}

// decodeThreads is the thread count of each of the two decoders: together
// about as many as the scorer has (half each, 1 to 8). libavcodec's
// default, one frame thread per core and one more, keeps a set of frames
// per thread in each decoder: at 1080p on 2 cores that was 46 MiB more
// peak memory than one thread each, for the same CPU time.
func decodeThreads(scorerThreads int) int {
	if scorerThreads <= 0 {
		scorerThreads = runtime.GOMAXPROCS(0)
	}
	return min(max(scorerThreads/2, 1), 8)
}

// openDecoded opens any file FFmpeg reads, scaled to w×h (0 = source size)
// and converted to pixFmt ("" = source format when reel can take it),
// decoded with threads threads.
func openDecoded(ctx context.Context, path string, w, h int, pixFmt string, threads int) (*vmafInput, error) {
	r, err := encode.OpenFrames(ctx, encode.FileInput(path), encode.DecodeOptions{Width: w, Height: h, Scaler: "bicubic", PixFmt: pixFmt, Threads: threads})
	if err != nil {
		return nil, err
	}
	in := &vmafInput{path: path, r: r, close: r.Close}
	if v := r.Info().Video(); v != nil {
		in.width, in.height, in.frames = v.Width, v.Height, v.FrameCount
	}
	return in, nil
}

func openReference(ctx context.Context, fl vmafFlags) (*vmafInput, error) {
	var in *vmafInput
	var err error
	switch {
	case isRaw(fl.reference):
		in, err = openRaw(fl.reference, fl)
	case isY4M(fl.reference):
		in, err = openY4M(fl.reference)
	default:
		in, err = openDecoded(ctx, fl.reference, 0, 0, "", decodeThreads(fl.threads))
	}
	if err != nil {
		return nil, err
	}
	if err := in.peek(ctx); err != nil {
		in.close()
		return nil, fmt.Errorf("reference %w", err)
	}
	return in, nil
}

// openDistorted opens the distorted input so that its frames have the
// reference's size and format: as it is when they already match, else
// through FFmpeg, scaled with bicubic and converted.
func openDistorted(ctx context.Context, fl vmafFlags, ref *vmafInput) (*vmafInput, error) {
	path := fl.distorted
	if isRaw(path) {
		in, err := openRaw(path, fl)
		if err != nil {
			return nil, err
		}
		if in.width != ref.width || in.height != ref.height || in.format != ref.format {
			in.close()
			return nil, fmt.Errorf("distorted %s is raw %dx%d %v but the reference is %dx%d %v; raw input cannot be scaled or converted (make a .y4m or another container of it)",
				path, in.width, in.height, in.format, ref.width, ref.height, ref.format)
		}
		return in, nil
	}
	if isY4M(path) {
		in, err := openY4M(path)
		if err != nil {
			return nil, err
		}
		if in.width == ref.width && in.height == ref.height && in.format == ref.format {
			return in, nil
		}
		in.close() // FFmpeg reads .y4m too, and can scale and convert it
	}
	in, err := openDecoded(ctx, path, 0, 0, ref.format.String(), decodeThreads(fl.threads))
	if err != nil {
		return nil, err
	}
	if in.width == ref.width && in.height == ref.height {
		return in, nil
	}
	sw, sh, frames := in.width, in.height, in.frames
	in.close()
	if ref.width%2 == 1 || ref.height%2 == 1 {
		return nil, fmt.Errorf("distorted %s is %dx%d and would need scaling to the reference's %dx%d, but scaling gives even sizes only; scale it yourself first", path, sw, sh, ref.width, ref.height)
	}
	in, err = openDecoded(ctx, path, ref.width, ref.height, ref.format.String(), decodeThreads(fl.threads))
	if err != nil {
		return nil, err
	}
	in.width, in.height, in.frames = ref.width, ref.height, frames
	in.note = fmt.Sprintf("scaled from %dx%d with bicubic", sw, sh)
	return in, nil
}

func runVMAF(ctx context.Context, app *App, cmd *cobra.Command, fl vmafFlags) error {
	ref, err := openReference(ctx, fl)
	if err != nil {
		return fmt.Errorf("vmaf: %w", err)
	}
	defer ref.close()
	dist, err := openDistorted(ctx, fl, ref)
	if err != nil {
		return fmt.Errorf("vmaf: %w", err)
	}
	defer dist.close()

	total := ref.frames
	if total == 0 && !fl.quiet {
		// Only for the progress bar: the decoder does not count frames, Probe does.
		if info, err := encode.Probe(ctx, encode.FileInput(ref.path), encode.ProbeOptions{}); err == nil && info.Video() != nil {
			total = info.Video().FrameCount
		}
	}
	if dist.frames > 0 && (total == 0 || dist.frames < total) && fl.allowLengthMismatch {
		total = dist.frames
	}
	if total > 0 {
		total = (total + int64(fl.subsample) - 1) / int64(fl.subsample)
	}
	prog := newProgress(app.Stderr, "vmaf", total, "frames", fl.quiet)
	var done int64
	opts := vmaf.Options{
		Models:              fl.models,
		ModelOptions:        vmaf.ModelOptions{EnableTransform: fl.transform, DisableClip: fl.noClip},
		Features:            fl.features,
		Threads:             fl.threads,
		Subsample:           fl.subsample,
		MotionV3_0:          fl.motionV30,
		NoPrediction:        fl.noPrediction,
		AllowLengthMismatch: fl.allowLengthMismatch,
		OnFrame: func(fs vmaf.FrameScore) {
			done++
			extra := ""
			if v, ok := fs.Metrics[vmaf.KeyVMAF]; ok {
				extra = fmt.Sprintf("vmaf %.2f", v)
			}
			prog.Set(done, extra)
		},
	}
	start := time.Now()
	res, err := vmaf.Score(ctx, ref, dist, opts)
	if err != nil {
		return err
	}
	prog.Finish()
	res.PoolAll()
	res.Width, res.Height = ref.width, ref.height
	if el := time.Since(start).Seconds(); el > 0 {
		res.FPS = float64(done) / el
	}

	if fl.output != "" {
		if err := writeReport(app.Stdout, fl.output, fl.format, vmaf.ReportOptions{Digits: fl.digits}, res); err != nil {
			return err
		}
		if fl.output == "-" {
			return nil
		}
	}
	sum, err := summarize(fl, ref, dist, res)
	if err != nil {
		return err
	}
	if fl.asJSON {
		return writeJSON(app.Stdout, sum)
	}
	sum.print(app.Stdout)
	return nil
}

// writeReport writes the report to path ("-" = stdout) atomically: into a
// temporary file beside it, renamed over it only once complete.
func writeReport(stdout io.Writer, path, format string, opts vmaf.ReportOptions, res *vmaf.Result) error {
	write := func(w io.Writer) error {
		switch format {
		case "csv":
			return vmaf.WriteCSVWith(w, res, opts)
		case "xml":
			return vmaf.WriteXMLWith(w, res, opts)
		}
		return vmaf.WriteJSONWith(w, res, opts)
	}
	if path == "-" {
		return write(stdout)
	}
	if err := writeAtomic(path, write); err != nil {
		return fmt.Errorf("vmaf: report %s: %w", path, err)
	}
	return nil
}

// vmafSummary is what `reel vmaf` prints: the inputs, the headline score and
// the pooled values of the model scores and extra metrics.
type vmafSummary struct {
	Reference string              `json:"reference"`
	Distorted string              `json:"distorted"`
	Width     int                 `json:"width"`
	Height    int                 `json:"height"`
	PixFmt    string              `json:"pix_fmt"`
	Note      string              `json:"note,omitempty"`
	Frames    int                 `json:"frames"`
	Pool      string              `json:"pool"`
	Score     *float64            `json:"score,omitempty"` // pooled VMAF; absent with --no-prediction
	Metrics   []vmafSummaryMetric `json:"metrics"`
	Aggregate map[string]float64  `json:"aggregate_metrics,omitempty"`
	FPS       float64             `json:"fps"`
}

type vmafSummaryMetric struct {
	Name   string      `json:"name"`
	Pooled vmaf.Pooled `json:"pooled"`
}

// summaryMetric says whether a metric belongs in the summary: model scores
// and the extra metrics, not the model features (they are in the report).
func summaryMetric(name string, models []string) bool {
	if name == vmaf.KeyVMAF || strings.HasPrefix(name, "psnr_") || name == "float_ssim" || name == "float_ms_ssim" {
		return true
	}
	for _, m := range models {
		if name == m || name == strings.TrimSuffix(filepath.Base(m), ".json") {
			return true
		}
	}
	return false
}

func summarize(fl vmafFlags, ref, dist *vmafInput, res *vmaf.Result) (*vmafSummary, error) {
	s := &vmafSummary{
		Reference: ref.path, Distorted: dist.path, Width: ref.width, Height: ref.height,
		PixFmt: ref.format.String(), Note: dist.note, Frames: len(res.Frames), Pool: fl.pool, FPS: res.FPS,
		Aggregate: res.Aggregate,
	}
	for _, name := range res.MetricNames() {
		if summaryMetric(name, fl.models) {
			s.Metrics = append(s.Metrics, vmafSummaryMetric{Name: name, Pooled: res.Pooled[name]})
		}
	}
	headline, ok := res.Pooled[vmaf.KeyVMAF]
	if fl.noPrediction {
		return s, nil
	}
	if !ok {
		return nil, fmt.Errorf("vmaf: the result has no %q score", vmaf.KeyVMAF)
	}
	v, err := headline.Get(fl.pool)
	if err != nil {
		return nil, err
	}
	s.Score = &v
	return s, nil
}

func (s *vmafSummary) print(w io.Writer) {
	fmt.Fprintf(w, "reference  %s (%dx%d %s)\n", s.Reference, s.Width, s.Height, s.PixFmt)
	fmt.Fprintf(w, "distorted  %s", s.Distorted)
	if s.Note != "" {
		fmt.Fprintf(w, " (%s)", s.Note)
	}
	fmt.Fprintf(w, "\nframes     %d scored, %.1f fps\n", s.Frames, s.FPS)
	if s.Score != nil {
		fmt.Fprintf(w, "VMAF       %.6f (%s)\n\n", *s.Score, s.Pool)
	} else {
		fmt.Fprintf(w, "VMAF       not computed (--no-prediction)\n\n")
	}
	fmt.Fprintf(w, "%-16s %12s %12s %12s %12s %12s %12s\n", "metric", "mean", "harmonic", "min", "max", "p5", "1% low")
	for _, m := range s.Metrics {
		p := m.Pooled
		fmt.Fprintf(w, "%-16s %12.6f %12.6f %12.6f %12.6f %12.6f %12.6f\n", m.Name, p.Mean, p.HarmonicMean, p.Min, p.Max, p.P5, p.Low1)
	}
}
