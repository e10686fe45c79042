package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/pack"
	"github.com/reelmedia/reel/workflows"
)

const packageLong = `Package ladder rungs for streaming: CMAF (fragmented MP4) segments for every
rung and every audio track, an HLS master playlist with a media playlist per
track, and a DASH MPD describing the same segment files.

Each RENDITION is a progressive MP4 with one video track (AVC today), the
rungs of one ladder: the same frames with keyframes on the same frames. The
segments end at the first keyframe at or after --segment, taken from the
first rung; before anything is written every other rung is checked to have a
keyframe on the same frame, and a rung that does not is named with the frame.

Audio comes from each --audio file (AAC), or, with none given, from the first
rung's own audio track, so a track is not lost. Audio renditions form one HLS
audio group and one DASH adaptation set each.

In the master playlist BANDWIDTH is the rung's peak segment bitrate and
AVERAGE-BANDWIDTH its average over all segments, both measured from the
segment files as written, each plus the audio's; CODECS, RESOLUTION,
FRAME-RATE and AUDIO are filled in from the streams.

Inputs are local paths or s3://, file://, http(s):// URLs, read by byte
range. A local output DIR (a path or file:// URL) is written beside itself
and renamed into place when complete, replacing an older package whole. An
s3://bucket/prefix output is packaged in a local scratch directory, then
uploaded: the manifests of a package already there are deleted first, then
init and media segments are uploaded, then media playlists, then
master.m3u8 and manifest.mpd, and last the old package's leftover segments
are deleted, so a reader never gets a manifest naming a segment not yet
there. S3 cannot rename a prefix: a failed upload leaves segments without
manifests, and running the command again completes it (docs/package.md).
--formats hls or --formats dash writes one manifest only. The layout:

  DIR/master.m3u8  DIR/manifest.mpd
  DIR/v0/init.mp4  DIR/v0/seg-00001.m4s ...  DIR/v0/media.m3u8   (first rung)
  DIR/a0/init.mp4  DIR/a0/seg-00001.m4s ...  DIR/a0/media.m3u8   (first audio)`

const packageExample = `  reel package out/1080p.mp4 out/720p.mp4 out/360p.mp4 -o pkg
  reel package out/*.mp4 -o pkg --segment 6s --audio en.mp4 --audio fr.mp4
  reel package --json s3://bucket/job/720p.mp4 s3://bucket/job/360p.mp4 -o /srv/www/title | jq .video[].bandwidth_bps
  reel package s3://bucket/job/720p.mp4 s3://bucket/job/360p.mp4 -o s3://cdn/title/package --formats hls
  ffmpeg -i pkg/master.m3u8 -map 0:v:0 -f null -     # play it back`

func newPackageCmd(app *App) *cobra.Command {
	var out string
	var audio []string
	var segment time.Duration
	var asJSON bool
	var formats string
	cmd := &cobra.Command{
		Use:     "package RENDITION.mp4... -o DIR",
		Short:   "Package rungs as CMAF segments with HLS and DASH manifests",
		Long:    packageLong,
		Example: packageExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef(cmd, "package needs at least one RENDITION")
			}
			if out == "" {
				return usagef(cmd, "package needs -o DIR")
			}
			if strings.Contains(out, "://") && !strings.HasPrefix(out, "file://") && !strings.HasPrefix(out, "s3://") {
				return usagef(cmd, "-o %s: want a local directory, a file:// URL or an s3://bucket/prefix", out)
			}
			if _, err := pack.ParseFormats(formats); err != nil {
				return usagef(cmd, "--formats: %v", err)
			}
			if segment <= 0 {
				return usagef(cmd, "--segment %v: want a positive duration such as 4s", segment)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var srcs []*source
			defer func() {
				for _, s := range srcs {
					s.Close()
				}
			}()
			open := func(names []string) ([]pack.Input, error) {
				var ins []pack.Input
				for _, n := range names {
					src, err := app.openSource(ctx, n)
					if err != nil {
						return nil, err
					}
					srcs = append(srcs, src)
					ins = append(ins, pack.Input{Name: n, R: src.R, Size: src.Size})
				}
				return ins, nil
			}
			video, err := open(args)
			if err != nil {
				return err
			}
			aud, err := open(audio)
			if err != nil {
				return err
			}
			fs, _ := pack.ParseFormats(formats)
			cfg := pack.Config{Segment: segment, Formats: fs}
			var res pack.Result
			if strings.HasPrefix(out, "s3://") {
				res, err = app.packageToStore(ctx, cfg, video, aud, out)
			} else {
				res, err = pack.Package(ctx, cfg, video, aud, strings.TrimPrefix(out, "file://"))
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Stdout, res)
			}
			printPackage(app, res)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "output directory (path or file:// URL, replaced whole when complete) or s3://bucket/prefix (segments uploaded first, manifests last)")
	fl.StringVar(&formats, "formats", "hls,dash", "manifests to write: hls, dash or hls,dash")
	fl.StringArrayVar(&audio, "audio", nil, "an audio file (AAC in MP4) to package as an audio rendition; repeatable (default: the first rung's audio)")
	fl.DurationVar(&segment, "segment", 4*time.Second, "target segment duration; segments end at the first keyframe at or after it")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// packageToStore packages into a scratch directory and publishes it to the
// store at out (workflows.PublishPackage: segments first, manifests last).
func (app *App) packageToStore(ctx context.Context, cfg pack.Config, video, audio []pack.Input, out string) (pack.Result, error) {
	storage, err := app.storage()
	if err != nil {
		return pack.Result{}, err
	}
	st, err := storage.Store(ctx, out)
	if err != nil {
		return pack.Result{}, err
	}
	scratch, err := os.MkdirTemp("", "reel-package-")
	if err != nil {
		return pack.Result{}, fmt.Errorf("package: %w", err)
	}
	defer os.RemoveAll(scratch)
	dir := filepath.Join(scratch, "package")
	res, err := pack.Package(ctx, cfg, video, audio, dir)
	if err != nil {
		return pack.Result{}, err
	}
	if err := workflows.PublishPackage(ctx, st, "", dir); err != nil {
		return pack.Result{}, err
	}
	res.Dir = strings.TrimRight(out, "/")
	return res, nil
}

func printPackage(app *App, res pack.Result) {
	fmt.Fprintf(app.Stdout, "package  %s\n", res.Dir)
	if res.Master != "" {
		fmt.Fprintf(app.Stdout, "hls      %s\n", res.Master)
	}
	if res.MPD != "" {
		fmt.Fprintf(app.Stdout, "dash     %s\n", res.MPD)
	}
	tw := tabwriter.NewWriter(app.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "track\tcodec\tformat\tsegments\tpeak kb/s\tavg kb/s\tBANDWIDTH\tsource")
	for _, t := range append(append([]pack.Track(nil), res.Video...), res.Audio...) {
		format := fmt.Sprintf("%dx%d %.3f fps", t.Width, t.Height, t.FrameRate)
		if t.Width == 0 {
			format = fmt.Sprintf("%d ch %s", t.Channels, t.Language)
		}
		bw := "-"
		if t.Bandwidth > 0 {
			bw = fmt.Sprint(t.Bandwidth)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.0f\t%.0f\t%s\t%s\n", t.ID, t.Codec, format, len(t.Segments), t.PeakBitrate/1000, t.AverageBitrate/1000, bw, t.Source)
	}
	tw.Flush()
}
