package archer

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"

	"gocv.io/x/gocv"
	"golang.org/x/sync/errgroup"

	"github.com/reelmedia/reel/media"
)

// Thumbnail is a shot's representative frame as a JPEG.
type Thumbnail struct {
	Shot  int     `json:"shot"`
	Frame int64   `json:"frame"`
	Time  float64 `json:"time"`
	JPEG  []byte  `json:"-"`
}

// ExtractThumbnails decodes the representative frame of every shot of a
// (Shot.Thumbnail, chosen by Reduce) from src and stores it in
// a.Thumbnails as a JPEG Config.ThumbWidth wide, in shot order. Frames are
// fetched with up to Config.Threads readers at once.
func (r *Runner) ExtractThumbnails(ctx context.Context, src Source, a *Analysis) error {
	var picks []Shot
	for _, s := range a.Shots {
		if s.Thumbnail >= 0 {
			picks = append(picks, s)
		}
	}
	thumbs := make([]Thumbnail, len(picks))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.cfg.Threads)
	for i, s := range picks {
		g.Go(func() error {
			jpg, err := r.thumbnail(gctx, src, s.Thumbnail)
			if err != nil {
				return fmt.Errorf("archer: %s: thumbnail of shot %d (frame %d): %w", a.Source, s.Index, s.Thumbnail, err)
			}
			thumbs[i] = Thumbnail{Shot: s.Index, Frame: s.Thumbnail, Time: float64(s.Thumbnail) / a.FPS, JPEG: jpg}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	a.Thumbnails = thumbs
	return nil
}

func (r *Runner) thumbnail(ctx context.Context, src Source, idx int64) ([]byte, error) {
	fr, err := src.OpenRange(ctx, idx, idx+1)
	if err != nil {
		return nil, err
	}
	if c, ok := fr.(io.Closer); ok {
		defer c.Close()
	}
	for {
		f, err := fr.ReadFrame(ctx)
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("frame %d not delivered: %w", idx, ErrEmptyRange)
		}
		if err != nil {
			return nil, err
		}
		if f.Index == idx {
			return EncodeJPEG(f, r.cfg.ThumbWidth)
		}
	}
}

// EncodeJPEG converts f to a JPEG width pixels wide (aspect kept; 0 keeps
// the frame's size). Colours use OpenCV's BT.601 conversion.
func EncodeJPEG(f *media.Frame, width int) ([]byte, error) {
	bgr, err := toBGR(f, width)
	if err != nil {
		return nil, err
	}
	defer bgr.Close()
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, bgr, []int{gocv.IMWriteJpegQuality, 85})
	if err != nil {
		return nil, fmt.Errorf("jpeg: %w", err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

// toBGR converts a media.Frame to a BGR Mat width pixels wide.
func toBGR(f *media.Frame, width int) (gocv.Mat, error) {
	if err := checkFrame(f); err != nil {
		return gocv.Mat{}, err
	}
	if width <= 0 {
		width = f.Width
	}
	size := image.Pt(width, max(2, int(float64(f.Height)*float64(width)/float64(f.Width)+0.5)))
	p := newPreparer(f.Height)
	defer p.Close()
	planes := []*gocv.Mat{&p.luma, &p.cu, &p.cv}
	n := 3
	if f.Format.Chroma == media.Chroma400 {
		n = 1
	}
	small := make([]gocv.Mat, n)
	defer func() {
		for _, m := range small {
			m.Close()
		}
	}()
	for i := 0; i < n; i++ {
		if err := p.copyPlane(f.Planes[i], planes[i]); err != nil {
			return gocv.Mat{}, err
		}
		small[i] = gocv.NewMat()
		gocv.Resize(*planes[i], &small[i], size, 0, 0, gocv.InterpolationArea)
	}
	out := gocv.NewMat()
	if n == 1 {
		gocv.CvtColor(small[0], &out, gocv.ColorGrayToBGR)
		return out, nil
	}
	yuv := gocv.NewMat()
	defer yuv.Close()
	gocv.Merge(small, &yuv)
	gocv.CvtColor(yuv, &out, gocv.ColorYUVToBGR)
	return out, nil
}

// maxSheetRows bounds the height of a contact sheet.
const maxSheetRows = 100

// ContactSheet lays the thumbnails out in a grid, cols wide (more when there
// would be over 100 rows), each labelled with its shot number, time and
// frame, and returns the sheet as a JPEG.
func ContactSheet(thumbs []Thumbnail, cols int) ([]byte, error) {
	if len(thumbs) == 0 {
		return nil, fmt.Errorf("contact sheet: no thumbnails: %w", ErrEmptyRange)
	}
	if cols <= 0 {
		cols = 4
	}
	// JPEG pictures are at most 65535 pixels high: widen long sheets.
	cols = min(max(cols, (len(thumbs)+maxSheetRows-1)/maxSheetRows), len(thumbs))
	var tiles []gocv.Mat
	defer func() {
		for _, t := range tiles {
			t.Close()
		}
	}()
	tw, th := 0, 0
	for _, t := range thumbs {
		m, err := gocv.IMDecode(t.JPEG, gocv.IMReadColor)
		if err != nil || m.Empty() {
			m.Close()
			return nil, fmt.Errorf("contact sheet: thumbnail of shot %d is not a JPEG: %w", t.Shot, ErrInvalidInput)
		}
		tiles = append(tiles, m)
		tw, th = max(tw, m.Cols()), max(th, m.Rows())
	}
	const pad, label = 8, 22
	rows := (len(tiles) + cols - 1) / cols
	sheet := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(24, 24, 24, 0), pad+rows*(th+label+pad), pad+cols*(tw+pad), gocv.MatTypeCV8UC3)
	defer sheet.Close()
	for i, m := range tiles {
		x, y := pad+(i%cols)*(tw+pad), pad+(i/cols)*(th+label+pad)
		roi := sheet.Region(image.Rect(x, y, x+m.Cols(), y+m.Rows()))
		m.CopyTo(&roi)
		roi.Close()
		t := thumbs[i]
		text := fmt.Sprintf("#%d  %s  f%d", t.Shot, timecode(t.Time), t.Frame)
		gocv.PutText(&sheet, text, image.Pt(x+2, y+th+16), gocv.FontHersheySimplex, 0.45, color.RGBA{230, 230, 230, 0}, 1)
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, sheet, []int{gocv.IMWriteJpegQuality, 85})
	if err != nil {
		return nil, fmt.Errorf("contact sheet: %w", err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

func timecode(sec float64) string {
	ms := int64(sec*1000 + 0.5)
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}
