package encode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var sentinels = []error{ErrNotFound, ErrEmpty, ErrTruncated, ErrInvalidData, ErrNoVideo, ErrUnsupportedCodec,
	ErrUnsupportedPixFmt, ErrRangeOutOfBounds, ErrOutputUnwritable, ErrHeaderMismatch, ErrNoAudioTrack, ErrIndexMismatch}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// badInput is one case of the bad-input table; its bytes double as fuzz seeds.
type badInput struct {
	name string
	make func(t testing.TB, dir string) string // returns the input path
	want error
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t testing.TB, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tinyClip is a 5-frame 32x18 clip, small enough for a fuzz seed.
func tinyClip(t testing.TB, ext string, extra ...string) string {
	args := []string{"-f", "lavfi", "-i", "testsrc2=size=32x18:rate=25", "-frames:v", "5", "-c:v", "libx264", "-preset", "ultrafast", "-g", "2", "-pix_fmt", "yuv420p"}
	return testMedia(t, ext, append(args, extra...)...)
}

var badInputs = []badInput{
	{"missing", func(t testing.TB, dir string) string { return filepath.Join(dir, "nope.mp4") }, ErrNotFound},
	{"empty", func(t testing.TB, dir string) string { return writeFile(t, dir, "empty.mp4", nil) }, ErrEmpty},
	{"text", func(t testing.TB, dir string) string {
		return writeFile(t, dir, "notes.mp4", []byte(strings.Repeat("this is not a video\n", 50)))
	}, ErrInvalidData},
	{"random", func(t testing.TB, dir string) string {
		b := make([]byte, 4096)
		for i := range b {
			b[i] = byte(i*7919 + i/13)
		}
		return writeFile(t, dir, "random.bin", b)
	}, ErrInvalidData},
	{"truncated-moov-at-end", func(t testing.TB, dir string) string {
		b := readFile(t, srcClip(t))
		return writeFile(t, dir, "cut.mp4", b[:len(b)*6/10])
	}, ErrTruncated},
	{"truncated-faststart", func(t testing.TB, dir string) string {
		b := readFile(t, tinyClip(t, "mp4", "-movflags", "+faststart"))
		return writeFile(t, dir, "cutfs.mp4", b[:len(b)*7/10])
	}, ErrTruncated},
	{"truncated-mkv-header", func(t testing.TB, dir string) string {
		b := readFile(t, tinyClip(t, "mkv"))
		return writeFile(t, dir, "cut.mkv", b[:100])
	}, ErrTruncated},
	{"no-video", func(t testing.TB, dir string) string {
		return testMedia(t, "m4a", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-c:a", "aac")
	}, ErrNoVideo},
	{"unknown-codec", func(t testing.TB, dir string) string {
		b := readFile(t, testMedia(t, "mkv", "-f", "lavfi", "-i", "testsrc2=size=64x36:rate=25", "-frames:v", "3", "-c:v", "ffv1"))
		i := bytes.Index(b, []byte("FFV1"))
		if i < 0 {
			t.Fatal("no FFV1 fourcc")
		}
		b = append([]byte(nil), b...)
		copy(b[i:], "ZQX9")
		return writeFile(t, dir, "unknown.mkv", b)
	}, ErrUnsupportedCodec},
}

// TestBadInputs runs every bad input through strict Probe (file and
// ReaderInput), OpenFrames and EncodeRange: a typed one-line error and no
// output left. (Without Strict, a file that is only cut short is decoded as
// far as it goes: TestLenientTruncated.)
func TestBadInputs(t *testing.T) {
	ctx := context.Background()
	for _, c := range badInputs {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := c.make(t, dir)
			outDir := t.TempDir()
			_, perr := Probe(ctx, FileInput(path), ProbeOptions{Strict: true})
			derr := decodeAllOpts(ctx, FileInput(path), DecodeOptions{Strict: true})
			_, eerr := EncodeRange(ctx, FileInput(path), filepath.Join(outDir, "out.mp4"), Profile{Codec: "x264", Preset: "ultrafast", Strict: true}, 0, 0, nil)
			for i, err := range []error{perr, derr, eerr} {
				if c.want == ErrNoVideo && i == 0 || c.want == ErrUnsupportedCodec && i == 0 {
					if err != nil {
						t.Errorf("probe should describe the file, got %v", err)
					}
					continue
				}
				if !errors.Is(err, c.want) {
					t.Errorf("call %d: err = %v, want %v", i, err, c.want)
					continue
				}
				msg := err.Error()
				if strings.Contains(msg, "\n") || !strings.Contains(msg, filepath.Base(path)) {
					t.Errorf("message %q: want one line naming the file", msg)
				}
			}
			assertNoLeftovers(t, outDir)
			if c.name == "missing" || c.name == "empty" {
				return
			}
			data := readFile(t, path)
			_, rerr := Probe(ctx, ReaderInput("mem:"+filepath.Base(path), bytes.NewReader(data), int64(len(data))), ProbeOptions{Strict: true})
			if c.want == ErrNoVideo || c.want == ErrUnsupportedCodec {
				if rerr != nil {
					t.Errorf("ReaderInput probe: %v", rerr)
				}
			} else if !errors.Is(rerr, c.want) {
				t.Errorf("ReaderInput probe: err = %v, want %v", rerr, c.want)
			}
		})
	}
}

func TestRangeOutOfBounds(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClip(t))
	for _, r := range [][2]int64{{900, 950}, {70, 80}, {-1, 5}, {10, 5}, {75, 0}} {
		_, err := OpenFrames(ctx, src, DecodeOptions{Start: r[0], End: r[1]})
		if !errors.Is(err, ErrRangeOutOfBounds) {
			t.Errorf("range %v: err = %v", r, err)
		}
		dir := t.TempDir()
		_, err = EncodeRange(ctx, src, filepath.Join(dir, "o.mp4"), Profile{Preset: "ultrafast"}, r[0], r[1], nil)
		if !errors.Is(err, ErrRangeOutOfBounds) {
			t.Errorf("encode range %v: err = %v", r, err)
		}
		assertNoLeftovers(t, dir)
	}
	_, err := OpenFrames(ctx, src, DecodeOptions{Start: 900, End: 950})
	want := fmt.Sprintf("decode %q: frame range 900:950 outside the clip (0:75)", src.Path)
	if err == nil || err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	// a container without a frame count (mkv) finds out at the end
	mkv := testMedia(t, "mkv", "-i", srcClip(t), "-c", "copy")
	_, err = EncodeRange(ctx, FileInput(mkv), filepath.Join(t.TempDir(), "o.mkv"), Profile{Preset: "ultrafast"}, 70, 80, nil)
	if !errors.Is(err, ErrRangeOutOfBounds) {
		t.Errorf("mkv range: err = %v", err)
	}
}

func TestUnwritableOutput(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClip(t))
	dir := t.TempDir()
	file := writeFile(t, dir, "afile", []byte("x"))
	for _, out := range []string{filepath.Join(dir, "missing", "o.mp4"), filepath.Join(file, "o.mp4")} {
		_, err := EncodeRange(ctx, src, out, Profile{Preset: "ultrafast"}, 0, 5, nil)
		if !errors.Is(err, ErrOutputUnwritable) {
			t.Errorf("%s: err = %v", out, err)
		}
		_, err = Concat(ctx, []string{src.Path}, out, ConcatOptions{})
		if !errors.Is(err, ErrOutputUnwritable) {
			t.Errorf("concat %s: err = %v", out, err)
		}
	}
}

func TestDecodePixFmt(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClip(t))
	if _, err := OpenFrames(ctx, src, DecodeOptions{PixFmt: "rgb24"}); !errors.Is(err, ErrUnsupportedPixFmt) {
		t.Errorf("rgb24: err = %v", err)
	}
	frames := readAll(t, src, DecodeOptions{Start: 5, End: 8, PixFmt: "yuv444p10le", Width: 160, Scaler: "lanczos"})
	if len(frames) != 3 || frames[0].Width != 160 || frames[0].Height != 90 || frames[0].Format.BitDepth != 10 || frames[0].Index != 5 {
		t.Errorf("converted frames: %d %+v", len(frames), frames[0])
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := OpenFrames(ctx, FileInput(srcClip(t)), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ReadFrame(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := r.ReadFrame(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v", err)
	}
}

// FuzzProbe feeds corrupted media to Probe and a short decode: never a
// panic or a hang, always nil or one of the package's sentinels.
func FuzzProbe(f *testing.F) {
	for _, c := range badInputs {
		if c.name == "missing" || c.name == "truncated-moov-at-end" || c.name == "no-video" {
			continue
		}
		p := c.make(f, f.TempDir())
		f.Add(readFile(f, p))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		in := ReaderInput("fuzz", bytes.NewReader(data), int64(len(data)))
		info, err := Probe(ctx, in, ProbeOptions{Keyframes: true})
		if err != nil {
			if !isSentinel(err) && ctx.Err() == nil {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if info.FrameCount < 0 {
			t.Fatalf("negative frame count")
		}
		r, err := OpenFrames(ctx, in, DecodeOptions{End: min(info.FrameCount, 5)})
		if err != nil {
			if !isSentinel(err) && ctx.Err() == nil {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		defer r.Close()
		for i := 0; i < 5; i++ {
			fr, err := r.ReadFrame(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				if !isSentinel(err) && ctx.Err() == nil {
					t.Fatalf("untyped error: %v", err)
				}
				return
			}
			for _, p := range fr.Planes {
				if len(p.Pix) < p.Stride*(p.Height-1)+p.Width {
					t.Fatalf("plane too short")
				}
			}
		}
	})
}

// decodeAll opens in and reads every frame, returning the first error.
func decodeAll(ctx context.Context, in Input) error { return decodeAllOpts(ctx, in, DecodeOptions{}) }

func decodeAllOpts(ctx context.Context, in Input, opts DecodeOptions) error {
	r, err := OpenFrames(ctx, in, opts)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		if _, err := r.ReadFrame(ctx); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// A Matroska source with a hole in its timestamps (indexed at a constant
// rate from its tail) cannot give a frame-exact chunk: strict refuses it;
// otherwise the frame before stands in for the missing one, as the ffmpeg
// CLI's constant-rate output does, and the chunk says so.
func TestTimestampGap(t *testing.T) {
	src := testMedia(t, "mkv", "-f", "lavfi", "-i", "testsrc2=size=64x36:rate=25", "-frames:v", "40",
		"-vf", "select='not(eq(n\\,20))'", "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "ultrafast")
	out := filepath.Join(t.TempDir(), "o.mkv")
	_, err := EncodeRange(context.Background(), FileInput(src), out, Profile{Preset: "ultrafast", Strict: true}, 10, 30, nil)
	if !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), "gaps") {
		t.Fatalf("err = %v, want ErrInvalidData about gaps", err)
	}
	if _, serr := os.Stat(out); serr == nil {
		t.Fatal("output left behind")
	}
	res, err := EncodeRange(context.Background(), FileInput(src), out, Profile{Preset: "ultrafast"}, 10, 30, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames != 20 || !hasProblem(res.Problems, "missing") {
		t.Errorf("%d frames, problems %v; want 20 and a missing frame", res.Frames, res.Problems)
	}
}
