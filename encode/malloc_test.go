package encode

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/asticode/go-astiav"
)

// rssAnon is the process's resident anonymous memory, in bytes.
func rssAnon(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "RssAnon:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Skip("no RssAnon in /proc/self/status")
	return 0
}

// FFmpeg's frame buffers (megabytes each, from glibc's malloc) go back to
// the system when they are freed, even with small allocations living
// between them: glibc's default would raise its mmap threshold after the
// first such free and keep later buffers in its heaps, where the small
// ones pin them (a worker's memory grew chunk after chunk).
func TestFrameBuffersReturned(t *testing.T) {
	alloc := func(n int) ([]*astiav.Frame, []*astiav.Packet) {
		var fs []*astiav.Frame
		var ps []*astiav.Packet
		for range n {
			f := astiav.AllocFrame()
			f.SetWidth(1920)
			f.SetHeight(1080)
			f.SetPixelFormat(astiav.PixelFormatYuv420P)
			if err := f.AllocBuffer(0); err != nil {
				t.Fatal(err)
			}
			if err := f.ImageFillBlack(); err != nil { // touch every page
				t.Fatal(err)
			}
			fs = append(fs, f)
			p := astiav.AllocPacket() // small, lives on
			if err := p.AllocPayload(4096); err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		return fs, ps
	}
	fs, ps := alloc(1)
	fs[0].Free() // glibc's dynamic threshold rises here
	defer func() {
		for _, p := range ps {
			p.Free()
		}
	}()
	before := rssAnon(t)
	fs, more := alloc(64) // about 200 MB
	ps = append(ps, more...)
	during := rssAnon(t)
	for _, f := range fs {
		f.Free()
	}
	after := rssAnon(t)
	t.Logf("anonymous memory: %d MiB, %d MiB with 64 1080p frames, %d MiB after freeing them", before>>20, during>>20, after>>20)
	if during-before < 150<<20 {
		t.Skipf("64 frames added only %d MiB: cannot judge", (during-before)>>20)
	}
	if kept := after - before; kept > 32<<20 {
		t.Fatalf("%d MiB of 64 freed 1080p frames still resident", kept>>20)
	}
}
