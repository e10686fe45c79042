package vmaf

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/media"
)

// sharedDir locates ../shared/SUB beside the module root, failing the
// test when it is missing.
func sharedDir(t testing.TB, sub string) string {
	t.Helper()
	return testmedia.Shared(t, sub)
}

func needFFmpeg(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg CLI not on PATH (make deps installs it); the reference test decodes the FFV1 clips with it")
	}
}

// ffmpegReader decodes a file to raw planar YUV with the ffmpeg CLI and
// yields media.Frames. It reuses one frame buffer, like a real decoder.
type ffmpegReader struct {
	cmd    *exec.Cmd
	out    io.ReadCloser
	r      *bufio.Reader
	frame  *media.Frame
	index  int64
	stderr *limitedBuffer
}

type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if len(l.b) < 4096 {
		l.b = append(l.b, p...)
	}
	return len(p), nil
}

func newFFmpegReader(t testing.TB, path string, w, h int, format media.Format) *ffmpegReader {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", format.String(), "-")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	lb := &limitedBuffer{}
	cmd.Stderr = lb
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ffmpeg: %v", err)
	}
	fr := &ffmpegReader{cmd: cmd, out: out, r: bufio.NewReaderSize(out, 1<<20), frame: media.NewFrame(w, h, format), stderr: lb}
	t.Cleanup(func() { fr.Close() })
	return fr
}

func (f *ffmpegReader) ReadFrame(ctx context.Context) (*media.Frame, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, p := range f.frame.Planes {
		if _, err := io.ReadFull(f.r, p.Pix); err != nil {
			if i == 0 && errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("ffmpeg output truncated: %v (%s)", err, f.stderr.b)
		}
	}
	f.frame.Index = f.index
	f.index++
	return f.frame, nil
}

func (f *ffmpegReader) Close() {
	if f.cmd == nil {
		return
	}
	f.out.Close()
	_ = f.cmd.Wait()
	f.cmd = nil
}

// readAll decodes every frame of a clip into owned frames.
func readAll(t testing.TB, path string, w, h int, format media.Format) []*media.Frame {
	t.Helper()
	r := newFFmpegReader(t, path, w, h, format)
	var frames []*media.Frame
	for {
		f, err := r.ReadFrame(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f.Clone())
	}
	return frames
}
