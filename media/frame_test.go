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
