package vmaf

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed models/*.json
var builtinModels embed.FS

// DefaultModel is the model used when Options.Models is empty.
const DefaultModel = "vmaf_v0.6.1"

// BuiltinModels lists the names of the embedded models.
func BuiltinModels() []string {
	return []string{"vmaf_v0.6.1", "vmaf_v0.6.1neg", "vmaf_4k_v0.6.1"}
}

// feature identifies one model input: which extractor output, and the
// enhancement gain limit that extractor runs with.
type feature struct {
	kind featureKind
	egl  float64 // VIF/ADM enhancement gain limit (100 unless the model says)
}

type featureKind int

const (
	featADM2 featureKind = iota
	featMotion2
	featVIF0
	featVIF1
	featVIF2
	featVIF3
)

var featureByName = map[string]featureKind{
	"VMAF_integer_feature_adm2_score":       featADM2,
	"VMAF_integer_feature_motion2_score":    featMotion2,
	"VMAF_integer_feature_vif_scale0_score": featVIF0,
	"VMAF_integer_feature_vif_scale1_score": featVIF1,
	"VMAF_integer_feature_vif_scale2_score": featVIF2,
	"VMAF_integer_feature_vif_scale3_score": featVIF3,
}

// Model is a parsed libvmaf nu-SVR model (the JSON "model_dict" format of
// vmaf_v0.6.1.json). It is immutable and safe for concurrent use.
type Model struct {
	// Name is the model's name: the built-in name, or the file name without
	// ".json" for a model loaded from a path.
	Name string

	features   []feature
	slopes     []float64 // [0] for the output, then one per feature
	intercepts []float64
	normalize  bool // linear_rescale; false for norm_type "none"
	clip       bool
	clipMin    float64
	clipMax    float64
	transform  *scoreTransform

	gamma float64
	rho   float64
	coef  []float64
	sv    [][]float64 // dense, one row per support vector, len(features)
}

type scoreTransform struct {
	enabled  bool
	p        [3]float64
	hasP     [3]bool
	outGteIn bool
	outLteIn bool
	knots    [][2]float64
}

// ModelOptions are the prediction flags libvmaf exposes per model.
type ModelOptions struct {
	// EnableTransform applies the model's score_transform (the "phone"
	// mapping of vmaf_v0.6.1), as libvmaf's enable_transform flag does.
	EnableTransform bool
	// DisableClip skips the [0, 100] clip, as libvmaf's disable_clip flag.
	DisableClip bool
}

// LoadModel returns a built-in model by name ("vmaf_v0.6.1",
// "vmaf_v0.6.1neg", "vmaf_4k_v0.6.1") or reads a model JSON file from a
// path. Names are looked up first; anything else is treated as a path.
func LoadModel(nameOrPath string) (*Model, error) {
	b, err := fs.ReadFile(builtinModels, "models/"+nameOrPath+".json")
	if err == nil && !strings.ContainsAny(nameOrPath, `/\`) {
		m, err := ParseModel(b)
		if err != nil {
			return nil, fmt.Errorf("vmaf: built-in model %s: %w", nameOrPath, err)
		}
		m.Name = nameOrPath
		return m, nil
	}
	b, err = os.ReadFile(nameOrPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("vmaf: model %q is neither a built-in model (%s) nor a file: %w",
				nameOrPath, strings.Join(BuiltinModels(), ", "), ErrUnknownModel)
		}
		return nil, fmt.Errorf("vmaf: read model %s: %w", nameOrPath, err)
	}
	m, err := ParseModel(b)
	if err != nil {
		return nil, fmt.Errorf("vmaf: model file %s: %w", nameOrPath, err)
	}
	m.Name = strings.TrimSuffix(filepath.Base(nameOrPath), ".json")
	return m, nil
}

// modelJSON mirrors the parts of the libvmaf model file that matter.
type modelJSON struct {
	ModelDict *struct {
		ModelType        string           `json:"model_type"`
		NormType         string           `json:"norm_type"`
		FeatureNames     []string         `json:"feature_names"`
		Slopes           []float64        `json:"slopes"`
		Intercepts       []float64        `json:"intercepts"`
		ScoreClip        []float64        `json:"score_clip"`
		ScoreTransform   map[string]any   `json:"score_transform"`
		FeatureOptsDicts []map[string]any `json:"feature_opts_dicts"`
		Model            *string          `json:"model"`
	} `json:"model_dict"`
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalidModel)
}

// ParseModel parses a libvmaf model JSON document. Every error wraps
// ErrInvalidModel.
func ParseModel(data []byte) (*Model, error) {
	var doc modelJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, invalid("not valid JSON (%v)", err)
	}
	if dec.More() {
		return nil, invalid("trailing data after the JSON object")
	}
	md := doc.ModelDict
	if md == nil {
		return nil, invalid("no model_dict")
	}
	if md.ModelType != "LIBSVMNUSVR" {
		return nil, invalid("model_type %q not supported (want LIBSVMNUSVR)", md.ModelType)
	}
	m := &Model{}
	switch md.NormType {
	case "linear_rescale":
		m.normalize = true
	case "none":
	default:
		return nil, invalid("norm_type %q not supported", md.NormType)
	}
	n := len(md.FeatureNames)
	if n == 0 || n > 64 {
		return nil, invalid("feature_names has %d entries", n)
	}
	if m.normalize && (len(md.Slopes) != n+1 || len(md.Intercepts) != n+1) {
		return nil, invalid("%d features need %d slopes and intercepts, have %d and %d",
			n, n+1, len(md.Slopes), len(md.Intercepts))
	}
	if len(md.FeatureOptsDicts) != 0 && len(md.FeatureOptsDicts) != n {
		return nil, invalid("feature_opts_dicts has %d entries for %d features", len(md.FeatureOptsDicts), n)
	}
	for i, name := range md.FeatureNames {
		k, ok := featureByName[name]
		if !ok {
			return nil, invalid("feature %q not supported (only the integer VIF, ADM2 and motion2 features)", name)
		}
		f := feature{kind: k, egl: defaultEnhnGainLimit}
		if len(md.FeatureOptsDicts) > 0 {
			for key, val := range md.FeatureOptsDicts[i] {
				v, ok := val.(float64)
				if !ok {
					return nil, invalid("feature option %s of %s is not a number", key, name)
				}
				switch {
				case key == "vif_enhn_gain_limit" && k >= featVIF0,
					key == "adm_enhn_gain_limit" && k == featADM2:
					if !(v >= 1 && v <= defaultEnhnGainLimit) {
						return nil, invalid("%s %v out of range [1, 100]", key, v)
					}
					f.egl = v
				default:
					return nil, invalid("feature option %s of %s not supported", key, name)
				}
			}
		}
		m.features = append(m.features, f)
	}
	for _, v := range append(append([]float64{}, md.Slopes...), md.Intercepts...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, invalid("slopes and intercepts must be finite")
		}
	}
	if m.normalize && md.Slopes[0] == 0 {
		return nil, invalid("slopes[0] is 0")
	}
	m.slopes, m.intercepts = md.Slopes, md.Intercepts
	if md.ScoreClip != nil {
		if len(md.ScoreClip) != 2 || !(md.ScoreClip[0] <= md.ScoreClip[1]) {
			return nil, invalid("score_clip must be [min, max]")
		}
		m.clip, m.clipMin, m.clipMax = true, md.ScoreClip[0], md.ScoreClip[1]
	}
	if md.ScoreTransform != nil {
		t, err := parseTransform(md.ScoreTransform)
		if err != nil {
			return nil, err
		}
		m.transform = t
	}
	if md.Model == nil {
		return nil, invalid("no model (libsvm text)")
	}
	if err := m.parseSVM(*md.Model); err != nil {
		return nil, err
	}
	return m, nil
}

func parseTransform(d map[string]any) (*scoreTransform, error) {
	t := &scoreTransform{}
	for key, val := range d {
		switch key {
		case "enabled":
			b, ok := val.(bool)
			if !ok {
				return nil, invalid("score_transform.enabled is not a boolean")
			}
			t.enabled = b
		case "p0", "p1", "p2":
			i := int(key[1] - '0')
			if val == nil {
				continue
			}
			v, ok := val.(float64)
			if !ok {
				return nil, invalid("score_transform.%s is not a number", key)
			}
			t.p[i], t.hasP[i] = v, true
		case "out_gte_in", "out_lte_in":
			s, ok := val.(string)
			if !ok {
				return nil, invalid("score_transform.%s is not a string", key)
			}
			if key == "out_gte_in" {
				t.outGteIn = s == "true"
			} else {
				t.outLteIn = s == "true"
			}
		case "knots":
			if val == nil {
				continue
			}
			list, ok := val.([]any)
			if !ok || len(list) < 2 {
				return nil, invalid("score_transform.knots must list at least two [x, y] points")
			}
			for _, p := range list {
				pt, ok := p.([]any)
				if !ok || len(pt) != 2 {
					return nil, invalid("score_transform.knots entries must be [x, y]")
				}
				x, ok1 := pt[0].(float64)
				y, ok2 := pt[1].(float64)
				if !ok1 || !ok2 {
					return nil, invalid("score_transform.knots entries must be numbers")
				}
				t.knots = append(t.knots, [2]float64{x, y})
			}
			for i := 0; i+1 < len(t.knots); i++ {
				if !(t.knots[i][0] < t.knots[i+1][0] && t.knots[i][1] <= t.knots[i+1][1]) {
					return nil, invalid("score_transform.knots must increase")
				}
			}
		default:
			return nil, invalid("score_transform.%s not supported", key)
		}
	}
	return t, nil
}

// parseSVM reads the libsvm text model: a header of "key value" lines,
// then "SV", then one "coef i:v ..." line per support vector.
func (m *Model) parseSVM(text string) error {
	lines := strings.Split(text, "\n")
	total := -1
	i := 0
	seen := map[string]bool{}
	for ; i < len(lines); i++ {
		f := strings.Fields(lines[i])
		if len(f) == 0 {
			continue
		}
		if f[0] == "SV" {
			i++
			break
		}
		seen[f[0]] = true
		switch f[0] {
		case "svm_type":
			if len(f) != 2 || f[1] != "nu_svr" {
				return invalid("svm_type must be nu_svr")
			}
		case "kernel_type":
			if len(f) != 2 || f[1] != "rbf" {
				return invalid("kernel_type must be rbf")
			}
		case "gamma":
			v, err := parseNum(f)
			if err != nil || !(v > 0) {
				return invalid("gamma must be a positive number")
			}
			m.gamma = v
		case "rho":
			v, err := parseNum(f)
			if err != nil {
				return invalid("rho must be a number")
			}
			m.rho = v
		case "total_sv":
			if len(f) != 2 {
				return invalid("bad total_sv")
			}
			n, err := strconv.Atoi(f[1])
			if err != nil || n <= 0 || n > 1<<20 {
				return invalid("total_sv must be a positive count")
			}
			total = n
		case "nr_class", "degree", "coef0", "probA", "probB", "label", "nr_sv":
		default:
			return invalid("unknown libsvm header %q", f[0])
		}
	}
	for _, k := range []string{"svm_type", "kernel_type", "gamma", "rho", "total_sv"} {
		if !seen[k] {
			return invalid("libsvm header %s missing", k)
		}
	}
	nf := len(m.features)
	for ; i < len(lines); i++ {
		f := strings.Fields(lines[i])
		if len(f) == 0 {
			continue
		}
		c, err := strconv.ParseFloat(f[0], 64)
		if err != nil || math.IsNaN(c) || math.IsInf(c, 0) {
			return invalid("support vector %d: bad coefficient %q", len(m.coef)+1, f[0])
		}
		row := make([]float64, nf)
		last := 0
		for _, p := range f[1:] {
			is, vs, ok := strings.Cut(p, ":")
			idx, err1 := strconv.Atoi(is)
			v, err2 := strconv.ParseFloat(vs, 64)
			if !ok || err1 != nil || err2 != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return invalid("support vector %d: bad entry %q", len(m.coef)+1, p)
			}
			if idx <= last || idx > nf {
				return invalid("support vector %d: index %d out of order or beyond %d features", len(m.coef)+1, idx, nf)
			}
			last = idx
			row[idx-1] = v
		}
		m.coef = append(m.coef, c)
		m.sv = append(m.sv, row)
	}
	if len(m.coef) != total {
		return invalid("total_sv is %d but %d support vectors follow", total, len(m.coef))
	}
	return nil
}

func parseNum(f []string) (float64, error) {
	if len(f) != 2 {
		return 0, errors.New("want one value")
	}
	v, err := strconv.ParseFloat(f[1], 64)
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		return 0, errors.New("not finite")
	}
	return v, err
}

// predict evaluates the model on one frame's features, in feature order.
func (m *Model) predict(x []float64, opt ModelOptions) float64 {
	var xn [64]float64
	for k, v := range x {
		if m.normalize {
			v = float64(m.slopes[k+1]*v) + m.intercepts[k+1]
		}
		xn[k] = v
	}
	var sum float64
	for j, sv := range m.sv {
		var d2 float64
		for k, s := range sv {
			d := xn[k] - s
			d2 += float64(d * d)
		}
		sum += float64(m.coef[j] * math.Exp(-m.gamma*d2))
	}
	y := sum - m.rho
	if m.normalize {
		y = (y - m.intercepts[0]) / m.slopes[0]
	}
	if t := m.transform; t != nil && (t.enabled || opt.EnableTransform) {
		y = t.apply(y)
	}
	if m.clip && !opt.DisableClip {
		y = max(m.clipMin, min(m.clipMax, y))
	}
	return y
}

func (t *scoreTransform) apply(in float64) float64 {
	out := in
	if t.hasP[0] || t.hasP[1] || t.hasP[2] {
		out = 0
		if t.hasP[0] {
			out += t.p[0]
		}
		if t.hasP[1] {
			out += float64(t.p[1] * in)
		}
		if t.hasP[2] {
			out += float64(float64(t.p[2]*in) * in)
		}
	}
	if len(t.knots) >= 2 {
		out = piecewiseLinear(out, t.knots)
	}
	if t.outLteIn && out > in {
		out = in
	}
	if t.outGteIn && out < in {
		out = in
	}
	return out
}

// piecewiseLinear maps x through the knots, extrapolating the first and
// last segments, as libvmaf's piecewise_linear_mapping does.
func piecewiseLinear(x float64, knots [][2]float64) float64 {
	y := 0.0
	n := len(knots) - 1
	for i := 0; i < n; i++ {
		x0, y0, x1, y1 := knots[i][0], knots[i][1], knots[i+1][0], knots[i+1][1]
		in := x0 <= x && x <= x1
		below := i == 0 && x < x0
		above := i == n-1 && x > x1
		if !(in || below || above) {
			continue
		}
		if y0 == y1 {
			y = y0
			continue
		}
		var slope, offset float64
		if x0 == 0 {
			offset = y0
			slope = (y1 - offset) / x1
		} else {
			slope = (y1 - y0) / (x1 - x0)
			offset = y0 - float64(x0*slope)
		}
		y = float64(slope*x) + offset
	}
	return y
}

// Predict returns the model's score for one frame's features given in the
// order of the model's feature list: adm2, motion2, vif_scale0..3 for the
// vmaf_v0.6.1 family.
func (m *Model) Predict(features []float64, opt ModelOptions) (float64, error) {
	if len(features) != len(m.features) {
		return 0, fmt.Errorf("vmaf: model %s takes %d features, got %d: %w", m.Name, len(m.features), len(features), ErrInvalidOptions)
	}
	return m.predict(features, opt), nil
}
