package testmedia

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Corpus makes the real-world sources of issue 14, each the kind of file
// an operator's library holds and a clean generated clip is not: variable
// frame rate, packed B-frames, empty AVI chunks, a cut-off AVI, MPEG-TS
// timestamp jumps, an MP4 edit list, timecode, interlacing, HDR10, MXF.
// Every one is described by its ffmpeg command line (File), so it is the
// same on every machine; the select filter's random() starts from the
// same state on every run.
//
// The zero Corpus makes video only. With Clicks, every source also has an
// audio track (AAC; 16-bit PCM in AVI and MXF) that clicks (48 samples at
// 0.9, 48 kHz) at the start of every period of about half a second, and
// the frame shown at that instant is white, the others at most half
// bright: FlashTimes and ClickTimes find both, and Sync pairs them. A
// period is round(rate/2) frames, so at 24000/1001 fps it is 0.5005 s
// (24024 samples) and each click starts exactly with its flash. Frames
// that a source drops (select) never include a flash. The click track
// lasts as long as the video (the variable-rate source's a little
// longer). One exception is in the file itself: the packed B-frame AVI's
// encoder holds two B-frames back and the AVI muxer fills their slots with
// empty chunks, so from its second flash on each picture sits two frame
// slots (83 ms) after its click.
//
//	src := testmedia.Corpus{Clicks: true}.VFRMP4(t)
type Corpus struct {
	Clicks bool
}

// recipe is a corpus clip: testsrc2 of size at rate num/den, the frames
// sel keeps (a select expression on the source's frame numbers; "" keeps
// all), then the output options, and with Clicks the audio's.
type recipe struct {
	size     string
	num, den int
	sel      string
	seconds  string // the output's length (-t), the video's at least
	out      []string
	audio    []string // audio output options; default AAC 128k
}

// pcmAudio is the click track of the AVI and MXF sources: 16-bit PCM, as
// old captures and broadcast masters carry (AAC in AVI would start late
// by its encoder delay, which AVI cannot signal).
var pcmAudio = []string{"-c:a", "pcm_s16le"}

func (c Corpus) make(tb testing.TB, ext string, r recipe) string {
	tb.Helper()
	rate := fmt.Sprint(r.num)
	if r.den != 1 {
		rate += fmt.Sprintf("/%d", r.den)
	}
	args := []string{"-f", "lavfi", "-i", "testsrc2=size=" + r.size + ":rate=" + rate}
	var vf []string
	sel := r.sel
	if c.Clicks {
		period := (r.num + r.den) / (2 * r.den)
		if 48000*period*r.den%r.num != 0 {
			tb.Fatalf("testmedia: a click period of %d frames at %s fps is not a whole number of 48 kHz samples", period, rate)
		}
		samples := 48000 * period * r.den / r.num
		// (a second longer than the output: -t or -shortest ends it)
		var secs float64
		fmt.Sscan(r.seconds, &secs)
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("aevalsrc='if(lt(mod(n\\,%d)\\,48)\\,0.9\\,0)':s=48000:d=%g", samples, secs+1))
		vf = append(vf, "lutyuv=y=val/2",
			fmt.Sprintf("drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(mod(n\\,%d)\\,0)'", period))
		if sel != "" {
			sel = fmt.Sprintf("eq(mod(n\\,%d)\\,0)+%s", period, sel)
		}
	}
	if sel != "" {
		vf = append(vf, "select='"+sel+"'")
	}
	if len(vf) > 0 {
		args = append(args, "-vf", strings.Join(vf, ","))
	}
	out := r.out
	if c.Clicks && r.sel == "" {
		// -frames:v ends the audio early in some muxers (MXF drops the
		// last edit units, x265's delay leaves MP4 one audio packet): a
		// duration ends both streams together.
		out = nil
		for i := 0; i < len(r.out); i++ {
			if r.out[i] == "-frames:v" {
				i++
				continue
			}
			out = append(out, r.out[i])
		}
		out = append(out, "-t", r.seconds)
	}
	args = append(args, out...)
	if c.Clicks {
		audio := r.audio
		if audio == nil {
			audio = []string{"-c:a", "aac", "-b:a", "128k"}
		}
		args = append(args, audio...)
	}
	return File(tb, "corpus", ext, args...)
}

// VFRMP4 is H.264 in MP4 at a variable rate: 30 fps with about a third of
// the frames dropped at random, timestamps kept (phone-like), B-frames;
// 90 frames, 160x96.
func (c Corpus) VFRMP4(tb testing.TB) string {
	return c.make(tb, "mp4", recipe{size: "160x96", num: 30, den: 1, seconds: "6", sel: "gt(random(0)\\,0.35)",
		out: []string{"-fps_mode", "vfr", "-frames:v", "90", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "30", "-pix_fmt", "yuv420p"}})
}

// PackedAVI is MPEG-4 ASP (Xvid) in AVI at 24000/1001 with two B-frames,
// 60 frames: Xvid stores them "packed", each in the packet of the P-frame
// before it with a 7-byte N-VOP in its place.
func (c Corpus) PackedAVI(tb testing.TB) string {
	return c.make(tb, "avi", recipe{size: "160x96", num: 24000, den: 1001, seconds: "2.5025", audio: pcmAudio,
		out: []string{"-frames:v", "60", "-c:v", "libxvid", "-bf", "2", "-g", "24"}})
}

// RepeatAVI is Cinepak in AVI whose timestamps jump (frames 3 and 4 of
// every 10 dropped, 50 frames kept): the AVI muxer writes an empty chunk
// for every frame slot without a frame ("repeat the frame before").
func (c Corpus) RepeatAVI(tb testing.TB) string {
	return c.make(tb, "avi", recipe{size: "160x96", num: 25, den: 1, seconds: "2.5", audio: pcmAudio, sel: "not(between(mod(n\\,10)\\,3\\,4))",
		out: []string{"-fps_mode", "passthrough", "-frames:v", "50", "-c:v", "cinepak"}})
}

// CutAVI is a 50-frame Cinepak AVI cut at 60% of its bytes: its header
// lists 50 frames, the data holds fewer, the index at the end is gone. It
// is written beside the whole file in the cache.
func (c Corpus) CutAVI(tb testing.TB) string {
	tb.Helper()
	src := c.make(tb, "avi", recipe{size: "160x96", num: 25, den: 1, seconds: "2", audio: pcmAudio, out: []string{"-frames:v", "50", "-c:v", "cinepak"}})
	b, err := os.ReadFile(src)
	if err != nil {
		tb.Fatal(err)
	}
	return writeOnce(tb, filepath.Join(filepath.Dir(src), "cut-"+filepath.Base(src)), b[:len(b)*6/10])
}

// DNxMXF is DNxHR LB in MXF OP1a, 25 fps, 30 frames of 320x180 4:2:2,
// timecode 10:00:00:00; with Clicks the audio is 16-bit PCM, the only
// kind MXF OP1a holds.
func (c Corpus) DNxMXF(tb testing.TB) string {
	return c.make(tb, "mxf", recipe{size: "320x180", num: 25, den: 1,
		out:     []string{"-frames:v", "30", "-c:v", "dnxhd", "-profile:v", "dnxhr_lb", "-pix_fmt", "yuv422p", "-timecode", "10:00:00:00", "-f", "mxf"},
		seconds: "1.2", audio: pcmAudio})
}

// EditListMP4 is a 50-frame H.264 MP4 (B-frames, 25 fps) cut at 0.4 s by
// stream copy: the cut starts at the keyframe before, so the file holds
// 50 samples and an edit list that presents the last 40.
func (c Corpus) EditListMP4(tb testing.TB) string {
	src := c.make(tb, "mp4", recipe{size: "160x96", num: 25, den: 1, seconds: "2",
		out: []string{"-frames:v", "50", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "25", "-pix_fmt", "yuv420p"}})
	return File(tb, "corpus", "mp4", "-ss", "0.4", "-i", src, "-c", "copy")
}

// TimecodeMOV is H.264 in MOV with a tmcd track starting at 01:00:00:00,
// 30 frames at 25 fps.
func (c Corpus) TimecodeMOV(tb testing.TB) string {
	return c.make(tb, "mov", recipe{size: "160x96", num: 25, den: 1, seconds: "1.2",
		out: []string{"-frames:v", "30", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "12", "-pix_fmt", "yuv420p", "-timecode", "01:00:00:00"}})
}

// DiscontTS is two MPEG-TS segments of 20 frames (25 fps) joined byte for
// byte, the second's timestamps 100 s on (forward) or 100 s back
// (backward): a discontinuity in the middle, as a spliced broadcast
// capture has. It is written to the test's temporary directory.
func (c Corpus) DiscontTS(tb testing.TB, backward bool) string {
	tb.Helper()
	seg := func(offset string, second bool) []byte {
		out := []string{"-frames:v", "20", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", "-output_ts_offset", offset}
		if c.Clicks && second {
			// the second capture starts 0.2 s into the pattern: its first
			// click is not at the splice, where the two captures' audio
			// overlaps (the first's padding, the second's priming)
			out = append([]string{"-ss", "0.2"}, out...)
		}
		p := c.make(tb, "ts", recipe{size: "160x96", num: 25, den: 1, seconds: "0.8", out: out})
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	a, b, name := seg("0", false), seg("100", true), "discont-fwd.ts"
	if backward {
		a, b, name = seg("100", false), seg("0", true), "discont-back.ts"
	}
	return writeOnce(tb, filepath.Join(tb.TempDir(), name), append(a, b...))
}

// InterlacedH264 is 50 frames of interlaced (PAFF/MBAFF) x264, top field
// first, 320x240 at 25 fps, in MPEG-TS.
func (c Corpus) InterlacedH264(tb testing.TB) string {
	return c.make(tb, "ts", recipe{size: "320x240", num: 25, den: 1, seconds: "2",
		out: []string{"-frames:v", "50", "-c:v", "libx264", "-preset", "fast", "-pix_fmt", "yuv420p", "-g", "12", "-flags", "+ildct+ilme",
			"-field_order", "tt", "-x264-params", "interlaced=1:tff=1"}})
}

// InterlacedMPEG2 is 50 frames of interlaced MPEG-2, bottom field first,
// 320x240 at 25 fps, in MPEG-TS.
func (c Corpus) InterlacedMPEG2(tb testing.TB) string {
	return c.make(tb, "ts", recipe{size: "320x240", num: 25, den: 1, seconds: "2",
		out: []string{"-frames:v", "50", "-c:v", "mpeg2video", "-pix_fmt", "yuv420p", "-g", "12", "-flags", "+ildct+ilme", "-top", "0", "-field_order", "bb"}})
}

// HDR10Master is HDR10Source's mastering display in x265's syntax.
const HDR10Master = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)"

// HDR10Source is 20 frames of 10-bit HEVC (320x180, 25 fps) with PQ/BT.2020
// tags and HDR10 static metadata in its SEI (libx265 hdr10: mastering
// display HDR10Master, content light level 1000,400), none at container
// level.
func (c Corpus) HDR10Source(tb testing.TB) string {
	return c.make(tb, "mp4", recipe{size: "320x180", num: 25, den: 1, seconds: "0.8",
		out: []string{"-frames:v", "20", "-c:v", "libx265", "-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc",
			"-x265-params", "hdr10=1:master-display=" + HDR10Master + ":max-cll=1000,400:log-level=error"}})
}

// ClickFlash is 10 s of 25 fps H.264 (B-frames) whose frames k*25 are
// white, the others black, with 48 kHz AAC that clicks for the first 1 ms
// (48 samples) of every second: each click starts with its flash. vfr
// drops about a third of the other frames at random (fixed seed), keeping
// their timestamps, as a phone does.
func ClickFlash(tb testing.TB, vfr bool) string {
	vf := "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(mod(n\\,25)\\,0)'"
	args := []string{"-f", "lavfi", "-i", "color=c=black:size=160x96:rate=25",
		"-f", "lavfi", "-i", "aevalsrc='if(lt(mod(n\\,48000)\\,48)\\,0.9\\,0)':s=48000", "-t", "10"}
	if vfr {
		vf += ",select='eq(mod(n\\,25)\\,0)+gt(random(0)\\,0.35)'"
		args = append(args, "-fps_mode", "vfr")
	}
	args = append(args, "-vf", vf, "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "50", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k")
	return File(tb, "corpus", "mp4", args...)
}

// writeOnce writes data to path through a temporary file and a rename,
// unless path already holds it, and returns path.
func writeOnce(tb testing.TB, path string, data []byte) string {
	tb.Helper()
	if b, err := os.ReadFile(path); err == nil && string(b) == string(data) {
		return path
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*"+filepath.Ext(path))
	if err != nil {
		tb.Fatal(err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	return path
}
