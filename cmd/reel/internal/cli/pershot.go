package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/workflows"
)

// perShotHelp is the per-shot part of reel encode's and reel submit's
// help.
const perShotHelp = `Per-shot optimisation (--optimize per-shot, docs/pershot.md): every shot
(archer's shot cuts; fixed chunks where a source has none) is encoded at
every point of a grid, --grid-heights × --grid-crf, each scored with VMAF at
the source's size. Each rung is one height; its shots then take the grid
points at that height that one slope λ of their convex hulls picks (the
Dynamic Optimizer), as many bits as its target allows, and the rung is
assembled from those encodes without re-encoding, so keyframes fall on shot
starts in every rung. --rung HEIGHT:TARGET adds a rung, TARGET a bitrate
(3000k, 2.5M or bits/s: the best pooled quality within it) or vmaf=N (the
cheapest choice whose pooled VMAF reaches N); name it with NAME=HEIGHT:TARGET
(default <HEIGHT>p). report.json's per_shot holds every shot's grid, hull and
choices, and per height the BD-rate of the per-shot curve against the fixed
ladder the same grid gives (every shot at one CRF).`

// perShotFlags are the per-shot job flags, shared by reel encode and reel
// submit through jobFlags.
type perShotFlags struct {
	optimize  string
	rungs     []string
	heights   string
	values    string
	rc        string
	pool      string
	maxSpread float64
}

func (f *perShotFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.optimize, "optimize", "", "per-shot: encode every shot over a grid and build each rung from the shots' convex hulls (see Per-shot optimisation)")
	fl.StringArrayVar(&f.rungs, "rung", nil, "a per-shot rung [NAME=]HEIGHT:TARGET, TARGET a bitrate (3000k, 2.5M) or vmaf=N (repeatable; implies --optimize per-shot)")
	fl.StringVar(&f.heights, "grid-heights", "", "per-shot grid heights, e.g. 1080,720,540,360 (default: the rungs' heights)")
	fl.StringVar(&f.values, "grid-crf", "", "per-shot grid CRFs (QPs with --rc qp), a list 18,22,26 or FROM-TO/STEP such as 18-42/3 (default per codec: x264 18-42/3, x265 20-44/3, svtav1 and vp9 20-56/4)")
	fl.StringVar(&f.rc, "rc", "", "per-shot grid rate control: crf (default) or qp (constant QP, x264 and x265)")
	fl.StringVar(&f.pool, "pool", "", "how a rung pools its shots' VMAF: mean (frame-weighted, default), harmonic_mean or p5")
	fl.Float64Var(&f.maxSpread, "max-spread", 0, "per-shot: cap the VMAF spread between a rung's shots (0 = no cap)")
}

// changed says whether any per-shot flag was given.
func (f *perShotFlags) changed(cmd *cobra.Command) bool {
	for _, n := range []string{"optimize", "rung", "grid-heights", "grid-crf", "rc", "pool", "max-spread"} {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

// apply adds the per-shot settings and rungs to job. codec and preset are
// the rungs' (reel encode's --codec and --preset).
func (f *perShotFlags) apply(cmd *cobra.Command, job *workflows.Job, codec, preset string) error {
	if !f.changed(cmd) {
		return nil
	}
	switch {
	case f.optimize == workflows.OptimizePerShot, f.optimize == "" && (len(f.rungs) > 0 || job.Optimize == workflows.OptimizePerShot):
		job.Optimize = workflows.OptimizePerShot
	case f.optimize == "":
		return usagef(cmd, "--grid-heights, --grid-crf, --rc, --pool and --max-spread need --optimize per-shot")
	default:
		return usagef(cmd, "--optimize %q: want per-shot", f.optimize)
	}
	p := &job.PerShot
	for _, spec := range f.rungs {
		r, t, err := parseRung(spec)
		if err != nil {
			return usagef(cmd, "--rung %q: %v", spec, err)
		}
		r.Codec, r.Preset = codec, preset
		job.Renditions = append(job.Renditions, r)
		p.Targets = append(p.Targets, t)
	}
	var err error
	if f.heights != "" {
		if p.Heights, err = parseIntList(f.heights); err != nil {
			return usagef(cmd, "--grid-heights %q: %v", f.heights, err)
		}
	}
	if f.values != "" {
		if p.Values, err = parseIntList(f.values); err != nil {
			return usagef(cmd, "--grid-crf %q: %v", f.values, err)
		}
	}
	if f.rc != "" {
		p.RC = f.rc
	}
	if f.pool != "" {
		p.Pool = f.pool
	}
	if f.maxSpread != 0 {
		p.MaxSpread = f.maxSpread
	}
	return nil
}

var rungRE = regexp.MustCompile(`^(?:([A-Za-z0-9][A-Za-z0-9._-]*)=)?(\d+):(.+)$`)

// parseRung reads [NAME=]HEIGHT:TARGET, TARGET a bitrate (bits/s, or with
// a k or M suffix) or vmaf=N.
func parseRung(spec string) (workflows.Rendition, workflows.RungTarget, error) {
	m := rungRE.FindStringSubmatch(strings.TrimSpace(spec))
	if m == nil {
		return workflows.Rendition{}, workflows.RungTarget{}, errors.New("want [NAME=]HEIGHT:TARGET, e.g. 720:3000k or hd=1080:vmaf=93")
	}
	h, err := strconv.Atoi(m[2])
	if err != nil || h <= 0 {
		return workflows.Rendition{}, workflows.RungTarget{}, fmt.Errorf("height %q", m[2])
	}
	name := m[1]
	if name == "" {
		name = m[2] + "p"
	}
	r := workflows.Rendition{Name: name, Height: h}
	t := workflows.RungTarget{Rendition: name}
	if v, ok := strings.CutPrefix(m[3], "vmaf="); ok {
		if t.VMAF, err = strconv.ParseFloat(v, 64); err != nil || t.VMAF <= 0 || t.VMAF > 100 {
			return r, t, fmt.Errorf("vmaf=%s: want a number above 0, at most 100", v)
		}
		return r, t, nil
	}
	if t.Bitrate, err = parseBitrate(m[3]); err != nil {
		return r, t, err
	}
	return r, t, nil
}

// parseBitrate reads 3000000, 3000k or 3M (bits per second).
func parseBitrate(s string) (int64, error) {
	mult := 1.0
	num := s
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, num = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, num = 1e6, s[:len(s)-1]
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v > 0) || v*mult > 1e12 {
		return 0, fmt.Errorf("target %q: want a bitrate such as 3000k, 2.5M or 3000000, or vmaf=N", s)
	}
	return int64(v*mult + 0.5), nil
}

// parseIntList reads 1080,720,540 or FROM-TO/STEP (18-42/3).
func parseIntList(s string) ([]int, error) {
	if from, rest, ok := strings.Cut(s, "-"); ok && !strings.Contains(s, ",") {
		to, step, _ := strings.Cut(rest, "/")
		if step == "" {
			step = "1"
		}
		a, err1 := strconv.Atoi(from)
		b, err2 := strconv.Atoi(to)
		c, err3 := strconv.Atoi(step)
		if err := errors.Join(err1, err2, err3); err != nil || c <= 0 || b < a || (b-a)/c > 256 {
			return nil, errors.New("want FROM-TO/STEP with FROM ≤ TO and STEP > 0, e.g. 18-42/3")
		}
		var out []int
		for v := a; v <= b; v += c {
			out = append(out, v)
		}
		return out, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", f)
		}
		out = append(out, v)
	}
	return out, nil
}
