package archer

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/media"
)

// Test media is generated with the ffmpeg CLI (lavfi sources with fixed
// seeds) by internal/testmedia, cached by command line and FFmpeg version,
// so reruns are fast and nothing large lives in the repository.

func needFFmpeg(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		tb.Fatal("ffmpeg CLI not installed (make deps installs it)")
	}
}

// generate runs ffmpeg with args (the output file implied) once and
// returns the cached file.
func generate(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	return testmedia.File(tb, name, "mkv", args...)
}

// pipeReader decodes a file with the ffmpeg CLI to raw yuv420p on a pipe.
type pipeReader struct {
	cmd   *exec.Cmd
	out   io.ReadCloser
	br    *bufio.Reader
	frame *media.Frame
	buf   []byte
	next  int64
	end   int64 // 0: until EOF
	fps   float64
}

// openPipe starts ffmpeg decoding frames [start, end) of path (end 0 = all),
// scaled to w×h when w > 0. extra goes before -i (e.g. -ss for seeking).
func openPipe(path string, w, h int, start, end int64, fps float64, seek bool) (*pipeReader, error) {
	args := []string{"-nostdin", "-v", "error", "-threads", "0"}
	var vf []string
	if seek && start > 0 {
		args = append(args, "-ss", fmt.Sprintf("%.6f", float64(start)/fps))
	} else if start > 0 || end > 0 {
		e := "inf"
		if end > 0 {
			e = fmt.Sprint(end - 1)
		}
		vf = append(vf, fmt.Sprintf("select=between(n\\,%d\\,%s)", start, e))
	}
	args = append(args, "-i", path)
	if w > 0 {
		vf = append(vf, fmt.Sprintf("scale=%d:%d:flags=area", w, h))
	}
	if len(vf) > 0 {
		args = append(args, "-vf", strings.Join(vf, ","))
	}
	if end > 0 {
		args = append(args, "-frames:v", fmt.Sprint(end-start))
	}
	args = append(args, "-vsync", "0", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
	if w <= 0 {
		var err error
		if w, h, err = probeSize(path); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command("ffmpeg", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := media.NewFrame(w, h, media.Format{Chroma: media.Chroma420, BitDepth: 8})
	size := 0
	for _, p := range f.Planes {
		size += len(p.Pix)
	}
	return &pipeReader{cmd: cmd, out: out, br: bufio.NewReaderSize(out, 1<<20), frame: f, buf: make([]byte, size), next: start, end: end, fps: fps}, nil
}

func probeSize(path string) (int, int, error) {
	b, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("ffprobe %s: %w", path, err)
	}
	var w, h int
	_, err = fmt.Sscanf(strings.TrimSpace(string(b)), "%d,%d", &w, &h)
	return w, h, err
}

func (r *pipeReader) ReadFrame(ctx context.Context) (*media.Frame, error) {
	if r.end > 0 && r.next >= r.end {
		return nil, io.EOF
	}
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("truncated frame %d", r.next)
		}
		return nil, err
	}
	off := 0
	for i := range r.frame.Planes {
		n := len(r.frame.Planes[i].Pix)
		r.frame.Planes[i].Pix = r.buf[off : off+n]
		off += n
	}
	r.frame.Index = r.next
	r.frame.PTS = float64(r.next) / r.fps
	r.next++
	return r.frame, nil
}

func (r *pipeReader) Close() error {
	r.out.Close()
	r.cmd.Process.Kill()
	r.cmd.Wait()
	return nil
}

// pipeSource opens ranges with openPipe.
func pipeSource(path string, w, h int, fps float64, seek bool) Source {
	return SourceFunc(func(ctx context.Context, start, end int64) (media.FrameReader, error) {
		return openPipe(path, w, h, start, end, fps, seek)
	})
}

// memReader yields in-memory frames.
type memReader struct {
	frames []*media.Frame
	i      int
}

func (m *memReader) ReadFrame(ctx context.Context) (*media.Frame, error) {
	if m.i >= len(m.frames) {
		return nil, io.EOF
	}
	m.i++
	return m.frames[m.i-1], nil
}

// memSource serves ranges of in-memory frames.
func memSource(frames []*media.Frame) Source {
	return SourceFunc(func(ctx context.Context, start, end int64) (media.FrameReader, error) {
		if start < 0 || end > int64(len(frames)) || start >= end {
			return nil, fmt.Errorf("range [%d,%d) out of [0,%d)", start, end, len(frames))
		}
		return &memReader{frames: frames[start:end]}, nil
	})
}

// decodeAll decodes a whole file into memory (small clips only).
func decodeAll(tb testing.TB, path string, fps float64) []*media.Frame {
	tb.Helper()
	r, err := openPipe(path, 0, 0, 0, 0, fps, false)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var out []*media.Frame
	for {
		f, err := r.ReadFrame(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, f.Clone())
	}
	return out
}
