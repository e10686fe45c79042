package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/workflows"
)

const encodeLong = `Encode INPUT, one of two ways.

As a job (--rendition, --ladder or --temporal): reel's main job. INPUT is cut
into chunks at keyframes, the chunks of every rendition are encoded in
parallel and scored with VMAF (and PSNR) against the source as they are
encoded (the source is decoded once; the encoded frames are decoded in
process);
chunks under --min-vmaf are re-encoded at a lower CRF; each rendition is then
assembled with the source's audio into OUTPUT/<name>.mp4, next to a
report.json. OUTPUT is a directory or an s3://bucket/prefix. With no Temporal
address configured (--temporal or temporal.address), reel starts an embedded
Temporal server and a worker in this process for the job's duration; otherwise
it submits the job to that cluster and follows it. Progress shows chunks
done/total, frames/s and each chunk's VMAF as it arrives.

A job can also write a streaming package: --package hls,dash (or hls, or
dash) packages the assembled renditions into OUTPUT/package/ as CMAF
segments of --segment (default 4s) with master.m3u8 and manifest.mpd. Every
rendition then gets a keyframe on each segment boundary, checked before any
manifest is written; the summary and report.json give each rung's HLS
BANDWIDTH. See 'reel submit --help' and docs/package.md.

As one file (no --rendition/--ladder/--temporal): INPUT is encoded into the
file OUTPUT in this process with FFmpeg: decode (frame-exact when --frames
selects a range), scale, convert the pixel format, encode and mux. The
container follows OUTPUT's extension (.mp4, .mov, .mkv, .ts).

Audio: --audio copy (default) keeps one audio track, the first unless
--audio-track N (its index among the audio streams, as reel probe lists
them) or --audio-lang TAG (the first track tagged with that ISO 639
language, e.g. eng; a language no track has is an error naming those there
are) picks another; aac and opus re-encode that track (one-file only);
copy-all keeps every track with its language and title, the first as the
default; none writes video only. In a job, a copied track the rendition's
MP4 cannot hold (the PCM of an AVI or MXF) is converted to AAC, as the
ffmpeg CLI does.

A variable-frame-rate source (a phone or screen recording; reel probe
shows it) keeps its timestamps: every output frame has its source frame's
time. --fps N or N/D (25, 30000/1001; per rendition fps= in a job) converts
to a constant rate instead, duplicating and dropping frames as the ffmpeg
CLI's -vf fps=N does: every output frame shows the source frame on screen
at its time, so audio stays in sync. In a job each chunk holds the
converted frames whose times fall in its part of the source (chunks join
with no frame twice or lost) and is scored against the source converted
the same way, frame by frame. A job's summary ends each rendition's line
with what was done with the timing, "vfr kept", "constant rate" or
"converted to N fps", as report.json does.

There is no default ladder: an OUTPUT that is a directory (or ends in /)
needs --rendition or --ladder, and reel says so rather than guess the
renditions. A local OUTPUT that cannot be written (its directory, or the
file's directory) is refused before anything is encoded.

Codecs: x264, x265, svtav1, vp9 (CRF or --bitrate), prores (--preset proxy,
lt, standard, hq, 4444, 4444xq) and ffv1 (lossless). GOPs are closed and
fixed (--gop frames, default 2 seconds), the same settings chunked encodes
use. Colour metadata (primaries, transfer, matrix, range) is carried over.

--size WxH scales; use 0 for one side to keep the aspect ratio (1280x0).
Sizes are rounded up to even numbers for 4:2:0 and 4:2:2 output.
--pix-fmt picks the output format, e.g. yuv420p10le for 10-bit; by default
the source format is kept when the encoder takes it.

An interlaced source (reel probe shows its field order) is deinterlaced
before scaling by default: --deinterlace auto is bwdif for an interlaced
source and nothing for a progressive one; bwdif or yadif force one. One
frame comes out per frame (no field doubling) and the output is
progressive. --deinterlace off keeps the fields: x264 encodes them
interlaced (tff or bff as the source, tagged in the output, so reel probe
of the output shows the same field order; a --size scale is field by
field), other codecs encode the woven frames as they are:

  reel encode interlaced.ts -o out.mp4 --codec x264 --deinterlace off HDR10 sources keep their transfer
(PQ, HLG), BT.2020 tags and bit depth; with x265 the mastering display and
content light level are written into the bitstream too.

The output is written to a hidden .part file next to OUTPUT and renamed when
complete, so a failed or interrupted (Ctrl-C) encode leaves nothing behind. Progress goes to stderr
(a bar on a terminal); --json prints a summary on stdout.`

const encodeExample = `  reel encode in.mov -o out/ --rendition name=1080p,size=1920x1080,crf=21 --rendition name=720p,size=1280x720,crf=23 --min-vmaf 90
  reel encode s3://mezz/film.mov -o s3://out/film --ladder ladder.json --temporal temporal.prod:7233
  reel encode in.mov -o out.mp4
  reel encode in.mov -o out.mp4 --codec x265 --crf 24 --preset slow --size 1280x720
  reel encode in.mov -o clip.mkv --frames 100:350 --audio opus
  reel encode in.mov -o out/ --rendition name=720p,size=1280x720,crf=23 --rendition name=360p,size=640x360,crf=27 --package hls,dash
  ffmpeg -i out/package/master.m3u8 -map 0:v:0 -f null -    # play the package back
  reel encode phone.mp4 -o out/ --rendition name=720p,size=0x720 --fps 30
  reel encode film.mov -o out/ --rendition name=ntsc,size=0x480,fps=30000/1001 --rendition name=hd,size=0x1080
  reel encode phone.mp4 -o phone25.mp4 --fps 25
  reel encode film.mkv -o film.mp4 --audio-lang fra
  reel encode film.mkv -o film.mkv --audio copy-all
  reel encode film.mkv -o out/ --rendition name=hd,size=1920x0 --audio-track 1
  reel encode s3://mezz/feature.mov -o proxy.mov --codec prores --preset proxy --size 0x540
  reel encode in.mp4 -o hdr.mp4 --codec svtav1 --pix-fmt yuv420p10le --json
  reel encode film.mov -o out/ --rung 1080:5000k --rung 720:3000k --rung 360:vmaf=70 --preset slow
  reel encode film.mov -o out/ --rung hd=720:vmaf=93 --grid-heights 720,540 --grid-crf 18-42/3 --pool harmonic_mean --max-spread 15
  reel encode film.mov -o out/ --rung 540:1500k --rc qp --grid-crf 20,24,28,32,36,40`

type encodeFlags struct {
	codec, preset, size, pixFmt, frames, audio, scaler, container string
	crf                                                           float64
	bitrate, audioBitrate                                         int64
	gop, threads                                                  int
	out                                                           string
	asJSON, quiet, strict                                         bool
	deinterlace                                                   string
	fps                                                           string
}

func newEncodeCmd(app *App) *cobra.Command {
	var f encodeFlags
	var wf workflowEncodeFlags
	cmd := &cobra.Command{
		Use:     "encode INPUT -o OUTPUT",
		Short:   "Encode a file (or a frame range) in process with FFmpeg",
		Long:    encodeLong + "\n\n" + perShotHelp,
		Example: encodeExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef(cmd, "encode takes exactly one INPUT, got %d arguments", len(args))
			}
			if f.out == "" {
				return usagef(cmd, "missing -o OUTPUT")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			encode.SetLogLevel(ffmpegLogLevel(app.Config.LogLevel))
			if wf.wantsWorkflow(cmd) {
				return runWorkflowEncode(cmd.Context(), app, cmd, &wf, args[0], f.out, f.quiet, f.asJSON)
			}
			if err := needsLadder(cmd, args[0], f.out, f.container); err != nil {
				return err
			}
			p, opts, err := f.profile(cmd)
			if err != nil {
				return err
			}
			if strings.Contains(f.out, "://") {
				return usagef(cmd, "OUTPUT must be a local path, got %s", f.out)
			}
			if err := checkOutputFile(f.out); err != nil {
				return err
			}
			res, err := runLocalEncode(cmd.Context(), app, args[0], f.out, p, opts, f.asJSON || f.quiet)
			if err != nil {
				return err
			}
			if f.asJSON {
				return writeJSON(app.Stdout, res)
			}
			fmt.Fprintf(app.Stdout, "wrote %s: %d frames, %dx%d %s %s, %s, %.3f s, %.0f kb/s\n",
				res.Path, res.Frames, res.Width, res.Height, res.Codec, res.PixFmt, humanBytes(res.Bytes), res.Duration, res.Bitrate/1000)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "output", "o", "", "output: a file (.mp4, .mov, .mkv, .ts) for one-file encodes; a directory or s3:// URL for jobs")
	fl.StringVar(&f.codec, "codec", "x264", "video codec: "+strings.Join(encode.CodecNames(), ", "))
	fl.Float64Var(&f.crf, "crf", 0, "constant rate factor (0 = codec default: x264 23, x265 28, svtav1 35, vp9 31)")
	fl.Int64Var(&f.bitrate, "bitrate", 0, "average bitrate in bits/s instead of CRF (suffixes not accepted)")
	fl.StringVar(&f.preset, "preset", "", "speed/quality preset (x264/x265 names, svtav1 0-13, vp9 0-8, prores profile)")
	fl.StringVar(&f.size, "size", "", "output size WxH; 0 on one side keeps the aspect ratio (e.g. 1280x0)")
	fl.StringVar(&f.scaler, "scaler", "bicubic", "scaling algorithm: bicubic, bilinear, lanczos, spline, area, neighbor, ...")
	fl.StringVar(&f.pixFmt, "pix-fmt", "", "output pixel format, e.g. yuv420p, yuv420p10le (default: keep the source's when possible)")
	fl.IntVar(&f.gop, "gop", 0, "keyframe interval in frames (0 = 2 seconds)")
	fl.IntVar(&f.threads, "threads", 0, "encoder and decoder threads (0 = one per core)")
	fl.StringVar(&f.frames, "frames", "", "frame range START:END (END exclusive; START: means to the end)")
	fl.StringVar(&f.audio, "audio", "copy", "audio: copy, copy-all, aac, opus or none (copy becomes none when the input has no audio)")
	fl.Int64Var(&f.audioBitrate, "audio-bitrate", 0, "audio bitrate in bits/s for aac/opus (0 = 64000 per channel)")
	fl.StringVar(&f.container, "container", "", "container: mp4, mov, mkv or ts (default: from OUTPUT's extension)")
	fl.BoolVar(&f.asJSON, "json", false, "print a JSON summary on stdout")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress output")
	fl.StringVar(&f.deinterlace, "deinterlace", "auto", "deinterlacer: auto (bwdif when the source is interlaced, the output being progressive), bwdif, yadif or off (keep the fields: x264 encodes interlaced)")
	fl.StringVar(&f.fps, "fps", "", fpsUsage)
	fl.BoolVar(&f.strict, "strict", false, "fail on a damaged source (cut short, frames missing) instead of encoding what is there and listing the problems")
	addWorkflowEncodeFlags(cmd, &wf)
	return cmd
}

// profile turns the flags into an encode.Profile and options.
func (f *encodeFlags) profile(cmd *cobra.Command) (encode.Profile, encode.EncodeOptions, error) {
	p := encode.Profile{Codec: f.codec, CRF: f.crf, Bitrate: f.bitrate, Preset: f.preset, Scaler: f.scaler,
		PixFmt: f.pixFmt, GOP: f.gop, Threads: f.threads, Container: f.container, Strict: f.strict,
		Deinterlace: f.deinterlace} // auto is resolved once the source is probed
	var opts encode.EncodeOptions
	if _, err := encode.DeinterlaceFor(f.deinterlace, nil); err != nil {
		return p, opts, usagef(cmd, "--deinterlace: %v", err)
	}
	if f.crf < 0 || f.bitrate < 0 || f.gop < 0 || f.threads < 0 {
		return p, opts, usagef(cmd, "--crf, --bitrate, --gop and --threads must not be negative")
	}
	fps, err := workflows.ParseFPS(f.fps)
	if err != nil {
		return p, opts, usagef(cmd, "--fps: %v", err)
	}
	p.FPS = fps
	if f.size != "" {
		w, h, err := parseSize(f.size)
		if err != nil {
			return p, opts, usagef(cmd, "--size: %v", err)
		}
		p.Width, p.Height = w, h
	}
	if f.frames != "" {
		s, e, err := parseFrames(f.frames)
		if err != nil {
			return p, opts, usagef(cmd, "--frames: %v", err)
		}
		opts.Start, opts.End = s, e
	}
	switch f.audio {
	case "copy", "copy-all", "aac", "opus", "none":
	default:
		return p, opts, usagef(cmd, "--audio must be copy, copy-all, aac, opus or none, got %q", f.audio)
	}
	track, _ := cmd.Flags().GetInt("audio-track")
	lang, _ := cmd.Flags().GetString("audio-lang")
	switch {
	case track < 0:
		return p, opts, usagef(cmd, "--audio-track must not be negative")
	case track != 0 && lang != "":
		return p, opts, usagef(cmd, "give --audio-track or --audio-lang, not both")
	case (track != 0 || lang != "") && (f.audio == "copy-all" || f.audio == "none"):
		return p, opts, usagef(cmd, "--audio-track and --audio-lang choose the track for --audio copy, aac or opus, not %s", f.audio)
	}
	opts.Audio, opts.AudioTrack, opts.AudioLanguage = f.audio, track, lang
	opts.AudioBitrate = f.audioBitrate
	return p, opts, nil
}

// parseSize reads WxH; one side may be 0 (keep the aspect ratio).
func parseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if !ok {
		return 0, 0, fmt.Errorf("want WxH, got %q", s)
	}
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if err1 != nil || err2 != nil || w < 0 || h < 0 || (w == 0 && h == 0) {
		return 0, 0, fmt.Errorf("want WxH with non-negative numbers, not both 0, got %q", s)
	}
	return w, h, nil
}

// parseFrames reads START:END (END exclusive, empty = to the end).
func parseFrames(s string) (int64, int64, error) {
	ss, es, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("want START:END, got %q", s)
	}
	var start, end int64
	var err error
	if ss != "" {
		if start, err = strconv.ParseInt(ss, 10, 64); err != nil || start < 0 {
			return 0, 0, fmt.Errorf("bad START in %q", s)
		}
	}
	if es != "" {
		if end, err = strconv.ParseInt(es, 10, 64); err != nil || end <= start {
			return 0, 0, fmt.Errorf("END must be a number greater than START in %q", s)
		}
	}
	return start, end, nil
}

// needsLadder refuses a one-file encode into a directory, saying what to
// add: a directory is a job's output, and a job's renditions are too costly
// to guess (a ladder for a feature is hours of encoding).
func needsLadder(cmd *cobra.Command, input, out, container string) error {
	var reason, example string
	name := strings.TrimSuffix(filepath.Base(input), filepath.Ext(input)) + ".mp4"
	if st, err := os.Stat(out); (err == nil && st.IsDir()) || strings.HasSuffix(out, "/") {
		reason, example = "is a directory", filepath.Join(out, name)
	} else if filepath.Ext(out) == "" && container == "" {
		reason, example = "has no file extension", out+".mp4"
	} else {
		return nil
	}
	return usagef(cmd, "OUTPUT %s %s: to encode renditions into it add --rendition name=720p,size=0x720,crf=23 "+
		"(once per rendition) or --ladder FILE; to encode one file, name it, e.g. -o %s", out, reason, example)
}

// outputError is a local output that cannot be written, found before any
// work starts.
type outputError struct {
	Path   string // the output as given
	Reason string // one line: why
	Err    error  // the OS error
}

func (e *outputError) Error() string { return "output " + e.Path + " is not writable: " + e.Reason }
func (e *outputError) Unwrap() error { return e.Err }

func newOutputError(path string, err error) *outputError {
	reason := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = pe.Err.Error() // the path is the output's or a scratch name
	}
	return &outputError{Path: path, Reason: reason, Err: err}
}

// checkOutputDir makes the directory dir, as a job's output store will,
// and checks that a file can be created in it.
func checkOutputDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return newOutputError(dir, err)
	}
	return checkCreate(dir, dir)
}

// checkOutputFile checks that the file path can be created: its directory
// exists and takes a new file.
func checkOutputFile(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &outputError{Path: path, Reason: "directory " + dir + " does not exist", Err: err}
	case err != nil:
		return newOutputError(path, err)
	case !st.IsDir():
		return &outputError{Path: path, Reason: dir + " is not a directory", Err: fs.ErrInvalid}
	}
	return checkCreate(path, dir)
}

// checkCreate creates and removes a scratch file in dir: permissions alone
// do not tell (root, read-only mounts, /proc).
func checkCreate(path, dir string) error {
	f, err := os.CreateTemp(dir, ".reel-write-check-*")
	if err != nil {
		return newOutputError(path, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// runLocalEncode encodes in this process (the workflow path sits beside it).
func runLocalEncode(ctx context.Context, app *App, input, output string, p encode.Profile, opts encode.EncodeOptions, quiet bool) (*encode.ChunkResult, error) {
	src, err := app.openSource(ctx, input)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	in := encode.ReaderInput(src.Name, src.R, src.Size)
	info, err := encode.Probe(ctx, in, encode.ProbeOptions{Strict: p.Strict})
	if err != nil {
		return nil, err
	}
	if p.Deinterlace, err = encode.DeinterlaceFor(p.Deinterlace, info.Video()); err != nil {
		return nil, err
	}
	if opts.Audio == "copy" || opts.Audio == "copy-all" || opts.Audio == "none" {
		hasAudio := false
		for _, s := range info.Streams {
			hasAudio = hasAudio || s.Type == "audio"
		}
		if !hasAudio {
			opts.Audio = "none"
		}
	}
	total := int64(0)
	if v := info.Video(); v != nil {
		total = v.FrameCount - opts.Start
		if opts.End > 0 {
			total = opts.End - opts.Start
		}
	}
	prog := newProgress(app.Stderr, "encode", total, "frames", quiet)
	opts.Progress = func(done int64) { prog.Set(done, "") }
	res, err := encode.Encode(ctx, in, output, p, opts)
	if err != nil {
		return nil, err
	}
	prog.Set(res.Frames, "")
	prog.Finish()
	for _, pr := range res.Problems {
		fmt.Fprintf(app.Stderr, "source problem: %s\n", pr)
	}
	return res, nil
}
