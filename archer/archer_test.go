package archer

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"gocv.io/x/gocv"

	"github.com/reelmedia/reel/media"
)

var f420 = media.Format{Chroma: media.Chroma420, BitDepth: 8}

// fill sets every sample of a plane.
func fill(p media.Plane, v int) {
	for y := 0; y < p.Height; y++ {
		for x := 0; x < p.Width; x++ {
			set(p, x, y, v)
		}
	}
}

func set(p media.Plane, x, y, v int) {
	if p.BitDepth > 8 {
		binary.LittleEndian.PutUint16(p.Pix[y*p.Stride+2*x:], uint16(v))
		return
	}
	p.Pix[y*p.Stride+x] = byte(v)
}

// pattern makes a frame with a moving diagonal pattern (scene s changes
// the pattern and colour), luma scaled to the format's bit depth.
func pattern(idx int64, w, h int, format media.Format, scene int) *media.Frame {
	f := media.NewFrame(w, h, format)
	f.Index, f.PTS = idx, float64(idx)/25
	shift := format.BitDepth - 8
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 30 + scene*35
			if ((x+y*(scene+1)+int(idx)*2)/(4+scene*3))%2 == 1 {
				v = 150 + scene*25
			}
			set(f.Planes[0], x, y, v<<shift)
		}
	}
	for i := 1; i < len(f.Planes); i++ {
		fill(f.Planes[i], (60+scene*50*i)%256<<shift)
	}
	return f
}

func solid(idx int64, w, h, y int) *media.Frame {
	f := media.NewFrame(w, h, f420)
	f.Index, f.PTS = idx, float64(idx)/25
	fill(f.Planes[0], y)
	fill(f.Planes[1], 128)
	fill(f.Planes[2], 128)
	return f
}

func runFrames(t *testing.T, cfg Config, frames []*media.Frame) *Analysis {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a, err := r.Run(context.Background(), memSource(frames), RunOptions{Start: 0, End: int64(len(frames)), FPS: 25, Name: "mem"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A synthetic sequence: scene 0, a hard cut to scene 1, black, a still of
// scene 3, scene 2.
func synthetic() []*media.Frame {
	var fs []*media.Frame
	add := func(f *media.Frame) { f.Index = int64(len(fs)); f.PTS = float64(f.Index) / 25; fs = append(fs, f) }
	for i := 0; i < 30; i++ {
		add(pattern(int64(i), 96, 64, f420, 0))
	}
	for i := 0; i < 30; i++ {
		add(pattern(int64(i), 96, 64, f420, 1))
	}
	for i := 0; i < 30; i++ {
		add(solid(0, 96, 64, 16))
	}
	still := pattern(7, 96, 64, f420, 3)
	for i := 0; i < 30; i++ {
		add(still.Clone())
	}
	for i := 0; i < 20; i++ {
		add(pattern(int64(i), 96, 64, f420, 2))
	}
	return fs
}

func TestSyntheticFindings(t *testing.T) {
	cfg := Config{Analyzers: []string{Shots, Black, Freeze, Sharpness, Crop, SITI}, Threads: 2, ChunkFrames: 16,
		BlackMinDuration: 0.5, FreezeMinDuration: 0.5}
	a := runFrames(t, cfg, synthetic())
	if a.Start != 0 || a.End != 140 || len(a.Frames) != 140 {
		t.Fatalf("range [%d,%d) with %d frames, want [0,140)", a.Start, a.End, len(a.Frames))
	}
	var cuts []int64
	for _, b := range a.Boundaries {
		cuts = append(cuts, b.Frame)
	}
	// cut into scene 1, into black, out of black, out of the still
	if want := []int64{30, 60, 90, 120}; !reflect.DeepEqual(cuts, want) {
		t.Errorf("boundaries at %v, want %v (%+v)", cuts, want, a.Boundaries)
	}
	if len(a.Black) != 1 || a.Black[0].Start != 60 || a.Black[0].End != 90 {
		t.Errorf("black %+v, want [60,90)", a.Black)
	}
	// the black run is frozen too; the still is frozen from its first frame
	if len(a.Freeze) != 2 || a.Freeze[0].Start != 60 || a.Freeze[0].End != 90 || a.Freeze[1].Start != 90 || a.Freeze[1].End != 120 {
		t.Errorf("freeze %+v, want [60,90) and [90,120)", a.Freeze)
	}
	if len(a.Shots) != 5 {
		t.Fatalf("%d shots, want 5", len(a.Shots))
	}
	if th := a.Shots[2].Thumbnail; th != -1 {
		t.Errorf("black shot has thumbnail %d, want none", th)
	}
	if a.Shots[0].Sharpness <= 0 || a.Shots[0].SI <= 0 || a.Shots[0].TI <= 0 {
		t.Errorf("moving pattern shot: %+v, want positive sharpness, SI, TI", a.Shots[0])
	}
	if s := a.Shots[3]; s.TI > 1e-9 {
		t.Errorf("still shot TI = %g, want 0", s.TI)
	}
	if a.Crop == nil || a.Crop.Rect != (Rect{0, 0, 96, 64}) || a.Crop.Letterbox || a.Crop.Pillarbox {
		t.Errorf("crop %+v, want the full frame", a.Crop)
	}
	for _, f := range a.Frames {
		if f.Hist != nil || f.Grid != nil {
			t.Fatal("signatures must not be in the Analysis")
		}
	}
}

// TestDeterministic: the same Analysis whatever the thread count and chunking.
func TestDeterministic(t *testing.T) {
	frames := synthetic()
	base := Config{Analyzers: []string{Shots, Black, Freeze, Sharpness, Crop, SITI}, BlackMinDuration: 0.5, FreezeMinDuration: 0.5}
	var want []byte
	for _, tc := range []struct{ threads, chunk int }{{1, 1000}, {2, 16}, {3, 7}, {4, 2}} {
		cfg := base
		cfg.Threads, cfg.ChunkFrames = tc.threads, tc.chunk
		a := runFrames(t, cfg, frames)
		a.Analyzers = nil
		got, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
			continue
		}
		if string(got) != string(want) {
			t.Errorf("threads %d chunk %d: analysis differs from threads 1 chunk 1000", tc.threads, tc.chunk)
		}
	}
}

// TestPartialsRoundTrip: partials survive JSON (as between activities) and
// reduce to the same result; a gap is ErrIncomplete.
func TestPartialsRoundTrip(t *testing.T) {
	frames := synthetic()
	cfg := Config{Analyzers: []string{Shots, Black, Freeze, Sharpness, SITI}, Threads: 1}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	var ps []*Partial
	for _, c := range runChunks(0, int64(len(frames)), 50, 1, nil) {
		from := max(0, c.Start-Overlap)
		p, err := r.AnalyzeChunk(ctx, &memReader{frames: frames[from:c.End]}, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(p)
		var q Partial
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, &q)
	}
	// reverse order: Reduce sorts
	rev := []*Partial{ps[2], ps[1], ps[0]}
	a, err := Reduce(cfg, 25, rev)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := r.AnalyzeChunk(ctx, &memReader{frames: frames}, ChunkSpan{End: int64(len(frames))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Reduce(cfg, 25, []*Partial{whole})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Error("chunked partials after a JSON round trip reduce differently from one pass")
	}
	if _, err := Reduce(cfg, 25, []*Partial{ps[0], ps[2]}); !errors.Is(err, ErrIncomplete) {
		t.Errorf("gap: %v, want ErrIncomplete", err)
	}
	if _, err := Reduce(cfg, 25, nil); !errors.Is(err, ErrEmptyRange) {
		t.Errorf("no partials: %v, want ErrEmptyRange", err)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	good := func() *media.Frame { return pattern(0, 32, 32, f420, 0) }
	cases := []struct {
		name   string
		frames func() []*media.Frame
		span   ChunkSpan
		want   error
	}{
		{"zero size", func() []*media.Frame { f := good(); f.Width = 0; return []*media.Frame{f} }, ChunkSpan{}, ErrInvalidInput},
		{"7-bit", func() []*media.Frame { f := good(); f.Format.BitDepth = 7; return []*media.Frame{f} }, ChunkSpan{}, ErrUnsupportedFormat},
		{"17-bit", func() []*media.Frame { f := good(); f.Format.BitDepth = 17; return []*media.Frame{f} }, ChunkSpan{}, ErrUnsupportedFormat},
		{"bad chroma", func() []*media.Frame { f := good(); f.Format.Chroma = 9; return []*media.Frame{f} }, ChunkSpan{}, ErrUnsupportedFormat},
		{"missing planes", func() []*media.Frame { f := good(); f.Planes = f.Planes[:1]; return []*media.Frame{f} }, ChunkSpan{}, ErrUnsupportedFormat},
		{"short plane", func() []*media.Frame { f := good(); f.Planes[0].Pix = f.Planes[0].Pix[:100]; return []*media.Frame{f} }, ChunkSpan{}, ErrInvalidInput},
		{"plane size", func() []*media.Frame { f := good(); f.Planes[1].Width = 3; return []*media.Frame{f} }, ChunkSpan{}, ErrInvalidInput},
		{"size change", func() []*media.Frame {
			g := pattern(1, 64, 32, f420, 0)
			return []*media.Frame{good(), g}
		}, ChunkSpan{}, ErrInvalidInput},
		{"index jump", func() []*media.Frame { g := good(); g.Index = 5; return []*media.Frame{good(), g} }, ChunkSpan{}, ErrInvalidInput},
		{"no frames", func() []*media.Frame { return nil }, ChunkSpan{}, ErrEmptyRange},
		{"empty span", func() []*media.Frame { return []*media.Frame{good()} }, ChunkSpan{Start: 5, End: 5}, ErrEmptyRange},
		{"wrong start", func() []*media.Frame { return []*media.Frame{good()} }, ChunkSpan{Start: 3}, ErrEmptyRange},
		{"no context frame", func() []*media.Frame { g := good(); g.Index = 3; return []*media.Frame{g} }, ChunkSpan{Start: 3}, ErrInvalidInput},
	}
	r, err := New(Config{Analyzers: []string{"all"}, Threads: 1})
	if errors.Is(err, ErrCascadeNotFound) {
		if _, serr := os.Stat(DefaultCascade); errors.Is(serr, fs.ErrNotExist) {
			t.Skipf("faces need the Haar cascade %s (Debian package opencv-data): %v", DefaultCascade, err)
		}
	}
	if err != nil {
		t.Fatalf("New with every analyzer: %v", err)
	}
	defer r.Close()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.AnalyzeChunk(ctx, &memReader{frames: tc.frames()}, tc.span, nil)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// The runner stays usable after bad input.
	if _, err := r.AnalyzeChunk(ctx, &memReader{frames: []*media.Frame{good()}}, ChunkSpan{}, nil); err != nil {
		t.Errorf("after bad input: %v", err)
	}
	if _, err := r.Run(ctx, memSource(nil), RunOptions{Start: 4, End: 4, FPS: 25}); !errors.Is(err, ErrEmptyRange) {
		t.Errorf("Run on an empty range: %v, want ErrEmptyRange", err)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := New(Config{Analyzers: []string{"shots,bogus"}}); !errors.Is(err, ErrUnknownAnalyzer) {
		t.Errorf("unknown analyzer: %v", err)
	}
	_, err := New(Config{Analyzers: []string{Faces}, Cascade: filepath.Join(t.TempDir(), "missing.xml")})
	if !errors.Is(err, ErrCascadeNotFound) {
		t.Errorf("missing cascade: %v, want ErrCascadeNotFound", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.xml")
	os.WriteFile(bad, []byte("<opencv_storage>not a cascade</opencv_storage>"), 0o644)
	if _, err := New(Config{Analyzers: []string{Faces}, Cascade: bad}); !errors.Is(err, ErrCascadeNotFound) {
		t.Errorf("bad cascade: %v, want ErrCascadeNotFound", err)
	}
	if _, err := New(Config{BlackRatio: 2}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("black ratio 2: %v, want ErrInvalidInput", err)
	}
	got, err := ParseAnalyzers([]string{"thumbs"})
	if err != nil || !reflect.DeepEqual(got, []string{Shots, Sharpness, Thumbs}) {
		t.Errorf("thumbs pulls in shots and sharpness: %v %v", got, err)
	}
}

// TestDeepFormats: 10-bit 4:2:0, 8-bit 4:4:4 and gray analyse like the
// 8-bit 4:2:0 original.
func TestDeepFormats(t *testing.T) {
	cfg := Config{Analyzers: []string{Shots, Black, Freeze, Sharpness, Crop, SITI}, Threads: 1, BlackMinDuration: 0.5, FreezeMinDuration: 0.5}
	want := runFrames(t, cfg, synthetic())
	for _, format := range []media.Format{{Chroma: media.Chroma420, BitDepth: 10}, {Chroma: media.Chroma444, BitDepth: 8}, {Chroma: media.Chroma400, BitDepth: 8}} {
		var frames []*media.Frame
		for _, f := range synthetic() {
			g := media.NewFrame(f.Width, f.Height, format)
			g.Index, g.PTS = f.Index, f.PTS
			for i := range g.Planes {
				src := f.Planes[min(i, 2)]
				for y := 0; y < g.Planes[i].Height; y++ {
					for x := 0; x < g.Planes[i].Width; x++ {
						v := src.Sample(x*src.Width/g.Planes[i].Width, y*src.Height/g.Planes[i].Height)
						set(g.Planes[i], x, y, v<<(format.BitDepth-8))
					}
				}
			}
			frames = append(frames, g)
		}
		got := runFrames(t, cfg, frames)
		if len(got.Boundaries) != len(want.Boundaries) || len(got.Black) != len(want.Black) || len(got.Freeze) != len(want.Freeze) {
			t.Errorf("%s: %d boundaries, %d black, %d freeze; 8-bit 4:2:0 gives %d, %d, %d", format,
				len(got.Boundaries), len(got.Black), len(got.Freeze), len(want.Boundaries), len(want.Black), len(want.Freeze))
		}
		if d := math.Abs(got.Frames[10].SI - want.Frames[10].SI); d > 1e-6 {
			t.Errorf("%s: SI %g vs %g", format, got.Frames[10].SI, want.Frames[10].SI)
		}
	}
}

func TestCropLetterbox(t *testing.T) {
	var frames []*media.Frame
	for i := 0; i < 40; i++ {
		f := pattern(int64(i), 160, 96, f420, i/20)
		// 12 black rows top and bottom, 8 black columns left, 10 right
		for y := 0; y < 96; y++ {
			for x := 0; x < 160; x++ {
				if y < 12 || y >= 84 || x < 8 || x >= 150 {
					set(f.Planes[0], x, y, 16)
				}
			}
		}
		frames = append(frames, f)
	}
	frames[5] = solid(5, 160, 96, 16) // a black frame does not count
	a := runFrames(t, Config{Analyzers: []string{Crop}, Threads: 2, ChunkFrames: 8}, frames)
	want := Rect{X: 8, Y: 12, W: 142, H: 72}
	if a.Crop == nil || a.Crop.Rect != want || !a.Crop.Letterbox || !a.Crop.Pillarbox || a.Crop.Frames != 39 {
		t.Errorf("crop %+v, want %+v with letterbox and pillarbox over 39 frames", a.Crop, want)
	}
}

func TestSITIFlat(t *testing.T) {
	frames := []*media.Frame{solid(0, 64, 48, 100), solid(1, 64, 48, 100), solid(2, 64, 48, 140)}
	a := runFrames(t, Config{Analyzers: []string{SITI}, Threads: 1}, frames)
	if a.Frames[0].SI != 0 || a.Frames[1].TI != 0 {
		t.Errorf("flat frames: SI %g TI %g, want 0", a.Frames[0].SI, a.Frames[1].TI)
	}
	// a uniform step of 40 has no spread: TI (a standard deviation) is 0 too
	if a.Frames[2].TI != 0 {
		t.Errorf("uniform change: TI %g, want 0", a.Frames[2].TI)
	}
}

// frameFromImage converts a picture file to a 4:2:0 media.Frame.
func frameFromImage(t *testing.T, path string) *media.Frame {
	img := gocv.IMRead(path, gocv.IMReadColor)
	defer img.Close()
	if img.Empty() {
		t.Fatalf("cannot read %s", path)
	}
	w, h := img.Cols()&^1, img.Rows()&^1
	roi := img.Region(image.Rect(0, 0, w, h))
	defer roi.Close()
	even := roi.Clone()
	defer even.Close()
	yuv := gocv.NewMat()
	defer yuv.Close()
	gocv.CvtColor(even, &yuv, gocv.ColorBGRToYUVI420)
	b := yuv.ToBytes()
	f := media.NewFrame(w, h, f420)
	off := 0
	for i := range f.Planes {
		n := copy(f.Planes[i].Pix, b[off:])
		off += n
	}
	return f
}

func TestFaces(t *testing.T) {
	if _, err := os.Stat(DefaultCascade); err != nil {
		t.Skip("opencv-data not installed")
	}
	face := frameFromImage(t, "testdata/face-detect.jpg")
	var frames []*media.Frame
	for i := 0; i < 12; i++ {
		g := face.Clone()
		g.Index = int64(i)
		frames = append(frames, g)
	}
	a := runFrames(t, Config{Analyzers: []string{Shots, Faces}, Threads: 1, AnalysisHeight: 480, FaceEvery: 4}, frames)
	if a.Faces < 1 || len(a.Shots) != 1 || a.Shots[0].Faces != a.Faces {
		t.Errorf("faces: clip max %d, shots %+v; want at least one face in the one shot", a.Faces, a.Shots)
	}
	for _, f := range a.Frames {
		if sampled := f.Index%4 == 0; sampled != (f.Faces >= 0) {
			t.Errorf("frame %d: faces %d; only every 4th frame is sampled", f.Index, f.Faces)
		}
	}
}

func TestThumbnailsAndSheet(t *testing.T) {
	frames := synthetic()
	a := runFrames(t, Config{Analyzers: []string{Thumbs, Black}, Threads: 2, ChunkFrames: 32, ThumbWidth: 48}, frames)
	if len(a.Thumbnails) != 4 { // the black shot has none
		t.Fatalf("%d thumbnails, want 4: %+v", len(a.Thumbnails), a.Thumbnails)
	}
	for _, th := range a.Thumbnails {
		m, err := gocv.IMDecode(th.JPEG, gocv.IMReadColor)
		if err != nil || m.Cols() != 48 || m.Rows() != 32 {
			t.Errorf("shot %d: thumbnail %dx%d (%v), want 48x32", th.Shot, m.Cols(), m.Rows(), err)
		}
		m.Close()
		if s := a.Shots[th.Shot]; th.Frame < s.Start || th.Frame >= s.End {
			t.Errorf("thumbnail frame %d outside shot [%d,%d)", th.Frame, s.Start, s.End)
		}
	}
	sheet, err := ContactSheet(a.Thumbnails, 2)
	if err != nil {
		t.Fatal(err)
	}
	m, err := gocv.IMDecode(sheet, gocv.IMReadColor)
	if err != nil || m.Cols() != 8+2*(48+8) || m.Rows() != 8+2*(32+22+8) {
		t.Errorf("sheet %dx%d (%v)", m.Cols(), m.Rows(), err)
	}
	m.Close()
	if _, err := ContactSheet(nil, 4); !errors.Is(err, ErrEmptyRange) {
		t.Errorf("empty sheet: %v", err)
	}
	if _, err := ContactSheet([]Thumbnail{{JPEG: []byte("nope")}}, 4); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad jpeg: %v", err)
	}
}
