package vmaf

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tinyModel = `{"model_dict":{"model_type":"LIBSVMNUSVR","norm_type":"linear_rescale",` +
	`"feature_names":["VMAF_integer_feature_adm2_score"],"slopes":[1,1],"intercepts":[0,0],` +
	`"score_clip":[0,100],"model":"svm_type nu_svr\nkernel_type rbf\ngamma 0.5\nnr_class 2\ntotal_sv 1\nrho -1\nSV\n2 1:0.5 \n"}}`

// modelCases double as the seed corpus of FuzzLoadModel.
var modelCases = []struct {
	name    string
	json    string
	wantErr string // substring of the error; empty means valid
}{
	{"tiny", tinyModel, ""},
	{"empty", ``, "not valid JSON"},
	{"not json", `model_dict = 1`, "not valid JSON"},
	{"truncated", tinyModel[:len(tinyModel)/2], "not valid JSON"},
	{"trailing", tinyModel + `{}`, "trailing data"},
	{"array", `[1,2]`, "not valid JSON"},
	{"no model_dict", `{"param_dict":{}}`, "no model_dict"},
	{"wrong type", strings.Replace(tinyModel, "LIBSVMNUSVR", "BOOTSTRAP_LIBSVMNUSVR", 1), "model_type"},
	{"unknown feature", strings.Replace(tinyModel, "VMAF_integer_feature_adm2_score", "VMAF_feature_adm2_score", 1), "not supported"},
	{"slopes short", strings.Replace(tinyModel, `"slopes":[1,1]`, `"slopes":[1]`, 1), "slopes"},
	{"zero slope", strings.Replace(tinyModel, `"slopes":[1,1]`, `"slopes":[0,1]`, 1), "slopes[0]"},
	{"bad clip", strings.Replace(tinyModel, `[0,100]`, `[100,0]`, 1), "score_clip"},
	{"norm none", strings.Replace(tinyModel, "linear_rescale", "none", 1), ""},
	{"bad norm", strings.Replace(tinyModel, "linear_rescale", "z_score", 1), "norm_type"},
	{"no svm", strings.Replace(tinyModel, `"model":`, `"xmodel":`, 1), "no model"},
	{"linear kernel", strings.Replace(tinyModel, "kernel_type rbf", "kernel_type linear", 1), "kernel_type"},
	{"sv count", strings.Replace(tinyModel, "total_sv 1", "total_sv 2", 1), "total_sv"},
	{"sv index", strings.Replace(tinyModel, "2 1:0.5", "2 2:0.5", 1), "index"},
	{"sv value", strings.Replace(tinyModel, "2 1:0.5", "2 1:x", 1), "bad entry"},
	{"no gamma", strings.Replace(tinyModel, `gamma 0.5\n`, ``, 1), "gamma missing"},
	{"opts", strings.Replace(tinyModel, `"score_clip"`, `"feature_opts_dicts":[{"adm_enhn_gain_limit":1.0}],"score_clip"`, 1), ""},
	{"bad opt", strings.Replace(tinyModel, `"score_clip"`, `"feature_opts_dicts":[{"adm_csf_mode":1}],"score_clip"`, 1), "not supported"},
	{"egl range", strings.Replace(tinyModel, `"score_clip"`, `"feature_opts_dicts":[{"adm_enhn_gain_limit":0.5}],"score_clip"`, 1), "out of range"},
	{"transform", strings.Replace(tinyModel, `"score_clip"`, `"score_transform":{"enabled":true,"p0":1,"p1":1,"p2":0,"knots":[[0,0],[50,60],[100,100]],"out_lte_in":"true"},"score_clip"`, 1), ""},
	{"bad knots", strings.Replace(tinyModel, `"score_clip"`, `"score_transform":{"knots":[[0,0],[0,1]]},"score_clip"`, 1), "knots"},
}

func TestParseModel(t *testing.T) {
	for _, c := range modelCases {
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseModel([]byte(c.json))
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if _, err := m.Predict([]float64{0.7}, ModelOptions{}); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", c.wantErr)
			}
			if !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %q: want ErrInvalidModel mentioning %q", err, c.wantErr)
			}
		})
	}
}

func TestPredictTiny(t *testing.T) {
	m, err := ParseModel([]byte(tinyModel))
	if err != nil {
		t.Fatal(err)
	}
	// f = 2·exp(-0.5·(x-0.5)²) - rho with rho = -1; identity rescaling.
	for _, x := range []float64{0.5, 0.9, 3} {
		want := 2*math.Exp(-0.5*(x-0.5)*(x-0.5)) + 1
		got, _ := m.Predict([]float64{x}, ModelOptions{})
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("x=%v: got %v want %v", x, got, want)
		}
	}
	if _, err := m.Predict([]float64{1, 2}, ModelOptions{}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("wrong feature count: %v", err)
	}
}

func TestTransformAndClip(t *testing.T) {
	m, err := LoadModel("vmaf_v0.6.1")
	if err != nil {
		t.Fatal(err)
	}
	// A contrast boost (akiyo "multiply" features from libvmaf) scores above
	// 100 without the clip; the transform never lowers a score.
	x := []float64{1.116701, 0, 1.052402, 1.070149, 1.072518, 1.072513}
	clipped, _ := m.Predict(x, ModelOptions{})
	raw, _ := m.Predict(x, ModelOptions{DisableClip: true})
	if clipped != 100 || raw < 130 {
		t.Errorf("clip: %v, no clip: %v", clipped, raw)
	}
	low := []float64{0.8, 2, 0.4, 0.7, 0.8, 0.85}
	plain, _ := m.Predict(low, ModelOptions{})
	tr, _ := m.Predict(low, ModelOptions{EnableTransform: true})
	if !(tr > plain) {
		t.Errorf("transform %v should exceed plain %v", tr, plain)
	}
}

func TestLoadModel(t *testing.T) {
	for _, name := range BuiltinModels() {
		m, err := LoadModel(name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != name || len(m.sv) < 200 || len(m.features) != 6 {
			t.Errorf("%s: name %q, %d SVs, %d features", name, m.Name, len(m.sv), len(m.features))
		}
	}
	neg, _ := LoadModel("vmaf_v0.6.1neg")
	for _, f := range neg.features {
		if f.kind != featMotion2 && f.egl != 1 {
			t.Errorf("NEG feature %v has egl %v", f.kind, f.egl)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "my_model.json")
	if err := os.WriteFile(p, []byte(tinyModel), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(p)
	if err != nil || m.Name != "my_model" {
		t.Fatalf("load from path: %v, %v", m, err)
	}
	if _, err := LoadModel(filepath.Join(dir, "absent.json")); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("absent file: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{"), 0o644)
	if _, err := LoadModel(bad); !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad file: %v", err)
	}
}

func FuzzLoadModel(f *testing.F) {
	for _, c := range modelCases {
		f.Add([]byte(c.json))
	}
	for _, name := range BuiltinModels() {
		b, err := builtinModels.ReadFile("models/" + name + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseModel(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("error does not wrap ErrInvalidModel: %v", err)
			}
			return
		}
		x := make([]float64, len(m.features))
		for i := range x {
			x[i] = 0.5
		}
		if _, err := m.Predict(x, ModelOptions{EnableTransform: true}); err != nil {
			t.Fatal(err)
		}
	})
}
