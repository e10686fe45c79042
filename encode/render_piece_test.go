package encode

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

// TestRenderPieceContext: a piece made only of missing frames (black)
// takes the sequence's size from Ref, and fails without it; a piece whose
// first frame equals Prev reports it frozen, and one without Prev does not.
func TestRenderPieceContext(t *testing.T) {
	dir := t.TempDir()
	files := exrSeq(t, dir, true, 1001, 3, 64, 32)
	black := []RenderFrame{{Number: 1001}, {Number: 1002}}
	out := filepath.Join(dir, "piece.mov")
	r, err := RenderPiece(context.Background(), LocalFiles{}, black, out, RenderOptions{}, RenderPieceOptions{Ref: files[2]})
	if err != nil || r.Frames != 2 || r.Width != 64 || r.Height != 32 {
		t.Fatalf("black piece with Ref: %+v, %v", r, err)
	}
	if _, err := RenderPiece(context.Background(), LocalFiles{}, black, out, RenderOptions{}, RenderPieceOptions{}); !errors.Is(err, ErrRangeOutOfBounds) {
		t.Errorf("black piece without Ref: %v", err)
	}

	// frame 1003's file is 1002's picture: frozen after 1002
	frames := []RenderFrame{{Number: 1003, File: files[1]}, {Number: 1004, File: files[2]}}
	r, err = RenderPiece(context.Background(), LocalFiles{}, frames, out, RenderOptions{}, RenderPieceOptions{Prev: files[1]})
	if err != nil || !slices.Equal(r.QC.Frozen, []int{1003}) {
		t.Errorf("with Prev: %+v, %v", r, err)
	}
	r, err = RenderPiece(context.Background(), LocalFiles{}, frames, out, RenderOptions{}, RenderPieceOptions{})
	if err != nil || len(r.QC.Frozen) != 0 {
		t.Errorf("without Prev: %+v, %v", r, err)
	}
}

// TestRenderGOP: H.264's GOP is half a second; the intra codecs' is 1.
func TestRenderGOP(t *testing.T) {
	for _, c := range []struct {
		codec string
		fps   Rational
		want  int
	}{{"h264", Rational{24, 1}, 12}, {"h264", Rational{30000, 1001}, 15}, {"h264", Rational{}, 12}, {"prores", Rational{24, 1}, 1}, {"dnxhr", Rational{50, 1}, 1}} {
		if got := RenderGOP(c.codec, c.fps); got != c.want {
			t.Errorf("RenderGOP(%s, %v) = %d, want %d", c.codec, c.fps, got, c.want)
		}
	}
}
