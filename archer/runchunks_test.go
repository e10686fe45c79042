package archer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/reelmedia/reel/media"
)

func TestRunChunks(t *testing.T) {
	span := func(cs []ChunkSpan) [][2]int64 {
		var out [][2]int64
		for i, c := range cs {
			if c.Index != i {
				t.Fatalf("chunk %d has index %d", i, c.Index)
			}
			out = append(out, [2]int64{c.Start, c.End})
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		start, end int64
		n          int64
		threads    int
		keyframes  []int64
		want       [][2]int64
	}{
		{"fixed", 0, 250, 100, 1, nil, [][2]int64{{0, 100}, {100, 200}, {200, 250}}},
		{"short range keeps both workers busy", 0, 250, 500, 2, nil, [][2]int64{{0, 125}, {125, 250}}},
		{"boundary moves to the nearest keyframe", 0, 250, 500, 2, []int64{0, 90, 170}, [][2]int64{{0, 90}, {90, 170}, {170, 250}}},
		{"whole rounds, the last one halved", 0, 1000, 120, 2, nil,
			[][2]int64{{0, 100}, {100, 200}, {200, 300}, {300, 400}, {400, 500}, {500, 600}, {600, 700}, {700, 800}, {800, 850}, {850, 900}, {900, 950}, {950, 1000}}},
		{"keyframes: boundaries on them, the last round halved", 0, 1000, 200, 2, every(0, 1000, 50),
			[][2]int64{{0, 150}, {150, 350}, {350, 500}, {500, 650}, {650, 750}, {750, 850}, {850, 900}, {900, 1000}}},
		{"keyframes: two rounds at least", 0, 400, 500, 2, every(0, 400, 25),
			[][2]int64{{0, 100}, {100, 200}, {200, 250}, {250, 300}, {300, 350}, {350, 400}}},
		{"no keyframe in reach: merge, or cut where it is once a chunk is full", 0, 400, 100, 2, []int64{0},
			[][2]int64{{0, 100}, {100, 200}, {200, 300}, {300, 400}}},
		{"keyframe out of reach is ignored", 0, 400, 100, 1, []int64{0, 10, 260}, [][2]int64{{0, 100}, {100, 200}, {200, 260}, {260, 400}}},
		{"tie goes to the earlier keyframe", 0, 300, 100, 1, []int64{90, 110}, [][2]int64{{0, 90}, {90, 190}, {190, 300}}},
		{"short tail joins the chunk before", 10, 125, 50, 1, nil, [][2]int64{{10, 60}, {60, 125}}},
		{"tiny range", 0, 3, 500, 4, nil, [][2]int64{{0, 2}, {2, 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := span(runChunks(tc.start, tc.end, tc.n, tc.threads, tc.keyframes))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// every lists the keyframes of a GOP of g frames over [from, to).
func every(from, to, g int64) []int64 {
	var k []int64
	for f := from; f < to; f += g {
		k = append(k, f)
	}
	return k
}

// RunSpans are runChunks' chunks as their readers open them.
func TestRunSpans(t *testing.T) {
	got := RunSpans(0, 250, 500, 2, []int64{0, 90, 170})
	want := []ChunkSpan{{Index: 0, Start: 0, End: 91}, {Index: 1, Start: 90, End: 171, NoContext: true}, {Index: 2, Start: 170, End: 250, NoContext: true}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if one := RunSpans(10, 20, 500, 1, nil); len(one) != 1 || one[0] != (ChunkSpan{Start: 10, End: 20}) {
		t.Errorf("one chunk: %+v", one)
	}
}

// TestRunKeyframes: chunks cut at keyframes (starting without context, the
// chunk before reading one frame further) give the same Analysis as one
// pass, also for a range that does not start at frame 0.
func TestRunKeyframes(t *testing.T) {
	frames := synthetic()
	cfg := Config{Analyzers: []string{Shots, Black, Freeze, Sharpness, Crop, SITI}, BlackMinDuration: 0.5, FreezeMinDuration: 0.5}
	run := func(threads, chunk int, opt RunOptions) string {
		c := cfg
		c.Threads, c.ChunkFrames = threads, chunk
		r, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		opt.FPS = 25
		a, err := r.Run(context.Background(), memSource(frames), opt)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(a)
		return string(b)
	}
	for _, rg := range [][2]int64{{0, int64(len(frames))}, {17, 131}} {
		want := run(1, 1000, RunOptions{Start: rg[0], End: rg[1]})
		for _, kf := range [][]int64{{0, 29, 30, 31, 61, 90, 100}, {0, 5, 40, 77, 120}} {
			for _, tc := range []struct{ threads, chunk int }{{2, 20}, {3, 9}} {
				if got := run(tc.threads, tc.chunk, RunOptions{Start: rg[0], End: rg[1], Keyframes: kf}); got != want {
					t.Errorf("range %v keyframes %v threads %d chunk %d: analysis differs from one pass", rg, kf, tc.threads, tc.chunk)
				}
			}
		}
	}
}

// TestNoContextReduce: a chunk that starts without context is only accepted
// when the chunk before covers its first frame.
func TestNoContextReduce(t *testing.T) {
	frames := synthetic()
	cfg := Config{Analyzers: []string{Freeze, SITI}, Threads: 1}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	chunk := func(from, start, end int64, noContext bool) *Partial {
		p, err := r.AnalyzeChunk(ctx, &memReader{frames: frames[from:end]}, ChunkSpan{Start: start, End: end, NoContext: noContext}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := chunk(0, 0, 61, false) // one frame past its end
	second := chunk(60, 60, 140, true)
	if !second.NoContext {
		t.Fatal("partial without context not marked")
	}
	a, err := Reduce(cfg, 25, []*Partial{first, second})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := Reduce(cfg, 25, []*Partial{chunk(0, 0, 140, false)})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jw, _ := json.Marshal(whole)
	if string(ja) != string(jw) {
		t.Error("stitched partials differ from one pass")
	}
	short := chunk(0, 0, 60, false) // does not cover frame 60
	if _, err := Reduce(cfg, 25, []*Partial{short, second}); !errors.Is(err, ErrIncomplete) {
		t.Errorf("uncovered chunk without context: %v, want ErrIncomplete", err)
	}
	// a context frame delivered anyway is used
	if p := chunk(59, 60, 140, true); p.NoContext {
		t.Error("chunk with a context frame marked NoContext")
	}
}

// TestReadAhead: frames arrive in order and intact, the source's error ends
// the stream, and Close stops the goroutine mid-stream.
func TestReadAhead(t *testing.T) {
	frames := synthetic()
	ctx := context.Background()
	ra := newReadAhead(ctx, &memReader{frames: frames}, 3)
	for i := range frames {
		f, err := ra.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Index != int64(i) || !slices.Equal(f.Planes[0].Pix, frames[i].Planes[0].Pix) || f == frames[i] {
			t.Fatalf("frame %d: got index %d, equal pixels %v, copied %v", i, f.Index, slices.Equal(f.Planes[0].Pix, frames[i].Planes[0].Pix), f != frames[i])
		}
	}
	for range 2 {
		if _, err := ra.ReadFrame(ctx); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last frame: %v, want io.EOF", err)
		}
	}
	ra.Close()

	ra = newReadAhead(ctx, &memReader{frames: frames}, 2)
	if _, err := ra.ReadFrame(ctx); err != nil {
		t.Fatal(err)
	}
	ra.Close() // must return although the goroutine is blocked sending

	cctx, cancel := context.WithCancel(ctx)
	ra = newReadAhead(cctx, blockingReader{}, 2)
	cancel()
	if _, err := ra.ReadFrame(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	ra.Close()
}

// blockingReader blocks until its context ends.
type blockingReader struct{}

func (blockingReader) ReadFrame(ctx context.Context) (*media.Frame, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
