package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/seq"
	"github.com/reelmedia/reel/workflows"
)

// renderFont is the font of slates and burn-ins: DejaVu Sans Mono from
// Debian's fonts-dejavu-core, which scripts/deps.sh installs, so a review
// looks the same on every machine (no font looked up by chance).
const renderFont = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

const renderLong = `Turn an image sequence (a render: EXR, DPX, TIFF or PNG frames) into a review
movie, in this process.

PATTERN names the frames: sh010_comp_v003.####.exr, .@@@@.exr or .%04d.exr
(one # or @ per digit; %d is unpadded), or a directory holding one sequence,
which is found with its frame range (several sequences there: the error lists
them). A local path or an s3:// (file://) prefix: frames are read through
mezzfs like any reel source. The output is a .mov (ProRes, DNxHR) or
.mp4/.mov (H.264), written to a temporary name and renamed: a failed render
leaves no movie. -o s3://bucket/key.mov (or file://) renders to a local
temporary directory, then stores the movie through mezzfs in one atomic put:
nothing appears at the key unless the render succeeded.

Frames: every frame found, or --frames FIRST-LAST[xSTEP] (1001-1240x2). A frame
missing inside the range is an error naming every missing frame
(--on-missing error, the default); black puts a black frame in its place, hold
repeats the frame before. The movie is never silently shorter than the range.
Frames of another size or pixel format than the first fail the render, naming
the first odd frame; an unreadable, empty or truncated frame fails it naming
the file.

Colour: scene-linear float frames (EXR) go through a display transform,
--display rec709 (the default: the inverse of the BT.1886 display EOTF, a pure
1/2.4 power, tagged bt709) or srgb (the IEC 61966-2-1 inverse EOTF, tagged
iec61966-2-1). BT.709 primaries are assumed and kept; there is no tone mapping,
values over 1.0 clip. Integer frames (DPX, TIFF, PNG) are taken as already
display-referred and only tagged. --lut FILE.cube applies a 3D LUT after the
display transform (a show look). --ocio CONFIG.ocio --ocio-view DISPLAY/VIEW
uses an OpenColorIO v2 view instead of the display transform: it is baked
once per render with ociobakelut (Debian's opencolorio-tools, OCIO 2.1) into
a 65-point cube behind a log2 shaper covering scene-linear 0 to 64, which
takes the frames as they are (--ocio-input names their colour space; the
default is the config's scene_linear role). --display then only tags the
movie: give the one the view is for (srgb for an sRGB display). --ocio does
not combine with --lut. The picture is then converted to BT.709 Y'CbCr,
limited range, and tagged so (primaries, transfer, matrix, range), in each
ProRes frame header as well as in the container. 10/12-bit DPX and 16-bit TIFF keep 10 bits
into ProRes 422 HQ (--codec prores, the default) and ProRes 4444; H.264 is
8-bit 4:2:0 with a keyframe every half second for scrubbing; DNxHR HQ is
8-bit 4:2:2.

Size: --size WxH scales (one side 0 keeps the aspect ratio). When WxH has
another aspect than the frames, --fit letterbox (the default) scales them to
fit and adds black bars, crop scales them to fill and keeps the centre,
stretch distorts them. --mask 2.39[:OPACITY] draws bars over the picture so
that what stays clear has the target aspect (opacity 1, the default, is
black; 0.5 darkens half way); bars run top and bottom for a wider target,
left and right for a narrower one.

Slate and burn-ins: --slate adds a first frame (black, with shot, version,
artist, date, frame range and notes, under a thumbnail of the middle frame,
or of --slate-frame N, through the same display transform and LUT).
--burnin TEMPLATE draws text on every frame: POSITION=TEXT items separated by
';', positions top-left, top, top-right, bottom-left, bottom, bottom-right,
fields {shot} {version}
{artist} {date} {frame} (in the sequence's numbering and padding) {tc} (SMPTE
timecode of the frame number at --fps; --drop-frame at 29.97/59.94) {text}
{first} {last} {fps}; {{ and }} are literal braces. --burnin default is
"` + seq.DefaultTemplate + `".
Burn-ins are placed and sized relative to the picture: inside letterbox
bars, and on top of mask bars (so they sit in the mask, readable).

Audio: --audio FILE (a local path or s3://; WAV, AAC, anything FFmpeg reads)
is muxed in sync: its first sample plays with the first picture (after the
slate, which gets silence), and it is trimmed or padded with silence to the
pictures' length. 48 kHz; PCM s24le in .mov with ProRes/DNxHR, AAC with
H.264 (AAC may run up to one 21 ms frame past the last picture).

QC runs on every frame read: NaN or infinite pixels (float frames), black
frames, frozen frames (pixels equal to the frame before, not a held one). They
are listed by frame number in the summary and the JSON; --qc-strict fails the
render, writing no movie, when QC finds anything.`

const renderExample = `  reel render run /renders/sh010/sh010_comp_v003.####.exr -o sh010_v003.mov
  reel render run /renders/sh010/ -o review.mov --shot sh010 --version v003 --artist ana --slate --burnin default
  reel render run 's3://renders/sh010/sh010.%04d.exr' -o review.mp4 --codec h264 --display srgb
  reel render run shot.@@@@.dpx -o shot.mov --frames 1001-1100x2 --on-missing hold --json
  reel render run comp.####.exr -o comp.mov --lut show.cube --burnin 'top-left={shot} {version};bottom-right={frame};bottom-left={tc}'
  reel render run comp.####.exr -o comp.mov --ocio /show/config.ocio --ocio-view 'sRGB/Film' --display srgb
  reel render run plate.####.exr -o plate.mov --ocio /show/config.ocio --ocio-view 'Rec.1886/Film' --ocio-input ACEScg
  reel render run sh010.####.exr -o review.mov --size 1920x1080 --fit letterbox --mask 2.39:0.7 --burnin default
  reel render run sh010.####.exr -o s3://dailies/sh010/sh010_v003.mov --slate --slate-frame 1050 --audio s3://sound/sh010_mix.wav`

func newRenderCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Image sequences (renders) to review movies with slate, burn-ins and QC",
		Long: `Commands for artists' image sequences (renders): 'reel render run' turns one
into a review movie (ProRes, H.264, DNxHR) through a display transform, with
an optional slate and burn-ins, and checks every frame (NaN, black, frozen);
'reel render compare' tells which frames changed between two versions;
'reel render submit' renders like run as a job on the Temporal workers, in
chunks, and 'reel render watch' submits each new version once complete.
docs/render.md has the details.`,
		Example: renderExample + "\n" + renderCompareExample + "\n" + renderSubmitExample + "\n" + renderWatchExample,
	}
	cmd.AddCommand(newRenderRunCmd(app), newRenderCompareCmd(app), newRenderSubmitCmd(app), newRenderWatchCmd(app))
	return cmd
}

type renderFlags struct {
	out, frames, onMissing, codec, display, lut, fps, size, font string
	shot, version, artist, date, text, notes, burnin             string
	fit, mask, slateFrame, audio                                 string
	ocio, ocioView, ocioInput                                    string
	slate, dropFrame, asJSON, quiet, qcStrict                    bool
	threads                                                      int
}

func newRenderRunCmd(app *App) *cobra.Command {
	var f renderFlags
	cmd := &cobra.Command{
		Use:     "run PATTERN -o review.mov",
		Short:   "Render an image sequence to a review movie in this process",
		Long:    renderLong,
		Example: renderExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef(cmd, "render run takes exactly one PATTERN (or directory), got %d arguments", len(args))
			}
			if f.out == "" {
				return usagef(cmd, "-o review.mov is required")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			encode.SetLogLevel(ffmpegLogLevel(app.Config.LogLevel))
			rep, err := runRender(cmd.Context(), app, args[0], f)
			if err != nil {
				return err
			}
			if f.asJSON {
				if err := writeJSON(app.Stdout, rep); err != nil {
					return err
				}
			} else {
				printRender(app.Stdout, rep)
			}
			return nil
		},
	}
	addRenderFlags(cmd.Flags(), &f)
	return cmd
}

// addRenderFlags adds the flags reel render run and submit share.
func addRenderFlags(fl *pflag.FlagSet, f *renderFlags) {
	fl.StringVarP(&f.out, "output", "o", "", "the review movie (.mov, or .mp4 for h264): a local path, or s3://bucket/key.mov for render run")
	fl.StringVar(&f.frames, "frames", "", "frame range FIRST-LAST or FIRST-LASTxSTEP (default: every frame found)")
	fl.StringVar(&f.onMissing, "on-missing", "error", "a frame missing in the range: error (name them all), black or hold")
	fl.StringVar(&f.codec, "codec", "prores", "prores (422 HQ), prores4444, h264 or dnxhr")
	fl.StringVar(&f.display, "display", "rec709", "display transform for scene-linear EXR: rec709 (BT.1886) or srgb")
	fl.StringVar(&f.lut, "lut", "", "a .cube 3D LUT applied after the display transform (local file)")
	fl.StringVar(&f.ocio, "ocio", "", "an OpenColorIO v2 config: its --ocio-view, baked once to a LUT with ociobakelut, replaces the display transform")
	fl.StringVar(&f.ocioView, "ocio-view", "", "with --ocio: the view as DISPLAY/VIEW, e.g. 'sRGB/Film' (tag the movie to match with --display)")
	fl.StringVar(&f.ocioInput, "ocio-input", "", "with --ocio: the frames' colour space or role (default: the config's scene_linear role)")
	fl.StringVar(&f.fps, "fps", "24", "frame rate of the movie and the timecode: 24, 25, 23.976, 29.97, 30000/1001, ...")
	fl.BoolVar(&f.dropFrame, "drop-frame", false, "drop-frame timecode (29.97 and 59.94 only)")
	fl.StringVar(&f.size, "size", "", "scale to WxH (one side 0 keeps the aspect ratio), e.g. 1920x0")
	fl.StringVar(&f.fit, "fit", "letterbox", "frames of another aspect than --size WxH: letterbox (black bars), crop (fill, keep the centre) or stretch")
	fl.StringVar(&f.mask, "mask", "", "ASPECT[:OPACITY]: bars over the picture showing a target aspect, e.g. 2.39 (black) or 2.39:0.5")
	fl.StringVar(&f.audio, "audio", "", "a sound file (wav, aac, anything FFmpeg reads; local or s3://) muxed in sync from the first picture")
	fl.StringVar(&f.shot, "shot", "", "shot name, for the slate and {shot}")
	fl.StringVar(&f.version, "version", "", "version, for the slate and {version}")
	fl.StringVar(&f.artist, "artist", "", "artist, for the slate and {artist}")
	fl.StringVar(&f.date, "date", "", "date for the slate and {date} (default: today, UTC, YYYY-MM-DD)")
	fl.StringVar(&f.text, "text", "", "free text for {text}")
	fl.StringVar(&f.notes, "notes", "", "notes on the slate")
	fl.BoolVar(&f.slate, "slate", false, "add a slate as frame 0, with a thumbnail of a frame")
	fl.StringVar(&f.slateFrame, "slate-frame", "", "the frame number shown on the slate's thumbnail (default: the middle frame)")
	fl.StringVar(&f.burnin, "burnin", "", "burn-in template POSITION=TEXT;... with {fields}, or 'default'")
	fl.StringVar(&f.font, "font", renderFont, "TrueType font for slate and burn-ins")
	fl.IntVar(&f.threads, "threads", 0, "decoder and encoder threads (per chunk for render submit; 0 = FFmpeg's choice)")
	fl.BoolVar(&f.qcStrict, "qc-strict", false, "fail, leaving no movie, when QC finds NaN, Inf, black or frozen frames")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress output")
}

// renderReport is what reel render run prints.
type renderReport struct {
	Pattern string               `json:"pattern"`
	Range   string               `json:"range"`
	Policy  seq.Policy           `json:"on_missing"`
	Missing []int                `json:"missing,omitempty"`
	Result  *encode.RenderResult `json:"result"`
}

// storageFiles reads whole frames through mezzfs.
type storageFiles struct{ st *mezzfs.Storage }

func (s storageFiles) ReadFile(ctx context.Context, name string) ([]byte, error) {
	obj, err := s.st.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	if obj.Size() > 2<<30 {
		return nil, fmt.Errorf("frame %s: %d bytes is too large for one image", name, obj.Size())
	}
	b := make([]byte, obj.Size())
	if _, err := obj.ReadAtContext(ctx, b, 0); err != nil && !(err == io.EOF && len(b) == 0) {
		return nil, err
	}
	return b, nil
}

func runRender(ctx context.Context, app *App, arg string, f renderFlags) (*renderReport, error) {
	spec, err := renderSpec(arg, &f)
	if err != nil {
		return nil, err
	}
	st, err := app.storage()
	if err != nil {
		return nil, err
	}
	out, err := newRenderOutput(ctx, st, f.out)
	if err != nil {
		return nil, err
	}
	defer out.cleanup()
	if spec.OCIO != nil {
		if spec.LUTDir, err = os.MkdirTemp("", "reel-ocio-*"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(spec.LUTDir)
	}
	// The same planning as reel render submit's activity.
	plan, err := workflows.PlanRender(ctx, workflows.StorageLister{Storage: st}, spec)
	if err != nil {
		return nil, err
	}
	opts := plan.Settings.Options()
	opts.Slate, opts.SlateThumb = plan.Slate, plan.SlateThumb
	if f.audio != "" {
		src, err := app.openSource(ctx, f.audio)
		if err != nil {
			return nil, fmt.Errorf("--audio: %w", err)
		}
		defer src.Close()
		in := encode.ReaderInput(src.Name, src.R, src.Size)
		opts.Audio = &in
	}
	prog := newProgress(app.Stderr, "render", int64(len(plan.Frames)), "frames", f.quiet || f.asJSON)
	opts.Progress = func(done int) { prog.Set(int64(done), "") }
	res, err := encode.Render(ctx, storageFiles{st}, plan.Frames, out.local, opts)
	if err != nil {
		return nil, err
	}
	if err := out.store(ctx); err != nil {
		return nil, err
	}
	res.Path = f.out
	prog.Finish()
	return &renderReport{Pattern: plan.Pattern, Range: plan.Range, Policy: plan.Policy, Missing: plan.Missing, Result: res}, nil
}

// renderSpec checks reel render run's and submit's flags, before any
// frame is read or any job submitted, and makes the render's spec (which
// workflows.PlanRender resolves against the sequence).
func renderSpec(pattern string, f *renderFlags) (workflows.RenderSpec, error) {
	if _, err := seq.ParsePolicy(f.onMissing); err != nil {
		return workflows.RenderSpec{}, err
	}
	rate, err := seq.ParseRate(f.fps)
	if err != nil {
		return workflows.RenderSpec{}, err
	}
	if f.dropFrame && !rate.DropFrameCapable() {
		return workflows.RenderSpec{}, fmt.Errorf("--drop-frame: drop-frame timecode is for 29.97 and 59.94, not %s", rate)
	}
	if f.frames != "" {
		if _, err := seq.ParseRange(f.frames); err != nil {
			return workflows.RenderSpec{}, err
		}
	}
	if f.burnin != "" {
		if _, err := seq.ParseTemplate(f.burnin); err != nil {
			return workflows.RenderSpec{}, err
		}
	}
	var w, h int
	if f.size != "" {
		if _, err := fmt.Sscanf(f.size, "%dx%d", &w, &h); err != nil || w < 0 || h < 0 || w > 16384 || h > 16384 || w+h == 0 {
			return workflows.RenderSpec{}, fmt.Errorf("--size %q: want WxH, e.g. 1920x1080 or 1920x0", f.size)
		}
	}
	if f.fit != "" && !slices.Contains(encode.Fits, f.fit) {
		return workflows.RenderSpec{}, fmt.Errorf("--fit %q: want letterbox, crop or stretch", f.fit)
	}
	mask, opacity, err := parseMask(f.mask)
	if err != nil {
		return workflows.RenderSpec{}, err
	}
	if f.slateFrame != "" {
		if !f.slate {
			return workflows.RenderSpec{}, fmt.Errorf("--slate-frame needs --slate")
		}
		if _, err := strconv.Atoi(f.slateFrame); err != nil {
			return workflows.RenderSpec{}, fmt.Errorf("--slate-frame %q: want a frame number", f.slateFrame)
		}
	}
	var ocio *workflows.OCIOView
	switch {
	case f.ocio == "" && (f.ocioView != "" || f.ocioInput != ""):
		return workflows.RenderSpec{}, fmt.Errorf("--ocio-view and --ocio-input need --ocio CONFIG.ocio")
	case f.ocio != "" && f.ocioView == "":
		return workflows.RenderSpec{}, fmt.Errorf("--ocio needs --ocio-view DISPLAY/VIEW, e.g. 'sRGB/Film'")
	case f.ocio != "" && f.lut != "":
		return workflows.RenderSpec{}, fmt.Errorf("--ocio and --lut together: bake the look into the view (an OCIO look) or use one of them")
	case f.ocio != "":
		ocio = &workflows.OCIOView{Config: f.ocio, View: f.ocioView, Input: f.ocioInput}
	}
	date := f.date
	if date == "" {
		date = time.Now().UTC().Format("2006-01-02")
	}
	return workflows.RenderSpec{Pattern: pattern, Frames: f.frames, OnMissing: f.onMissing, Burnin: f.burnin, FPS: f.fps, DropFrame: f.dropFrame,
		Shot: f.shot, Version: f.version, Artist: f.artist, Date: date, Text: f.text, Notes: f.notes, Slate: f.slate, SlateFrame: f.slateFrame,
		Codec: f.codec, Display: f.display, LUT: f.lut, Font: f.font, Width: w, Height: h, Threads: f.threads, StrictQC: f.qcStrict,
		Fit: f.fit, Mask: mask, MaskOpacity: opacity, OCIO: ocio}, nil
}

// parseMask reads --mask ASPECT[:OPACITY] ("" = no mask).
func parseMask(s string) (float64, float64, error) {
	if s == "" {
		return 0, 0, nil
	}
	a, o, hasO := strings.Cut(s, ":")
	aspect, err := strconv.ParseFloat(a, 64)
	if err != nil || aspect < 0.1 || aspect > 10 || math.IsNaN(aspect) {
		return 0, 0, fmt.Errorf("--mask %q: want an aspect ratio between 0.1 and 10, e.g. 2.39 or 2.39:0.5", s)
	}
	opacity := 1.0
	if hasO {
		if opacity, err = strconv.ParseFloat(o, 64); err != nil || !(opacity > 0 && opacity <= 1) {
			return 0, 0, fmt.Errorf("--mask %q: the opacity after ':' is a number in (0, 1], e.g. 2.39:0.5", s)
		}
	}
	return aspect, opacity, nil
}

// renderOutput is where Render writes: the local path asked for, or, for
// an s3:// (file://) URL, a private temporary directory whose movie store
// then puts in place (atomically: nothing is visible at the URL before it
// is whole, and a failed render stores nothing).
type renderOutput struct {
	local, tmpDir string
	st            mezzfs.Store
	key           string
}

func newRenderOutput(ctx context.Context, storage *mezzfs.Storage, out string) (*renderOutput, error) {
	if !strings.Contains(out, "://") {
		if err := checkOutputFile(out); err != nil {
			return nil, err
		}
		return &renderOutput{local: out}, nil
	}
	st, key, err := openStoreObject(ctx, storage, out)
	if err != nil {
		return nil, fmt.Errorf("-o %s: %w", out, err)
	}
	dir, err := os.MkdirTemp("", "reel-render-*")
	if err != nil {
		return nil, err
	}
	return &renderOutput{local: filepath.Join(dir, path.Base(key)), tmpDir: dir, st: st, key: key}, nil
}

// store puts the rendered movie at the URL (nothing for a local output).
func (o *renderOutput) store(ctx context.Context) error {
	if o.st == nil {
		return nil
	}
	if _, err := o.st.Put(ctx, o.key, o.local); err != nil {
		return fmt.Errorf("storing the movie at %s: %w", o.st.URL(o.key), err)
	}
	return nil
}

func (o *renderOutput) cleanup() {
	if o.tmpDir != "" {
		os.RemoveAll(o.tmpDir)
	}
}

func qcLine(q encode.RenderQC) string {
	var parts []string
	add := func(name string, nums []int) {
		if len(nums) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", name, seq.Compact(nums, 1)))
		}
	}
	add("NaN in", q.NaN)
	add("Inf in", q.Inf)
	add("black", q.Black)
	add("frozen", q.Frozen)
	if len(parts) == 0 {
		return "clean"
	}
	return strings.Join(parts, "; ")
}

func printRender(w io.Writer, rep *renderReport) {
	r := rep.Result
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "sequence\t%s, frames %s\n", rep.Pattern, rep.Range)
	if len(rep.Missing) > 0 {
		fmt.Fprintf(tw, "missing\t%s (%s)\n", seq.Compact(rep.Missing, 1), rep.Policy)
	}
	slate := ""
	if r.Slate {
		slate = ", slate first"
	}
	fmt.Fprintf(tw, "movie\t%s: %s %dx%d %s, %d frames%s, %s\n", r.Path, r.Codec, r.Width, r.Height, r.PixFmt, r.Frames, slate, humanBytes(r.Bytes))
	fmt.Fprintf(tw, "colour\tfrom %s, transfer %s, BT.709 primaries and matrix, limited range\n", r.SourceFmt, r.Transfer)
	if r.Audio != "" {
		fmt.Fprintf(tw, "audio\t%s, 48 kHz, from the first picture\n", r.Audio)
	}
	fmt.Fprintf(tw, "qc\t%s\n", qcLine(r.QC))
	tw.Flush()
}
