package archer

import (
	"fmt"
	"strings"
	"testing"
)

// Synthetic clips with known shot boundaries, made from FFmpeg's lavfi
// sources. Every clip is 640x360 at 25 fps, encoded with x264 (CRF 18) so the
// detectors see real coding noise.

const clipFPS = 25

// sources are visually different lavfi pictures, most of them moving.
// Every source with a random seed (gradients, life, sierpinski, cellauto:
// see ffmpeg -h filter=NAME) has it fixed, so every machine makes the same
// clip.
var sources = map[string]string{
	"A": "testsrc2=s=640x360:r=25",
	"B": "mandelbrot=s=640x360:r=25",
	"C": "gradients=s=640x360:r=25:speed=0.03:seed=1:c0=0x2040c0:c1=0xf0a030",
	"D": "life=s=640x360:r=25:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00:seed=1",
	"E": "sierpinski=s=640x360:r=25:seed=1",
	"F": "smptehdbars=s=640x360:r=25",
	"G": "cellauto=s=640x360:r=25:rule=110:seed=1",
	"H": "rgbtestsrc=s=640x360:r=25",
	"I": "testsrc2=s=640x360:r=25,hflip,hue=h=90",
	// fast motion: a shaking window over a large test picture, and a spin
	"PAN":  "testsrc2=s=1920x1080:r=25,crop=640:360:x='640+600*sin(n/3)':y='360+330*cos(n/4)'",
	"SPIN": "testsrc2=s=640x360:r=25,rotate=a='n*0.25'",
}

type seg struct {
	src    string
	frames int
	filter string // extra filters for this segment, may use n (frame within the segment)
}

type truth struct {
	kind       string // KindCut or "gradual"
	start, end int64  // frames of the transition [start, end); a cut at f is [f, f+1)
}

type clip struct {
	name  string
	segs  []seg
	xfade []int // xfade durations in frames between segments (dissolve clip); nil: concat
	truth []truth
}

// segChain is the filter chain making segment i as label [s<i>].
func segChain(i int, s seg) string {
	f := fmt.Sprintf("%s,trim=end_frame=%d,setpts=PTS-STARTPTS,format=yuv420p", sources[s.src], s.frames)
	if s.filter != "" {
		// loop and trim leave gaps in the timestamps: renumber.
		f += "," + s.filter + ",setpts=N/25/TB"
	}
	return f + fmt.Sprintf("[s%d]", i)
}

// ffmpegArgs builds the ffmpeg command line for the clip and fills its
// ground truth for cuts (concat clips) and dissolves (xfade clips).
func (c *clip) ffmpegArgs() []string {
	var chains []string
	for i, s := range c.segs {
		chains = append(chains, segChain(i, s))
	}
	if c.xfade == nil {
		var in string
		for i := range c.segs {
			in += fmt.Sprintf("[s%d]", i)
		}
		chains = append(chains, fmt.Sprintf("%sconcat=n=%d:v=1:a=0,setpts=N/25/TB[out]", in, len(c.segs)))
	} else {
		prev, length := "[s0]", c.segs[0].frames
		for i := 1; i < len(c.segs); i++ {
			d := c.xfade[i-1]
			off := length - d
			lbl := fmt.Sprintf("[x%d]", i)
			if i == len(c.segs)-1 {
				lbl = "[out]"
			}
			chains = append(chains, fmt.Sprintf("%s[s%d]xfade=transition=fade:duration=%g:offset=%g%s", prev, i, float64(d)/clipFPS, float64(off)/clipFPS, lbl))
			c.truth = append(c.truth, truth{kind: "gradual", start: int64(off), end: int64(off + d)})
			prev, length = lbl, length+c.segs[i].frames-d
		}
	}
	if len(c.segs) == 1 {
		chains = append(chains, "[s0]null[out]")
	}
	return []string{"-filter_complex", strings.Join(chains, ";"), "-map", "[out]",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-r", "25"}
}

func cutsAt(segs []seg) []truth {
	var out []truth
	n := 0
	for i, s := range segs {
		if i > 0 {
			out = append(out, truth{kind: KindCut, start: int64(n), end: int64(n + 1)})
		}
		n += s.frames
	}
	return out
}

// fadeSegs makes segments of 75 frames that fade out to black over ramp
// frames, hold hold frames of black, and fade in likewise.
func fadeClip() clip {
	type f struct {
		src        string
		ramp, hold int
	}
	spec := []f{{"A", 12, 6}, {"B", 12, 6}, {"C", 8, 3}, {"E", 15, 8}, {"I", 6, 0}, {"D", 10, 4}}
	const L = 75
	var c clip
	c.name = "fades"
	for i, s := range spec {
		var fl []string
		if i > 0 {
			p := spec[i-1]
			fl = append(fl, fmt.Sprintf("fade=t=in:s=%d:n=%d", p.hold, p.ramp))
		}
		if i < len(spec)-1 {
			fl = append(fl, fmt.Sprintf("fade=t=out:s=%d:n=%d", L-s.hold-s.ramp, s.ramp))
			c.truth = append(c.truth, truth{kind: "gradual", start: int64(i*L + L - s.hold - s.ramp), end: int64((i+1)*L + s.hold + s.ramp)})
		}
		c.segs = append(c.segs, seg{src: s.src, frames: L, filter: strings.Join(fl, ",")})
	}
	return c
}

func shotClips() []clip {
	cuts1 := []seg{{"A", 50, ""}, {"B", 40, ""}, {"C", 45, ""}, {"D", 35, ""}, {"E", 50, ""}, {"F", 30, ""}, {"G", 40, ""}, {"H", 40, ""}, {"I", 40, ""}, {"A", 30, ""}}
	cuts2 := []seg{{"E", 30, ""}, {"A", 30, ""}, {"G", 25, ""}, {"B", 35, ""}, {"I", 30, ""}, {"C", 30, ""}, {"F", 20, ""}, {"D", 30, ""}, {"H", 25, ""}}
	flash := []seg{
		{"A", 100, "drawbox=t=fill:c=white:enable='between(n,30,31)',eq=brightness=0.45:enable='eq(n,70)'"},
		{"C", 80, "drawbox=t=fill:c=white:enable='between(n,30,32)'"},
	}
	motion := []seg{{"PAN", 120, ""}, {"SPIN", 100, ""}}
	dis := []seg{{"A", 60, ""}, {"B", 60, ""}, {"C", 60, ""}, {"E", 60, ""}, {"D", 60, ""}, {"I", 60, ""}}
	dis2 := []seg{{"G", 50, ""}, {"C", 70, ""}, {"H", 50, ""}, {"F", 60, ""}, {"B", 60, ""}, {"PAN", 60, ""}}
	cs := []clip{
		{name: "cuts1", segs: cuts1, truth: cutsAt(cuts1)},
		{name: "cuts2", segs: cuts2, truth: cutsAt(cuts2)},
		{name: "flash", segs: flash, truth: cutsAt(flash)},
		{name: "motion", segs: motion, truth: cutsAt(motion)},
		{name: "dissolves", segs: dis, xfade: []int{12, 25, 20, 15, 18}},
		{name: "dissolves2", segs: dis2, xfade: []int{10, 30, 16, 22, 14}},
		fadeClip(),
	}
	return cs
}

// makeClip generates (or finds in the cache) the clip's file.
func makeClip(tb testing.TB, c *clip) string {
	tb.Helper()
	return generate(tb, "archer-"+c.name, c.ffmpegArgs()...)
}
