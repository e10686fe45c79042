package workflows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/seq"
)

// RenderSpec is a render as the user asked for it: reel render submit's
// flags, the same as reel render run's. The planning activity resolves it
// (finds the sequence, applies the missing-frame policy, expands the
// burn-ins) once, so every chunk sees the same frames.
type RenderSpec struct {
	// Pattern names the frames (sh010.####.exr, .@@@@., .%04d.) or a
	// directory or s3:// prefix holding one sequence.
	Pattern string `json:"pattern"`
	// Frames is FIRST-LAST[xSTEP]; "" is every frame found.
	Frames string `json:"frames,omitempty"`
	// OnMissing is error (""), black or hold.
	OnMissing string `json:"on_missing,omitempty"`
	// Burnin is the burn-in template (seq.ParseTemplate); "" draws none.
	Burnin string `json:"burnin,omitempty"`
	// FPS is the movie's rate and the timecode's ("" = 24).
	FPS       string `json:"fps,omitempty"`
	DropFrame bool   `json:"drop_frame,omitempty"`
	Shot      string `json:"shot,omitempty"`
	Version   string `json:"version,omitempty"`
	Artist    string `json:"artist,omitempty"`
	// Date is the slate's and {date}'s, resolved by the submitter (the
	// planning activity may run another day).
	Date  string `json:"date,omitempty"`
	Text  string `json:"text,omitempty"`
	Notes string `json:"notes,omitempty"`
	Slate bool   `json:"slate,omitempty"`
	// Codec, Display, LUT, Font, Width, Height, Threads and StrictQC are
	// encode.RenderOptions'. LUT and Font are paths on the workers.
	Codec    string `json:"codec,omitempty"`
	Display  string `json:"display,omitempty"`
	LUT      string `json:"lut,omitempty"`
	Font     string `json:"font,omitempty"`
	Width    int    `json:"width,omitempty"`
	Height   int    `json:"height,omitempty"`
	Threads  int    `json:"threads,omitempty"`
	StrictQC bool   `json:"strict_qc,omitempty"`
	// Fit, Mask and MaskOpacity are encode.RenderOptions' too.
	Fit         string  `json:"fit,omitempty"`
	Mask        float64 `json:"mask,omitempty"`
	MaskOpacity float64 `json:"mask_opacity,omitempty"`
	// OCIO, when set, is an OpenColorIO view (a config on the workers)
	// baked once into a LUT in LUTDir by the planner; it takes the place
	// of the display transform, Display only tags the movie. Not with LUT.
	OCIO *OCIOView `json:"ocio,omitempty"`
	// LUTDir is where the planner bakes OCIO: the job's work directory
	// for submit, a temporary one for run.
	LUTDir string `json:"lut_dir,omitempty"`
	// SlateFrame is the frame number (in the sequence's numbering) shown
	// on the slate; "" is the middle frame.
	SlateFrame string `json:"slate_frame,omitempty"`
	// Writes are the movie's and the work directory's locations, which the
	// planning activity checks against the worker's confinement before any
	// frame is rendered (set by RenderWorkflow).
	Writes []string `json:"writes,omitempty"`
}

// RenderSettings are the encode.RenderOptions that travel through
// Temporal (everything but the progress callback).
type RenderSettings struct {
	Codec       string          `json:"codec"`
	FPS         encode.Rational `json:"fps"`
	Display     string          `json:"display,omitempty"`
	LUT         string          `json:"lut,omitempty"`
	SceneLUT    bool            `json:"scene_lut,omitempty"`
	Font        string          `json:"font,omitempty"`
	Burnins     []string        `json:"burnins,omitempty"`
	Width       int             `json:"width,omitempty"`
	Height      int             `json:"height,omitempty"`
	Threads     int             `json:"threads,omitempty"`
	StrictQC    bool            `json:"strict_qc,omitempty"`
	Fit         string          `json:"fit,omitempty"`
	Mask        float64         `json:"mask,omitempty"`
	MaskOpacity float64         `json:"mask_opacity,omitempty"`
}

// Options returns the encode options, slate excepted (only the first
// piece has it).
func (s RenderSettings) Options() encode.RenderOptions {
	return encode.RenderOptions{Codec: s.Codec, FPS: s.FPS, Display: s.Display, LUT: s.LUT, SceneLUT: s.SceneLUT, FontFile: s.Font,
		Burnins: s.Burnins, Width: s.Width, Height: s.Height, Threads: s.Threads, StrictQC: s.StrictQC,
		Fit: s.Fit, Mask: s.Mask, MaskOpacity: s.MaskOpacity}
}

// RenderPlan is a render resolved: the frames in movie order (slate not
// counted) with their files and burn-in texts, and the settings.
type RenderPlan struct {
	Pattern string               `json:"pattern"`
	Range   string               `json:"range"`
	Policy  seq.Policy           `json:"on_missing"`
	Missing []int                `json:"missing,omitempty"`
	Frames  []encode.RenderFrame `json:"frames"`
	Slate   []string             `json:"slate,omitempty"`
	// SlateThumb is the frame file shown on the slate.
	SlateThumb string         `json:"slate_thumb,omitempty"`
	Settings   RenderSettings `json:"settings"`
}

// maxPlanBytes bounds a plan in the workflow's history (Temporal refuses a
// payload over 2 MB): some 8,000 frames with four burn-ins.
const maxPlanBytes = 1536 << 10

// PlanRender resolves spec against what l lists: the sequence, its range,
// the missing frames under the policy, each frame's burn-in texts and the
// slate's lines. Problems with the spec or the sequence are bad input.
func PlanRender(ctx context.Context, l seq.Lister, spec RenderSpec) (RenderPlan, error) {
	var rp RenderPlan
	pol, err := seq.ParsePolicy(spec.OnMissing)
	if err != nil {
		return rp, err
	}
	fps := spec.FPS
	if fps == "" {
		fps = "24"
	}
	rate, err := seq.ParseRate(fps)
	if err != nil {
		return rp, err
	}
	if spec.DropFrame && !rate.DropFrameCapable() {
		return rp, fmt.Errorf("%w: drop-frame timecode is for 29.97 and 59.94, not %s", seq.ErrBadRate, rate)
	}
	var rng seq.Range
	if spec.Frames != "" {
		if rng, err = seq.ParseRange(spec.Frames); err != nil {
			return rp, err
		}
	}
	var tmpl seq.Template
	if spec.Burnin != "" {
		if tmpl, err = seq.ParseTemplate(spec.Burnin); err != nil {
			return rp, err
		}
	}
	arg := spec.Pattern
	var found seq.Found
	if strings.ContainsAny(arg[strings.LastIndexByte(arg, '/')+1:], "#@%") {
		p, err := seq.ParsePattern(arg)
		if err != nil {
			return rp, err
		}
		if found, err = seq.Find(ctx, l, p); err != nil {
			return rp, err
		}
	} else if found, err = seq.Detect(ctx, l, strings.TrimSuffix(arg, "/")); err != nil {
		return rp, err
	}
	plan, err := seq.NewPlan(found, rng, pol)
	if err != nil {
		return rp, err
	}
	p := plan.Pattern
	vals := seq.Values{"shot": spec.Shot, "version": spec.Version, "artist": spec.Artist, "date": spec.Date, "text": spec.Text,
		"first": p.Number(plan.Range.First), "last": p.Number(plan.Range.Last), "fps": rate.String()}
	rp = RenderPlan{Pattern: p.String(), Range: plan.Range.String(), Policy: plan.Policy, Missing: plan.Missing,
		Frames: make([]encode.RenderFrame, len(plan.Frames))}
	for i, fr := range plan.Frames {
		rp.Frames[i] = encode.RenderFrame{Number: fr.Number, File: fr.File, Held: fr.Missing && fr.File != ""}
		if len(tmpl.Items) > 0 {
			vals["frame"] = p.Number(fr.Number)
			vals["tc"] = seq.Timecode(fr.Number, rate, spec.DropFrame)
			rp.Frames[i].Burnins = tmpl.Expand(vals)
		}
	}
	rp.Settings = RenderSettings{Codec: spec.Codec, FPS: encode.Rational{Num: rate.Num, Den: rate.Den}, Display: spec.Display,
		LUT: spec.LUT, Font: spec.Font, Width: spec.Width, Height: spec.Height, Threads: spec.Threads, StrictQC: spec.StrictQC,
		Fit: spec.Fit, Mask: spec.Mask, MaskOpacity: spec.MaskOpacity}
	if rp.Settings.Codec == "" {
		rp.Settings.Codec = "prores"
	}
	for _, it := range tmpl.Items {
		rp.Settings.Burnins = append(rp.Settings.Burnins, it.Pos)
	}
	if spec.Slate {
		rp.Slate = slateLines(spec, plan)
		if rp.SlateThumb, err = slateThumb(plan, spec.SlateFrame); err != nil {
			return rp, err
		}
	} else if spec.SlateFrame != "" {
		return rp, fmt.Errorf("%w: a slate frame (%s) without a slate", seq.ErrBadRange, spec.SlateFrame)
	}
	if spec.OCIO != nil {
		// last: a sequence that does not plan is reported before a bake
		if spec.LUT != "" {
			return rp, fmt.Errorf("%w: --ocio and --lut together: bake the look into the view (an OCIO look) or use one of them", ErrOCIO)
		}
		if spec.LUTDir == "" {
			return rp, fmt.Errorf("%w: no directory to bake the view into", ErrOCIO)
		}
		if rp.Settings.LUT, err = BakeOCIO(ctx, *spec.OCIO, spec.LUTDir); err != nil {
			return rp, err
		}
		rp.Settings.SceneLUT = true
	}
	return rp, nil
}

// slateLines are the slate's text, line by line (reel render run's too).
func slateLines(s RenderSpec, plan seq.Plan) []string {
	p := plan.Pattern
	lines := []string{
		"Shot:     " + s.Shot,
		"Version:  " + s.Version,
		"Artist:   " + s.Artist,
		"Date:     " + s.Date,
		fmt.Sprintf("Frames:   %s-%s (%d frames", p.Number(plan.Range.First), p.Number(plan.Range.Last), len(plan.Frames)),
		"Source:   " + p.File(),
	}
	if plan.Range.Step > 1 {
		lines[4] += fmt.Sprintf(", every %d", plan.Range.Step)
	}
	lines[4] += ")"
	if len(plan.Missing) > 0 {
		lines = append(lines, fmt.Sprintf("Missing:  %s (%s)", seq.Compact(plan.Missing, plan.Range.Step), plan.Policy))
	}
	if s.Notes != "" {
		lines = append(lines, "Notes:    "+s.Notes)
	}
	return lines
}

// slateThumb is the file shown on the slate: frame num (in the
// sequence's numbering), or the middle frame of the plan; a missing frame
// under the black policy has no image, so the nearest frame that has one
// stands in for the middle one.
func slateThumb(plan seq.Plan, num string) (string, error) {
	if num != "" {
		n, err := strconv.Atoi(num)
		if err != nil {
			return "", fmt.Errorf("%w: slate frame %q: want a frame number", seq.ErrBadRange, num)
		}
		for _, fr := range plan.Frames {
			if fr.Number == n {
				if fr.File == "" {
					return "", fmt.Errorf("%w: slate frame %d: the frame is missing", seq.ErrBadRange, n)
				}
				return fr.File, nil
			}
		}
		return "", fmt.Errorf("%w: slate frame %d: not a frame of the render (%s)", seq.ErrBadRange, n, plan.Range)
	}
	mid := len(plan.Frames) / 2
	for d := 0; d < len(plan.Frames); d++ {
		for _, i := range []int{mid - d, mid + d} {
			if i >= 0 && i < len(plan.Frames) && plan.Frames[i].File != "" {
				return plan.Frames[i].File, nil
			}
		}
	}
	return "", nil
}

// StorageLister lists a directory or S3 prefix through mezzfs for seq: the
// names directly under it.
type StorageLister struct{ Storage *mezzfs.Storage }

// List returns the names of the objects directly under dir.
func (l StorageLister) List(ctx context.Context, dir string) ([]string, error) {
	ents, err := l.Entries(ctx, dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name
	}
	return names, nil
}

// Entries is List with each object's size and time.
func (l StorageLister) Entries(ctx context.Context, dir string) ([]mezzfs.Entry, error) {
	if dir == "" {
		dir = "."
	}
	if strings.HasPrefix(dir, "s3://") && !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	ents, err := l.Storage.List(ctx, dir)
	if err != nil {
		return nil, err
	}
	var out []mezzfs.Entry
	for _, e := range ents {
		if !strings.Contains(e.Name, "/") {
			out = append(out, e)
		}
	}
	return out, nil
}

// StorageFiles reads whole frames through mezzfs (encode.FrameFiles).
type StorageFiles struct{ Storage *mezzfs.Storage }

// ReadFile reads the object name whole.
func (s StorageFiles) ReadFile(ctx context.Context, name string) ([]byte, error) {
	obj, err := s.Storage.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	if obj.Size() > 2<<30 {
		return nil, fmt.Errorf("frame %s: %d bytes is too large for one image", name, obj.Size())
	}
	b := make([]byte, obj.Size())
	if _, err := obj.ReadAtContext(ctx, b, 0); err != nil && !(errors.Is(err, io.EOF) && len(b) == 0) {
		return nil, err
	}
	return b, nil
}

// fingerprint is a short hash of v's JSON: what a piece was made from.
func fingerprint(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12]), nil
}
