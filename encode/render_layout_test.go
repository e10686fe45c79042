package encode

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/media"
)

// rampSeq writes n float EXR frames w x h: a horizontal ramp from 0.2 to
// 0.8 (never black) shifted right by w/8 per frame, so frames differ.
func rampSeq(t *testing.T, dir string, start, n, w, h int) []string {
	t.Helper()
	var files []string
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("ramp.%04d.exr", start+i))
		err := testmedia.WriteEXR(p, w, h, false, func(x, y int) [3]float32 {
			v := 0.2 + 0.6*float32((x+i*w/8)%w)/float32(w)
			if (y/8)%2 == 1 {
				v = 0.8 - (v - 0.2)
			}
			return [3]float32{v, v, v}
		})
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	return files
}

// TestRenderSlateThumbnail: the slate holds a thumbnail of the frame
// asked for: its box matches that frame rendered alone at the box's size,
// and not another frame.
func TestRenderSlateThumbnail(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const w, h = 320, 180
	files := rampSeq(t, dir, 1001, 9, w, h)
	frames := plainFrames(files, 1001)
	out := filepath.Join(dir, "slate.mov")
	if _, err := Render(ctx, LocalFiles{}, frames, out, RenderOptions{FontFile: testFont, Slate: []string{"Shot: sh010", "Version: v003"},
		SlateThumb: files[4]}); err != nil {
		t.Fatal(err)
	}
	slate := renderedFrames(t, out)[0]
	box := slateThumbBox(w, h, w, h, [2]int{2, 1})
	if box.w < w/3 || box.h < h/3 {
		t.Fatalf("thumbnail box %+v is too small", box)
	}
	alone := func(i int) *media.Frame {
		p := filepath.Join(dir, fmt.Sprintf("alone%d.mov", i))
		if _, err := Render(ctx, LocalFiles{}, frames[i:i+1], p, RenderOptions{Width: box.w, Height: box.h}); err != nil {
			t.Fatal(err)
		}
		return renderedFrames(t, p)[0]
	}
	diff := func(ref *media.Frame) float64 {
		var s float64
		for y := 0; y < box.h; y++ {
			for x := 0; x < box.w; x++ {
				s += math.Abs(float64(slate.Planes[0].Sample(box.x+x, box.y+y) - ref.Planes[0].Sample(x, y)))
			}
		}
		return s / float64(box.w*box.h)
	}
	same, other := diff(alone(4)), diff(alone(0))
	t.Logf("thumbnail vs its frame: mean |dY| %.2f; vs frame 1001: %.2f (10-bit codes)", same, other)
	if same > 4 || other < 40 {
		t.Errorf("thumbnail: mean |dY| %.2f against its frame (want ≤ 4), %.2f against another (want ≥ 40)", same, other)
	}
	// around the box the slate is black (the lines are under it)
	if m := meanY(slate, 0, 0, w, box.y); box.y > 0 && m > 70 {
		t.Errorf("above the thumbnail: mean Y %.1f, want black", m)
	}
	if m := meanY(slate, 0, box.y, box.x, box.y+box.h); m > 70 {
		t.Errorf("left of the thumbnail: mean Y %.1f, want black", m)
	}
}

// rowMeans is the mean luma of every row of f.
func rowMeans(f *media.Frame) []float64 {
	w, h := f.Planes[0].Width, f.Planes[0].Height
	out := make([]float64, h)
	for y := range out {
		out[y] = meanY(f, 0, y, w, y+1)
	}
	return out
}

// TestRenderFitAndMask: 16:9 frames into other sizes. Letterbox puts black
// bars above and below a picture that keeps its aspect; crop fills the
// frame with the picture's centre; stretch squeezes the whole picture in.
// A 2.39 mask darkens the picture's top and bottom so that what stays
// visible is 2.39:1, opaque black at opacity 1 and half way at 0.5.
func TestRenderFitAndMask(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const w, h = 160, 90
	files := rampSeq(t, dir, 1, 1, w, h)
	frames := plainFrames(files, 1)
	render := func(name string, o RenderOptions) *media.Frame {
		t.Helper()
		p := filepath.Join(dir, name)
		res, err := Render(ctx, LocalFiles{}, frames, p, o)
		if err != nil {
			t.Fatal(err)
		}
		if o.Width > 0 && (res.Width != o.Width || res.Height != o.Height) {
			t.Fatalf("%s: %dx%d, want %dx%d", name, res.Width, res.Height, o.Width, o.Height)
		}
		return renderedFrames(t, p)[0]
	}
	const black, dark = 64, 80 // 10-bit limited-range black, and under what a bar must stay
	bright := func(v float64) bool { return v > 300 }

	// letterbox (the default): 160x120 holds a 160x90 picture at rows 15-104
	lb := render("letterbox.mov", RenderOptions{Width: 160, Height: 120})
	rows := rowMeans(lb)
	var pic []int
	for y, m := range rows {
		if bright(m) {
			pic = append(pic, y)
		} else if m > dark {
			t.Errorf("letterbox row %d: mean Y %.1f, neither bar nor picture", y, m)
		}
	}
	if len(pic) < 88 || len(pic) > 92 || pic[0] < 14 || pic[0] > 16 {
		t.Errorf("letterbox: picture rows %d from %v, want 90 from 15", len(pic), pic[:min(1, len(pic))])
	}

	// crop into a square keeps the centre: the left column is the source's
	// column 35 (of 160), not its first; stretch keeps the first
	src := render("src.mov", RenderOptions{})
	crop := render("crop.mov", RenderOptions{Width: 90, Height: 90, Fit: "crop"})
	stretch := render("stretch.mov", RenderOptions{Width: 90, Height: 90, Fit: "stretch"})
	col := func(f *media.Frame, x int) float64 { return meanY(f, x, 0, x+1, 8) }
	if d := math.Abs(col(crop, 1) - col(src, 36)); d > 8 {
		t.Errorf("crop: left column %.1f, source column 36 %.1f", col(crop, 1), col(src, 36))
	}
	if d := math.Abs(col(stretch, 1) - col(src, 2)); d > 8 {
		t.Errorf("stretch: left column %.1f, source column 2 %.1f", col(stretch, 1), col(src, 2))
	}
	for y, m := range rowMeans(crop) {
		if !bright(m) {
			t.Errorf("crop row %d: mean Y %.1f: bars where the picture should fill", y, m)
			break
		}
	}

	// mask 2.39 over the 160x90 picture: 160/2.39 = 67 rows stay visible
	for _, c := range []struct {
		name    string
		opacity float64
	}{{"mask.mov", 0}, {"mask-half.mov", 0.5}} {
		m := render(c.name, RenderOptions{Mask: 2.39, MaskOpacity: c.opacity})
		visible := 0
		srcRows := rowMeans(src)
		for y, v := range rowMeans(m) {
			want := srcRows[y]
			switch {
			case math.Abs(v-want) < 4:
				visible++
			case c.opacity == 0 && v > dark:
				t.Errorf("%s row %d: mean Y %.1f, neither masked (black) nor the picture (%.1f)", c.name, y, v, want)
			case c.opacity == 0.5 && math.Abs(v-(want+black)/2) > 4:
				t.Errorf("%s row %d: mean Y %.1f, want half way to black (%.1f)", c.name, y, v, (want+black)/2)
			}
		}
		if got := float64(w) / float64(visible); math.Abs(got-2.39) > 0.08 {
			t.Errorf("%s: %d rows visible, aspect %.3f, want 2.39", c.name, visible, got)
		}
	}
}

// TestRenderBurninsInPicture: with letterbox bars, burn-ins sit on the
// picture, not the bars: a top-left and a bottom-right burn-in change
// only pixels inside the picture, starting at its edges (margin less the
// box border), and the bars stay black.
func TestRenderBurninsInPicture(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := rampSeq(t, dir, 1001, 1, 160, 90)
	plain := plainFrames(files, 1001)
	burned := plainFrames(files, 1001)
	burned[0].Burnins = []string{"1001", "sh010"}
	o := RenderOptions{Width: 160, Height: 160, FontFile: testFont}
	render := func(name string, fs []RenderFrame, o RenderOptions) *media.Frame {
		p := filepath.Join(dir, name)
		if _, err := Render(ctx, LocalFiles{}, fs, p, o); err != nil {
			t.Fatal(err)
		}
		return renderedFrames(t, p)[0]
	}
	a := render("plain.mov", plain, o)
	o.Burnins = []string{"top-left", "bottom-right"}
	b := render("burned.mov", burned, o)
	top, bottom := 160, -1
	for y := 0; y < 160; y++ {
		for x := 0; x < 160; x++ {
			if math.Abs(float64(a.Planes[0].Sample(x, y)-b.Planes[0].Sample(x, y))) > 40 {
				top, bottom = min(top, y), max(bottom, y)
			}
		}
	}
	// the picture is rows 35-124; margin 2, box border 2
	t.Logf("burn-ins span rows %d-%d; the picture 35-124", top, bottom)
	if top < 35 || top > 37 || bottom > 124 || bottom < 122 {
		t.Errorf("burn-ins span rows %d-%d, want inside the picture's rows 35-124, at its edges", top, bottom)
	}
}
