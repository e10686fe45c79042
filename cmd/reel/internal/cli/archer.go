package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/archer"
	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/media"
)

const archerLong = `Computer-vision analyses of a video with OpenCV, run in parallel over chunks
and merged into one report (analysis.json).

Analyzers (--analyzers, comma separated; default: all but faces):
  shots      shot boundaries: hard cuts, fades through black and dissolves,
             each with a confidence; shots with per-shot statistics
  black      black frames and black segments (blackdetect's pix_th 0.10 and
             pic_th 0.98; segments of --min-black seconds or more)
  freeze     frozen segments (freezedetect's -60 dB noise floor; --min-freeze)
  sharpness  variance of the Laplacian per frame, per shot and per clip
  crop       letterbox/pillarbox: the clip's stable crop rectangle
  siti       ITU-T P.910 spatial and temporal information per frame and shot
  thumbs     a representative frame per shot (sharpest, not black); with
             --contact-sheet they are laid out in one JPEG
  faces      faces per shot (Haar cascade from Debian's opencv-data)
  all        every analyzer

Frames are decoded by FFmpeg in process and downscaled once for analysis (to
270 lines); siti and crop read the full-resolution luma, so without them the
decoder scales directly, which is faster. Chunks of at most --chunk-frames
(shorter when that keeps all --threads busy, and planned in whole rounds of
--threads chunks, the last round's halved, so that the workers finish
together) are analysed --threads at a time, each by a single-threaded decoder
when --threads is above 1 (decoding a few frames ahead of the analyzers when
--threads is below the core count). Chunks are cut at keyframes so no frame
is decoded twice, where the keyframes are known cheaply (an MP4/MOV index,
Matroska cues) or the file is local. The report does not depend on any of this.
--fast-decode skips H.264/HEVC deblocking: 15-25% cheaper decoding, but
pixels differ slightly (dissolve centres may move a frame or two, a freeze
may be missed), so it is off by default.

INPUT is a local file or an s3://, http(s):// or file:// URL (read through
mezzfs). --frames a:b analyses frames [a, b) only (either side may be left
out). The report (-o) is written atomically; --json prints it to stdout.`

const archerExample = `  # everything but faces, report and contact sheet
  reel archer run mezz.mov -o analysis.json --contact-sheet sheet.jpg

  # cuts and black/frozen segments of the first minute, as JSON
  reel archer run mezz.mov --analyzers shots,black,freeze --frames 0:1500 --json

  # faces per shot with a custom cascade
  reel archer run interview.mp4 --analyzers shots,faces --cascade ./haarcascade_frontalface_alt2.xml

  # the same analysis as a Temporal workflow (embedded server and worker)
  reel archer run mezz.mov --workflow -o analysis.json --analyzers shots,black

  # on a cluster: its workers read the source and write to the shared store
  reel archer run s3://mezz/film.mov --temporal temporal.prod:7233 --work s3://reel-work/archer -o analysis.json
  reel archer run s3://mezz/film.mov --temporal temporal.prod:7233 --work s3://reel-work/archer --detach`

type archerFlags struct {
	analyzers    []string
	output       string
	contactSheet string
	threads      int
	chunkFrames  int
	frames       string
	minBlack     float64
	minFreeze    float64
	cascade      string
	asJSON       bool
	quiet        bool
	fastDecode   bool
	wf           archerWorkflowFlags
}

func newArcherCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archer",
		Short: "Computer-vision analyses: shots, black, freeze, sharpness, crop, SI/TI, thumbnails, faces",
		Long:  archerLong,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newArcherRunCmd(app))
	return cmd
}

func newArcherRunCmd(app *App) *cobra.Command {
	var fl archerFlags
	cmd := &cobra.Command{
		Use:     "run INPUT",
		Short:   "Analyse a video and write analysis.json",
		Long:    archerLong + "\n\n" + archerWorkflowHelp,
		Example: archerExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef(cmd, "archer run: want one INPUT, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			wf, err := selectArcherPath(cmd)
			if err != nil {
				return err
			}
			if wf {
				return runArcherWorkflow(cmd.Context(), app, cmd, args[0], fl)
			}
			return runArcher(cmd.Context(), app, cmd, args[0], fl)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&fl.analyzers, "analyzers", nil, "analyzers to run: "+strings.Join(archer.AllAnalyzers, ",")+" or all (default: all but faces)")
	f.StringVarP(&fl.output, "output", "o", "", "write the report (JSON) to this file")
	f.StringVar(&fl.contactSheet, "contact-sheet", "", "write a JPEG contact sheet of the shots' thumbnails (adds thumbs)")
	f.IntVar(&fl.threads, "threads", 0, "chunks analysed at once (0 = one per core); results do not depend on it")
	f.IntVar(&fl.chunkFrames, "chunk-frames", 500, "frames per chunk")
	f.StringVar(&fl.frames, "frames", "", "analyse frames [a, b) only, as a:b (a or b may be left out)")
	f.Float64Var(&fl.minBlack, "min-black", 1, "shortest black segment reported, seconds")
	f.Float64Var(&fl.minFreeze, "min-freeze", 1, "shortest frozen segment reported, seconds")
	f.StringVar(&fl.cascade, "cascade", archer.DefaultCascade, "Haar cascade XML for faces")
	f.BoolVar(&fl.asJSON, "json", false, "print the report as JSON on stdout")
	f.BoolVarP(&fl.quiet, "quiet", "q", false, "no progress on stderr")
	f.BoolVar(&fl.fastDecode, "fast-decode", false, "skip the codec's deblocking filter when decoding: 15-25% less decoding CPU for H.264;\npixels differ slightly (sharpness reads higher, a freeze may be missed)")
	addArcherWorkflowFlags(cmd, &fl.wf)
	return cmd
}

// parseArcherFrames parses "a:b" against a clip of n frames.
func parseArcherFrames(s string, n int64) (int64, int64, error) {
	if s == "" {
		return 0, n, nil
	}
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not a:b", s)
	}
	start, end := int64(0), n
	var err error
	if a != "" {
		if start, err = strconv.ParseInt(a, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("%q: start: %v", s, err)
		}
	}
	if b != "" {
		if end, err = strconv.ParseInt(b, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("%q: end: %v", s, err)
		}
	}
	if start < 0 || end > n || start >= end {
		return 0, 0, fmt.Errorf("%q: want 0 <= a < b <= %d (the clip's frame count)", s, n)
	}
	return start, end, nil
}

func runArcher(ctx context.Context, app *App, cmd *cobra.Command, input string, fl archerFlags) error {
	if fl.threads < 0 || fl.chunkFrames < 2 || fl.minBlack < 0 || fl.minFreeze < 0 {
		return usagef(cmd, "archer run: --threads, --chunk-frames, --min-black and --min-freeze must not be negative (chunks of 2 frames at least)")
	}
	names, err := archer.ParseAnalyzers(fl.analyzers)
	if err != nil {
		return usagef(cmd, "archer run: %v", err)
	}
	if fl.contactSheet != "" {
		if names, err = archer.ParseAnalyzers(append(names, archer.Thumbs)); err != nil {
			return err
		}
	}
	cfg := archer.Config{Analyzers: names, Threads: fl.threads, ChunkFrames: fl.chunkFrames,
		BlackMinDuration: fl.minBlack, FreezeMinDuration: fl.minFreeze, Cascade: fl.cascade}
	if cfg.Threads == 0 {
		cfg.Threads = runtime.NumCPU()
	}
	src, err := app.openSource(ctx, input)
	if err != nil {
		return fmt.Errorf("archer: %w", err)
	}
	defer src.Close()
	in := encode.ReaderInput(src.Name, src.R, src.Size)
	// Keyframes let Run cut chunks where decoding can start. The probe
	// lists them when that reads nothing more: from the container's index
	// (MP4/MOV, Matroska cues), or from a file it had to read whole anyway.
	info, err := encode.Probe(ctx, in, encode.ProbeOptions{KeyframesIfCheap: true})
	if err != nil {
		return err
	}
	v := info.Video()
	if v == nil || v.FrameCount == 0 {
		return fmt.Errorf("archer: %s: %w", input, encode.ErrNoVideo)
	}
	// Otherwise finding them reads every packet (MPEG-TS): worth it for a
	// local file in a long-GOP codec, not for an intra-only one (any frame
	// is a start) or a remote object (the analysis would fetch it twice).
	keyframes := info.Keyframes
	if keyframes == nil && isLocal(input) && !v.IntraOnly {
		ki, err := encode.Probe(ctx, in, encode.ProbeOptions{Keyframes: true})
		if err != nil {
			return err
		}
		keyframes = ki.Keyframes
	}
	start, end, err := parseArcherFrames(fl.frames, v.FrameCount)
	if err != nil {
		return usagef(cmd, "archer run: --frames %v", err)
	}

	r, err := archer.New(cfg)
	if err != nil {
		return err
	}
	defer r.Close()
	// The chunk workers spend their time in long cgo calls (decoding). With
	// every P inside one, Go's sysmon retakes the Ps on each of its 20 µs
	// ticks instead of backing off, and its wake-ups preempt the decoders.
	// One P more than the workers lets it rest: 9% faster on the 5-minute
	// 1080p benchmark mezzanine with 2 workers on 2 cores.
	if runtime.GOMAXPROCS(0) <= cfg.Threads {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.Threads + 1))
	}
	// Without siti and crop the decoder scales straight to the analysis size.
	var w, h int
	if !cfg.NeedsFullResolution() {
		w, h = cfg.AnalysisSize(v.Width, v.Height)
	}
	// Chunks decode in parallel, each on its own share of the cores.
	decThreads := 0
	if end-start >= 2*int64(cfg.Threads) {
		decThreads = archer.DecoderThreads(cfg.Threads)
	}
	open := func(w, h int) archer.Source {
		return archer.SourceFunc(func(ctx context.Context, a, b int64) (media.FrameReader, error) {
			return encode.OpenFrames(ctx, in, encode.DecodeOptions{Start: a, End: b, Width: w, Height: h, Scaler: "area", Threads: decThreads, Fast: fl.fastDecode})
		})
	}
	prog := newProgress(app.Stderr, "archer", end-start, "frames", fl.quiet)
	a, err := r.Run(ctx, open(w, h), archer.RunOptions{Start: start, End: end, FPS: v.FPS, Name: src.Name, Keyframes: keyframes,
		Progress: func(done int64) { prog.Set(done, "") }, ThumbSource: open(0, 0)})
	prog.Finish()
	if err != nil {
		return err
	}
	a.Width, a.Height = v.Width, v.Height

	if fl.output != "" {
		if err := writeAtomic(fl.output, func(w io.Writer) error { return writeJSON(w, a) }); err != nil {
			return fmt.Errorf("archer: report %s: %w", fl.output, err)
		}
	}
	if fl.contactSheet != "" {
		sheet, err := archer.ContactSheet(a.Thumbnails, 4)
		if err != nil {
			return fmt.Errorf("archer: contact sheet: %w", err)
		}
		if err := writeAtomic(fl.contactSheet, func(w io.Writer) error { _, err := w.Write(sheet); return err }); err != nil {
			return fmt.Errorf("archer: contact sheet %s: %w", fl.contactSheet, err)
		}
	}
	if fl.asJSON {
		return writeJSON(app.Stdout, a)
	}
	printArcherSummary(app.Stdout, a)
	return nil
}

func printArcherSummary(w io.Writer, a *archer.Analysis) {
	fmt.Fprintf(w, "%s: frames %d-%d (%d) at %.3f fps, %dx%d\n", a.Source, a.Start, a.End-1, a.End-a.Start, a.FPS, a.Width, a.Height)
	if len(a.Shots) > 0 {
		fmt.Fprintf(w, "shots      %d\n", len(a.Shots))
		for _, b := range a.Boundaries {
			span := ""
			if b.Kind != archer.KindCut {
				span = fmt.Sprintf(" (frames %d-%d)", b.Start, b.End-1)
			}
			fmt.Fprintf(w, "  %-8s at frame %-6d %8.3f s  confidence %.2f%s\n", b.Kind, b.Frame, b.Time, b.Confidence, span)
		}
	}
	segs := func(name string, ss []archer.Segment) {
		fmt.Fprintf(w, "%-10s %d segments\n", name, len(ss))
		for _, s := range ss {
			fmt.Fprintf(w, "  frames %d-%d  %.3f-%.3f s (%.2f s)\n", s.Start, s.End-1, s.StartTime, s.EndTime, s.Duration)
		}
	}
	for _, n := range a.Analyzers {
		switch n {
		case archer.Black:
			segs("black", a.Black)
		case archer.Freeze:
			segs("freeze", a.Freeze)
		}
	}
	if a.Crop != nil {
		fmt.Fprintf(w, "crop       %dx%d at %d,%d (letterbox %v, pillarbox %v)\n", a.Crop.W, a.Crop.H, a.Crop.X, a.Crop.Y, a.Crop.Letterbox, a.Crop.Pillarbox)
	}
	if a.SITI != nil {
		fmt.Fprintf(w, "siti       SI max %.1f mean %.1f, TI max %.1f mean %.1f\n", a.SITI.SIMax, a.SITI.SIMean, a.SITI.TIMax, a.SITI.TIMean)
	}
	if a.Sharpness != nil {
		fmt.Fprintf(w, "sharpness  min %.1f mean %.1f max %.1f\n", a.Sharpness.Min, a.Sharpness.Mean, a.Sharpness.Max)
	}
	if len(a.Thumbnails) > 0 {
		fmt.Fprintf(w, "thumbnails %d\n", len(a.Thumbnails))
	}
	for _, n := range a.Analyzers {
		if n == archer.Faces {
			fmt.Fprintf(w, "faces      at most %d in a sampled frame\n", a.Faces)
		}
	}
}

// isLocal says whether input names a local file rather than a remote object.
func isLocal(input string) bool {
	return !strings.Contains(input, "://") || strings.HasPrefix(input, "file://")
}
