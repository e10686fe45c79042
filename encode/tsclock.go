package encode

import (
	"errors"
	"math"

	"github.com/asticode/go-astiav"
)

// tsClock carries an MPEG-TS's timestamp discontinuities from the video
// to the audio while the audio is read from the start. The frame index
// numbers the video across each jump one frame after the frame before
// (frameIndex.unwrap); the same rule, applied here to the video packets
// that pass by, gives the video's shift after each jump, and an audio
// track whose own timestamps jump takes the video's shift for that jump.
// So the audio after a splice stays with its pictures, where the audio's
// own continuity would move it by the difference in the two streams' ends
// (tens of milliseconds). When an audio track jumps before the video
// does (its packets lie earlier in the file), the packets between are
// read ahead and kept.
type tsClock struct {
	vs          int // video stream index
	vtb         float64
	step, limit int64 // one frame and maxRepeatSeconds, video time base
	off, prev   int64 // video time base
	shifts      []float64
	ahead       []*astiav.Packet // read ahead, in file order
	eof         bool
}

// newTSClock returns a clock for d when it is an MPEG-TS with video, else
// nil.
func newTSClock(d *demuxer) *tsClock {
	vs := d.videoStream()
	if vs == nil || !mpegTS(d) {
		return nil
	}
	tb := vs.TimeBase()
	fps := streamFPS(vs)
	if fps.Num() <= 0 || fps.Den() <= 0 {
		return nil
	}
	step := max(astiav.RescaleQ(1, astiav.NewRational(fps.Den(), fps.Num()), tb), 1)
	limit := astiav.RescaleQ(maxRepeatSeconds, astiav.NewRational(1, 1), tb)
	return &tsClock{vs: vs.Index(), vtb: tb.Float64(), step: step, limit: limit, prev: astiav.NoPtsValue}
}

// video follows a video packet's decode timestamp.
func (c *tsClock) video(dts int64) {
	if dts == astiav.NoPtsValue {
		return
	}
	d := dts + c.off
	if c.prev != astiav.NoPtsValue && (d < c.prev || d-c.prev > c.limit) {
		c.off += c.prev + c.step - d
		d = c.prev + c.step
		c.shifts = append(c.shifts, float64(c.off)*c.vtb)
	}
	c.prev = d
}

// next reads the next packet into pkt: one read ahead first, else from
// the demuxer, following the video's timestamps on the way.
func (c *tsClock) next(fc *astiav.FormatContext, pkt *astiav.Packet) error {
	if len(c.ahead) > 0 {
		q := c.ahead[0]
		c.ahead = c.ahead[1:]
		pkt.Unref()
		err := pkt.Ref(q)
		q.Free()
		return err
	}
	if err := fc.ReadFrame(pkt); err != nil {
		return err
	}
	if pkt.StreamIndex() == c.vs {
		c.video(pkt.Dts())
	}
	return nil
}

// place moves the timestamps of t's packet pkt across the discontinuities
// seen so far, reading ahead when t jumps before the video does. It
// reports false for a packet to drop: after a jump, the second capture's
// packets that start before the first's last one ends (its priming, and
// what overlaps the first's padding), up to one audio frame or two.
func (c *tsClock) place(fc *astiav.FormatContext, t *audioTrack, pkt *astiav.Packet) (bool, error) {
	ts := pkt.Dts()
	if ts == astiav.NoPtsValue {
		ts = pkt.Pts()
	}
	if ts == astiav.NoPtsValue {
		return true, nil
	}
	tb := t.ist.TimeBase()
	limit := astiav.RescaleQ(maxRepeatSeconds, astiav.NewRational(1, 1), tb)
	d := ts + t.clockOff
	if t.clockPrev != astiav.NoPtsValue && (d < t.clockPrev || d-t.clockPrev > limit) {
		t.clockJumps++
		for len(c.shifts) < t.clockJumps && !c.eof {
			q := astiav.AllocPacket()
			if err := fc.ReadFrame(q); err != nil {
				q.Free()
				if errors.Is(err, astiav.ErrEof) {
					c.eof = true
					break
				}
				return false, err
			}
			if q.StreamIndex() == c.vs {
				c.video(q.Dts())
			}
			c.ahead = append(c.ahead, q)
		}
		if len(c.shifts) >= t.clockJumps {
			t.clockOff = int64(math.Round(c.shifts[t.clockJumps-1] / tb.Float64()))
		} else { // no video jump to follow: the audio's own continuity
			t.clockOff += t.clockPrev + max(pkt.Duration(), 1) - d
		}
		d = ts + t.clockOff
		t.clockTrim = true
	}
	t.clockPrev = d
	if t.clockTrim {
		if d < t.clockEnd {
			return false, nil
		}
		t.clockTrim = false
	}
	t.clockEnd = d + max(pkt.Duration(), 0)
	if pkt.Pts() != astiav.NoPtsValue {
		pkt.SetPts(pkt.Pts() + t.clockOff)
	}
	if pkt.Dts() != astiav.NoPtsValue {
		pkt.SetDts(pkt.Dts() + t.clockOff)
	}
	return true, nil
}

func (c *tsClock) close() {
	for _, q := range c.ahead {
		q.Free()
	}
	c.ahead = nil
}
