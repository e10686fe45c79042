package y4m_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/reelmedia/reel/media"
	"github.com/reelmedia/reel/media/y4m"
)

// Write two frames of 4:2:0 video to a .y4m stream, then read them back.
func Example() {
	format := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	var buf bytes.Buffer
	w, err := y4m.NewWriter(&buf, y4m.Header{Width: 4, Height: 2, FrameRateNum: 25, FrameRateDen: 1, Format: format})
	if err != nil {
		panic(err)
	}
	for i := 0; i < 2; i++ {
		f := media.NewFrame(4, 2, format)
		f.Planes[0].Pix[0] = byte(100 + i)
		if err := w.WriteFrame(f); err != nil {
			panic(err)
		}
	}
	w.Flush()

	r, err := y4m.NewReader(&buf, "example.y4m")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Header())
	for {
		f, err := r.ReadFrame(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			panic(err)
		}
		fmt.Printf("frame %d at %.2fs: %v, first sample %d\n", f.Index, f.PTS, f.Format, f.Planes[0].Sample(0, 0))
	}
	// Output:
	// YUV4MPEG2 W4 H2 F25:1 Ip C420jpeg
	// frame 0 at 0.00s: yuv420p, first sample 100
	// frame 1 at 0.04s: yuv420p, first sample 101
}
