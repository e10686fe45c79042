package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/encode"
)

const probeLong = `Describe a media file: container, size, duration, every stream, and for the
first video stream its codec, size, pixel format, bit depth, exact frame rate,
exact frame count, colour description, scan (progressive, or interlaced with
its field order: tt top field first, bb bottom field first) and, for HDR, the
transfer (pq, hlg) with the HDR10 mastering display and content light level
(from the container, else from the first frame's SEI). A container that does not declare
its frame count (Matroska, MPEG-TS) is counted from the timestamps at its end,
so a remote file is not fetched whole; only when that tail cannot be trusted
is every packet read.

FILE is a local path or, like every reel input, an s3://, file://, http:// or
https:// URL read by byte range.

With --keyframes, the frame indices of the keyframes are listed: the places where
chunks can start cheaply. They come from the container's index when it has one
(MP4/MOV sample tables, Matroska cues, which may list only some keyframes);
otherwise every packet is read (no decoding).

Frames are numbered as FFmpeg's own pipeline presents them: an AVI is indexed by
reading its packets (packed B-frames unpacked, empty "repeat" chunks as repeats
of the frame before), a variable frame rate is shown with its shortest, average
and longest frame durations. Damage found on the way (a container that promises
more frames than its data holds, repaired timestamps) is listed under problems;
with --strict it is an error instead.`

const probeExample = `  reel probe mezz.mov
  reel probe --keyframes in.mp4
  reel probe --json s3://mezz/feature.mxf | jq .video.frame_count`

func newProbeCmd(app *App) *cobra.Command {
	var keyframes, asJSON, strict bool
	cmd := &cobra.Command{
		Use:     "probe FILE",
		Short:   "Describe a media file (streams, frame count, colour, keyframes)",
		Long:    probeLong,
		Example: probeExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef(cmd, "probe takes exactly one FILE, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			encode.SetLogLevel(ffmpegLogLevel(app.Config.LogLevel))
			ctx := cmd.Context()
			src, err := app.openSource(ctx, args[0])
			if err != nil {
				return err
			}
			defer src.Close()
			info, err := encode.Probe(ctx, encode.ReaderInput(src.Name, src.R, src.Size), encode.ProbeOptions{Keyframes: keyframes, Strict: strict})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Stdout, info)
			}
			printProbe(app.Stdout, info)
			return nil
		},
	}
	cmd.Flags().BoolVar(&keyframes, "keyframes", false, "list the frame indices of the keyframes (from the index, else by reading every packet)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&strict, "strict", false, "fail on a damaged file instead of listing its problems")
	return cmd
}

func printProbe(w io.Writer, info *encode.Info) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s\n", info.Name)
	fmt.Fprintf(tw, "container\t%s\n", info.Container)
	fmt.Fprintf(tw, "size\t%s\n", humanBytes(info.Size))
	fmt.Fprintf(tw, "duration\t%.3f s\n", info.Duration)
	if info.BitRate > 0 {
		fmt.Fprintf(tw, "bitrate\t%.0f kb/s\n", float64(info.BitRate)/1000)
	}
	if v := info.Video(); v != nil {
		gop := ""
		if v.IntraOnly {
			gop = ", intra-only"
		}
		fmt.Fprintf(tw, "video\tstream %d: %s %dx%d %s (%d-bit%s)\n", v.Index, v.Codec, v.Width, v.Height, v.PixFmt, v.BitDepth, gop)
		fmt.Fprintf(tw, "frame rate\t%d/%d (%.3f fps)\n", v.FrameRate.Num, v.FrameRate.Den, v.FPS)
		fmt.Fprintf(tw, "frames\t%d (%.3f s)\n", v.FrameCount, v.Duration)
		if d := v.FrameDurations; v.VFR && d != nil {
			fmt.Fprintf(tw, "variable rate\tframe durations %.2f / %.2f / %.2f ms (min / avg / max)\n", d.Min*1000, d.Avg*1000, d.Max*1000)
		}
		if v.EditList {
			fmt.Fprintf(tw, "edit list\tapplied: frame 0 is the first frame it presents\n")
		}
		if v.Timecode != "" {
			fmt.Fprintf(tw, "timecode\t%s\n", v.Timecode)
		}
		fmt.Fprintf(tw, "colour\t%s\n", colorString(v))
		if v.FieldOrder != "" {
			fmt.Fprintf(tw, "scan\t%s\n", scanString(v))
		}
		if v.HDR != nil {
			fmt.Fprintf(tw, "hdr\t%s\n", hdrString(v.HDR))
		}
		if v.Keyframes != nil {
			fmt.Fprintf(tw, "keyframes\t%d: %s\n", len(v.Keyframes), joinInts(v.Keyframes, 40))
		}
	} else {
		fmt.Fprintf(tw, "video\tnone\n")
	}
	for i, p := range info.Problems {
		label := ""
		if i == 0 {
			label = "problems"
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, p)
	}
	tw.Flush()
	fmt.Fprintln(w, "streams:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range info.Streams {
		var d string
		switch s.Type {
		case "video":
			d = fmt.Sprintf("%dx%d\t%s\t%.3f fps", s.Width, s.Height, s.PixFmt, s.FPS)
			if s.CoverArt {
				d += " (cover art)"
			}
		case "audio":
			lang := s.Language
			if lang == "" {
				lang = "und"
			}
			d = fmt.Sprintf("%d Hz\t%s\t%s\tlanguage %s", s.SampleRate, s.ChannelLayout, s.SampleFmt, lang)
			if s.Title != "" {
				d += fmt.Sprintf(" %q", s.Title)
			}
			if s.Default {
				d += " (default)"
			}
		}
		fmt.Fprintf(tw, "  #%d\t%s\t%s\t%s\n", s.Index, s.Type, s.Codec, d)
	}
	tw.Flush()
}

// scanString is progressive, or interlaced with the field order.
func scanString(v *encode.VideoStream) string {
	if !v.Interlaced {
		return "progressive"
	}
	names := map[string]string{"tt": "top field first", "bb": "bottom field first",
		"tb": "top field coded first, bottom shown first", "bt": "bottom field coded first, top shown first"}
	return fmt.Sprintf("interlaced (%s, %s)", v.FieldOrder, names[v.FieldOrder])
}

// hdrString is the HDR transfer and the HDR10 metadata, in x265's
// master-display syntax.
func hdrString(h *encode.HDR) string {
	parts := []string{}
	if h.Transfer != "" {
		parts = append(parts, "transfer "+h.Transfer)
	}
	if m := h.Mastering; m != nil {
		parts = append(parts, fmt.Sprintf("mastering display %s (%.4g-%.4g cd/m²)", m, m.MinLuminance, m.MaxLuminance))
	}
	if h.CLL {
		parts = append(parts, fmt.Sprintf("MaxCLL %d, MaxFALL %d cd/m²", h.MaxCLL, h.MaxFALL))
	}
	return strings.Join(parts, ", ")
}

func colorString(v *encode.VideoStream) string {
	c := v.Color
	or := func(s string) string {
		if s == "" {
			return "unspecified"
		}
		return s
	}
	return fmt.Sprintf("primaries %s, transfer %s, matrix %s, range %s", or(c.Primaries), or(c.Transfer), or(c.Matrix), or(c.Range))
}

func joinInts(v []int64, limit int) string {
	var b strings.Builder
	for i, x := range v {
		if i == limit {
			fmt.Fprintf(&b, " ... (%d more)", len(v)-limit)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, x)
	}
	return b.String()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB (%d bytes)", float64(n)/float64(div), "KMGTPE"[exp], n)
}

// ffmpegLogLevel maps reel's log level to FFmpeg's: FFmpeg's info output
// (encoder banners and statistics) only at debug.
func ffmpegLogLevel(reel string) string {
	switch reel {
	case "debug":
		return "info"
	case "error":
		return "error"
	}
	return "warn"
}
