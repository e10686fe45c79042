package encode

import (
	"context"
	"fmt"
	"io"

	"github.com/asticode/go-astiav"
)

// rateConv converts a decoded range to a constant rate with FFmpeg's fps
// filter, choosing the same frames an EncodeRange with Profile.FPS
// encodes, so a reference for scoring a converted chunk pairs with it
// frame for frame.
//
// The filter works on the source's absolute timestamps, so its output
// grid (multiples of 1/fps) is the same whatever range is decoded: a range
// [S, E) owns the grid points from round(t_S) to round(t_E), and ranges
// that meet share no point and skip none.
type rateConv struct {
	x       *decoder
	g       *videoFilter
	start   int64 // first source frame of the range
	base    int64 // round(t_start) in the sink's time base (1/fps)
	last    int64 // last output point delivered, relative to base; -1 before
	in      int64 // source frames pushed
	lastIn  *astiav.Frame
	flushed bool
}

func newRateConv(x *decoder, fps Rational, start int64) (*rateConv, error) {
	g, err := newFilterGraph(x, fmt.Sprintf("fps=%d/%d", fps.Num, fps.Den))
	if err != nil {
		return nil, err
	}
	c := &rateConv{x: x, g: g, start: start, last: -1, lastIn: astiav.AllocFrame()}
	c.base = astiav.RescaleQRnd(x.ix.ptsOf(start), x.tb, g.sinkTimeBase(), astiav.RoundingNearInf)
	return c, nil
}

// next returns the next converted frame and its number in the range's
// output (0, 1, ...); io.EOF after the last.
func (c *rateConv) next(ctx context.Context) (*astiav.Frame, int64, error) {
	stb := c.g.sinkTimeBase()
	for {
		out, err := c.g.pull()
		if err != nil {
			return nil, 0, newErr(c.x.op, c.x.d.name, ErrUnsupportedPixFmt, err, "converting the frame rate")
		}
		if out != nil {
			n := out.Pts() - c.base
			// the range's duration bounds what goes out: the graph
			// only knows the frames it was given
			limit := astiav.RescaleQRnd(c.x.ix.ptsOf(c.start+c.in), c.x.tb, stb, astiav.RoundingNearInf) - c.base
			if n <= c.last || n >= limit {
				continue
			}
			c.last = n
			return out, n, nil
		}
		if c.flushed {
			return nil, 0, io.EOF
		}
		f, idx, err := c.x.next(ctx)
		if err == io.EOF {
			// the filter cannot know how long the last frame lasts:
			// repeat it at its end so the graph fills its interval
			if c.in > 0 {
				c.lastIn.SetPts(c.x.ix.ptsOf(c.start + c.in))
				if err := c.g.push(c.lastIn); err != nil {
					return nil, 0, newErr(c.x.op, c.x.d.name, ErrUnsupportedPixFmt, err, "converting the frame rate")
				}
			}
			if err := c.g.push(nil); err != nil {
				return nil, 0, newErr(c.x.op, c.x.d.name, ErrUnsupportedPixFmt, err, "converting the frame rate")
			}
			c.flushed = true
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		// the filter sees the index's timestamps: a repeat or a counted
		// index's frame has none of its own
		f.SetPts(c.x.ix.ptsOf(idx))
		c.lastIn.Unref()
		if err := c.lastIn.Ref(f); err != nil {
			return nil, 0, newErr(c.x.op, c.x.d.name, nil, err, "referencing a frame")
		}
		c.in++
		if err := c.g.push(f); err != nil {
			return nil, 0, newErr(c.x.op, c.x.d.name, ErrUnsupportedPixFmt, err, "converting the frame rate")
		}
	}
}

func (c *rateConv) close() {
	c.lastIn.Free()
	c.g.close()
}
