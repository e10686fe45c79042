package media

import "testing"

func TestFormatString(t *testing.T) {
	cases := []struct {
		f    Format
		want string
	}{
		{Format{Chroma420, 8}, "yuv420p"},
		{Format{Chroma422, 10}, "yuv422p10le"},
		{Format{Chroma444, 12}, "yuv444p12le"},
		{Format{Chroma400, 8}, "gray"},
	}
	for _, c := range cases {
		if got := c.f.String(); got != c.want {
			t.Errorf("%v: got %q want %q", c.f, got, c.want)
		}
	}
}

func TestCloneAndSample(t *testing.T) {
	f := NewFrame(5, 3, Format{Chroma420, 10})
	if cw, ch := f.Planes[1].Width, f.Planes[1].Height; cw != 3 || ch != 2 {
		t.Fatalf("chroma size %dx%d, want 3x2", cw, ch)
	}
	y := f.Planes[0]
	y.Pix[2*y.Stride+2*4] = 0xff
	y.Pix[2*y.Stride+2*4+1] = 0x03
	if got := y.Sample(4, 2); got != 1023 {
		t.Fatalf("Sample = %d, want 1023", got)
	}
	c := f.Clone()
	y.Pix[2*y.Stride+2*4] = 0
	if got := c.Planes[0].Sample(4, 2); got != 1023 {
		t.Fatalf("clone shares memory: %d", got)
	}
}

func TestCloneInto(t *testing.T) {
	big := NewFrame(8, 8, Format{Chroma420, 8})
	small := NewFrame(4, 2, Format{Chroma420, 8})
	small.Index = 7
	small.Planes[0].Pix[5] = 9
	mem := &big.Planes[0].Pix[0]
	c := small.CloneInto(big)
	if c != big || &c.Planes[0].Pix[0] != mem {
		t.Fatal("CloneInto did not reuse the larger frame's memory")
	}
	if c.Index != 7 || c.Width != 4 || len(c.Planes[0].Pix) != 8 || c.Planes[0].Pix[5] != 9 || c.Planes[0].Stride != 4 {
		t.Fatalf("copy: %+v", c.Planes[0])
	}
	old := &small.Planes[0].Pix[0]
	grown := NewFrame(8, 8, Format{Chroma420, 8}).CloneInto(small) // small is too small: new memory
	if len(grown.Planes[0].Pix) != 64 || &grown.Planes[0].Pix[0] == old {
		t.Fatalf("grown luma %d bytes, want 64", len(grown.Planes[0].Pix))
	}
	gray := NewFrame(4, 2, Format{Chroma400, 8})
	if g := gray.CloneInto(c); g == c || len(g.Planes) != 1 {
		t.Fatal("a different plane count must give a new frame")
	}
}
