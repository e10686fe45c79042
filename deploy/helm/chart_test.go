// Package helm tests the reel Helm chart (deploy/helm/reel): it renders the
// chart with Helm's Go library for several values files and checks every
// manifest against the Kubernetes API types, strictly (an unknown or
// misspelt field fails), without a cluster. It is a module of its own so
// that Helm and the Kubernetes modules never enter reel's build: run it with
// `cd deploy/helm && go test ./...`.
package helm

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/reelmedia/reel/internal/config"
)

// render renders the chart with the values file (empty: the defaults) and
// returns each manifest document by "Kind/name".
func render(t *testing.T, valuesFile string) map[string][]byte {
	t.Helper()
	ch, err := loader.Load("reel")
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{}
	if valuesFile != "" {
		if vals, err = chartutil.ReadValuesFile(valuesFile); err != nil {
			t.Fatal(err)
		}
	}
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: "r", Namespace: "media", IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	files, err := engine.Render(ch, rv)
	if err != nil {
		t.Fatalf("render %s: %v", valuesFile, err)
	}
	docs := map[string][]byte{}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasSuffix(n, ".tpl") || strings.HasSuffix(n, "NOTES.txt") {
			continue
		}
		for _, doc := range strings.Split(files[n], "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var head struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			js, err := sigsyaml.YAMLToJSON([]byte(doc))
			if err != nil {
				t.Fatalf("%s: %v\n%s", n, err, doc)
			}
			if err := json.Unmarshal(js, &head); err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			docs[head.Kind+"/"+head.Metadata.Name] = js
		}
	}
	return docs
}

// strict decodes js into v, refusing unknown fields.
func strict(js []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(js))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// The KEDA CRDs, as far as the chart uses them: a small schema of their own.
type scaledObject struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Spec       struct {
		ScaleTargetRef struct {
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int `json:"minReplicaCount"`
		MaxReplicaCount *int `json:"maxReplicaCount"`
		PollingInterval *int `json:"pollingInterval"`
		CooldownPeriod  *int `json:"cooldownPeriod"`
		Triggers        []struct {
			Type              string            `json:"type"`
			Metadata          map[string]string `json:"metadata"`
			AuthenticationRef *struct {
				Name string `json:"name"`
			} `json:"authenticationRef"`
		} `json:"triggers"`
	} `json:"spec"`
}

type triggerAuthentication struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Spec       struct {
		SecretTargetRef []struct {
			Parameter string `json:"parameter"`
			Name      string `json:"name"`
			Key       string `json:"key"`
		} `json:"secretTargetRef"`
	} `json:"spec"`
}

// validate decodes every manifest into its Kubernetes type strictly and
// returns them by Kind/name.
func validate(t *testing.T, docs map[string][]byte) map[string]any {
	t.Helper()
	out := map[string]any{}
	for id, js := range docs {
		var v any
		switch kind := strings.SplitN(id, "/", 2)[0]; kind {
		case "Deployment":
			v = &appsv1.Deployment{}
		case "ConfigMap":
			v = &corev1.ConfigMap{}
		case "Service":
			v = &corev1.Service{}
		case "PodDisruptionBudget":
			v = &policyv1.PodDisruptionBudget{}
		case "ScaledObject":
			v = &scaledObject{}
		case "TriggerAuthentication":
			v = &triggerAuthentication{}
		default:
			t.Errorf("%s: a kind this test does not know", id)
			continue
		}
		if err := strict(js, v); err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		out[id] = v
	}
	return out
}

// reelConfig decodes the reel.yaml of the ConfigMap into reel's own
// configuration, refusing keys reel does not have.
func reelConfig(t *testing.T, objs map[string]any) config.Config {
	t.Helper()
	cm, ok := objs["ConfigMap/r-reel-config"].(*corev1.ConfigMap)
	if !ok {
		t.Fatal("no ConfigMap r-reel-config")
	}
	var c config.Config
	d := yaml.NewDecoder(strings.NewReader(cm.Data["reel.yaml"]))
	d.KnownFields(true)
	if err := d.Decode(&c); err != nil {
		t.Fatalf("reel.yaml: %v\n%s", err, cm.Data["reel.yaml"])
	}
	return c
}

func TestChartDefaults(t *testing.T) {
	objs := validate(t, render(t, ""))
	w := objs["Deployment/r-reel-worker"].(*appsv1.Deployment)
	if *w.Spec.Replicas != 2 || *w.Spec.Template.Spec.TerminationGracePeriodSeconds != 150 {
		t.Errorf("worker replicas %d, grace %d", *w.Spec.Replicas, *w.Spec.Template.Spec.TerminationGracePeriodSeconds)
	}
	c := reelConfig(t, objs)
	if c.Worker.Concurrency != 4 || c.Worker.DrainGrace.Seconds() != 120 {
		t.Errorf("concurrency %d (want 4, from 4 CPUs), drain grace %s", c.Worker.Concurrency, c.Worker.DrainGrace)
	}
	if _, ok := objs["PodDisruptionBudget/r-reel-worker"]; !ok {
		t.Error("no PodDisruptionBudget")
	}
	for id := range objs {
		if strings.HasPrefix(id, "ScaledObject") || strings.Contains(id, "dashboard") {
			t.Errorf("%s rendered by default", id)
		}
	}
}

func TestChartProduction(t *testing.T) {
	objs := validate(t, render(t, filepath.Join("testdata", "production.yaml")))
	c := reelConfig(t, objs)
	if c.Worker.Concurrency != 3 { // 3500m CPU requested
		t.Errorf("concurrency %d, want 3", c.Worker.Concurrency)
	}
	if len(c.Storage.Roots) != 1 || c.Storage.Roots[0] != "/mnt/media" || len(c.Storage.S3Buckets) != 2 {
		t.Errorf("storage %+v", c.Storage)
	}
	if c.Temporal.TLS.CA != "/etc/reel/tls/ca.crt" || c.Temporal.TLS.ServerName != "temporal.prod" {
		t.Errorf("tls %+v", c.Temporal.TLS)
	}
	w := objs["Deployment/r-reel-worker"].(*appsv1.Deployment)
	if w.Spec.Replicas != nil {
		t.Error("replicas set while KEDA scales the workers")
	}
	env := map[string]string{}
	for _, e := range w.Spec.Template.Spec.Containers[0].Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			env[e.Name] = e.ValueFrom.SecretKeyRef.Name
		}
	}
	if env["REEL_TEMPORAL_API_KEY"] != "temporal-key" || env["REEL_S3_SECRET_KEY"] != "s3-creds" {
		t.Errorf("secret env %v", env)
	}
	so := objs["ScaledObject/r-reel-worker"].(*scaledObject)
	tr := so.Spec.Triggers[0]
	if tr.Type != "temporal" || tr.Metadata["taskQueue"] != "reel-prod" || tr.Metadata["targetQueueSize"] != "4" || tr.AuthenticationRef == nil {
		t.Errorf("trigger %+v", tr)
	}
	if _, ok := objs["TriggerAuthentication/r-reel-temporal"]; !ok {
		t.Error("no TriggerAuthentication")
	}
	if _, ok := objs["Service/r-reel-dashboard"]; !ok {
		t.Error("no dashboard Service")
	}
	// No secret in the ConfigMap.
	cm := objs["ConfigMap/r-reel-config"].(*corev1.ConfigMap)
	if strings.Contains(cm.Data["reel.yaml"], "secret") || strings.Contains(cm.Data["reel.yaml"], "api_key") {
		t.Errorf("reel.yaml holds a secret: %s", cm.Data["reel.yaml"])
	}
}

// Each values file in testdata renders and validates.
func TestChartValuesFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if len(files) < 3 {
		t.Fatalf("%d values files", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			objs := validate(t, render(t, f))
			reelConfig(t, objs)
			if len(objs) < 2 {
				t.Errorf("%d objects", len(objs))
			}
		})
	}
}

// The strict check catches what a cluster would refuse: an unknown field.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	js := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},"spec":{"replica":2}}`)
	if err := strict(js, &appsv1.Deployment{}); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Errorf("unknown field accepted: %v", err)
	}
}
