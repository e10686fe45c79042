package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/media"
	"github.com/reelmedia/reel/mezzfs"
)

// sourceFrame serves frame n of the job's source as PNG.
func (s *Server) sourceFrame(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	jr, err := s.report(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := frameNumber(r.PathValue("n"), jr.report.Info.Frames)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.servePNG(w, r, jr.report.Source, n, 0, 0)
}

// renditionFrame serves frame n of a rendition as PNG, scaled back to the
// source's size (bicubic, as it is scored), so it lies over the source's.
func (s *Server) renditionFrame(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	jr, rr, err := s.rendition(ctx, id, r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := frameNumber(r.PathValue("n"), rr.Frames)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.servePNG(w, r, rr.Output, n, jr.report.Info.Width, jr.report.Info.Height)
}

func frameNumber(v string, frames int64) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, statusErr(http.StatusBadRequest, "frame %q: want a frame number from 0", v)
	}
	if n >= frames {
		return 0, statusErr(http.StatusNotFound, "frame %d: there are %d frames", n, frames)
	}
	return n, nil
}

func (s *Server) servePNG(w http.ResponseWriter, r *http.Request, url string, n int64, width, height int) {
	key := fmt.Sprintf("%s\x00%d\x00%dx%d", url, n, width, height)
	b, ok := s.frames.get(key)
	if !ok {
		var err error
		if b, err = s.decodePNG(r.Context(), url, n, width, height); err != nil {
			s.fail(w, r, err)
			return
		}
		s.frames.put(key, b)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// decodePNG decodes frame n of the video at url (at most MaxDecodes at
// once) and encodes it as PNG. width and height, when set, scale it.
func (s *Server) decodePNG(ctx context.Context, url string, n int64, width, height int) ([]byte, error) {
	select {
	case s.decodes <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.decodes }()
	obj, err := s.cfg.Storage.Open(ctx, url)
	if errors.Is(err, mezzfs.ErrNotFound) {
		return nil, statusErr(http.StatusNotFound, "%s is gone", url)
	}
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	fr, err := encode.OpenFrames(ctx, encode.ReaderInput(obj.URL(), obj, obj.Size()), encode.DecodeOptions{
		Start: n, End: n + 1, PixFmt: "yuv420p", Width: width, Height: height, Scaler: "bicubic", Threads: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("frame %d of %s: %w", n, url, err)
	}
	defer fr.Close()
	f, err := fr.ReadFrame(ctx)
	if errors.Is(err, io.EOF) {
		return nil, statusErr(http.StatusNotFound, "frame %d of %s: past the end", n, url)
	}
	if err != nil {
		return nil, fmt.Errorf("frame %d of %s: %w", n, url, err)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, toRGBA(f)); err != nil {
		return nil, fmt.Errorf("frame %d of %s: png: %w", n, url, err)
	}
	return buf.Bytes(), nil
}

// toRGBA converts an 8-bit 4:2:0 frame to RGB with the BT.709 matrix (or
// BT.601 where the frame says so, or is SD and says nothing), limited or
// full range as the frame says: a picture to look at, not a reference.
func toRGBA(f *media.Frame) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, f.Width, f.Height))
	y, cb, cr := f.Planes[0], f.Planes[1], f.Planes[2]
	// Coefficients of R = Y + kr*Cr, G = Y - kgb*Cb - kgr*Cr, B = Y + kb*Cb.
	kr, kgb, kgr, kb := 1.5748, 0.1873, 0.4681, 1.8556
	if f.Color.Matrix == "bt470bg" || f.Color.Matrix == "smpte170m" || (f.Color.Matrix == "" && f.Height < 720) {
		kr, kgb, kgr, kb = 1.402, 0.344136, 0.714136, 1.772
	}
	full := f.Color.Range == "pc"
	ys, cs := 255.0/219, 255.0/224
	if full {
		ys, cs = 1, 1
	}
	for row := 0; row < f.Height; row++ {
		out := img.Pix[row*img.Stride:]
		for col := 0; col < f.Width; col++ {
			yy := float64(y.Pix[row*y.Stride+col])
			u := float64(cb.Pix[(row/2)*cb.Stride+col/2]) - 128
			v := float64(cr.Pix[(row/2)*cr.Stride+col/2]) - 128
			if !full {
				yy -= 16
			}
			yy, u, v = yy*ys, u*cs, v*cs
			out[4*col] = clamp8(yy + kr*v)
			out[4*col+1] = clamp8(yy - kgb*u - kgr*v)
			out[4*col+2] = clamp8(yy + kb*u)
			out[4*col+3] = 255
		}
	}
	return img
}

func clamp8(x float64) uint8 {
	switch {
	case x <= 0:
		return 0
	case x >= 255:
		return 255
	}
	return uint8(x + 0.5)
}

// frameCache keeps encoded frame images up to a byte budget, dropping the
// least recently used.
type frameCache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order []string
	m     map[string][]byte
}

func newFrameCache(max int64) *frameCache { return &frameCache{max: max, m: map[string][]byte{}} }

func (c *frameCache) get(k string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[k]
	if ok {
		c.remove(k)
		c.order = append(c.order, k)
	}
	return b, ok
}

func (c *frameCache) put(k string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if int64(len(b)) > c.max {
		return
	}
	if old, ok := c.m[k]; ok {
		c.size -= int64(len(old))
		c.remove(k)
	}
	for c.size+int64(len(b)) > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.size -= int64(len(c.m[old]))
		delete(c.m, old)
		c.order = c.order[1:]
	}
	c.m[k] = b
	c.size += int64(len(b))
	c.order = append(c.order, k)
}

func (c *frameCache) remove(k string) {
	for i, o := range c.order {
		if o == k {
			c.order = append(c.order[:i], c.order[i+1:]...)
			return
		}
	}
}
