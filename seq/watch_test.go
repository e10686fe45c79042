package seq

import (
	"strings"
	"testing"
	"time"
)

func TestVersionOf(t *testing.T) {
	for in, want := range map[string]string{
		"sh010_comp_v003": "v003", "sh010_v2_comp_v014": "v014", "sh010.comp": "", "env_v1": "v1", "dev003": "", "v12": "v12",
	} {
		if got := VersionOf(in); got != want {
			t.Errorf("VersionOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestVersionKey: the same files give the same key; another size, another
// frame or another sequence give another; the key is a safe job ID.
func TestVersionKey(t *testing.T) {
	p, _ := ParsePattern("/r/sh 010_comp_v003.####.exr")
	f := Found{Pattern: p, Numbers: []int{1001, 1002, 1003}}
	sizes := map[int]int64{1001: 10, 1002: 10, 1003: 10}
	k := VersionKey("render", f, sizes)
	if !strings.HasPrefix(k, "render-sh_010_comp_v003-1001-1003-") || strings.ContainsAny(k, " /") {
		t.Errorf("key %q", k)
	}
	if k2 := VersionKey("render", f, map[int]int64{1001: 10, 1002: 10, 1003: 10}); k2 != k {
		t.Errorf("not deterministic: %q vs %q", k, k2)
	}
	if k2 := VersionKey("render", f, map[int]int64{1001: 10, 1002: 11, 1003: 10}); k2 == k {
		t.Error("a frame of another size gives the same key")
	}
	f2 := Found{Pattern: p, Numbers: []int{1001, 1003}}
	if k2 := VersionKey("render", f2, sizes); k2 == k {
		t.Error("another frame list gives the same key")
	}
	p4, _ := ParsePattern("/r/sh 010_comp_v004.####.exr")
	if k2 := VersionKey("render", Found{Pattern: p4, Numbers: f.Numbers}, sizes); k2 == k {
		t.Error("another sequence gives the same key")
	}
}

// TestSettler: settled only once nothing changed for the settle time, by
// what the Settler saw and by the files' times; a change starts it again.
func TestSettler(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	const settle = 30 * time.Second
	var s Settler
	old := t0.Add(-time.Hour)
	steps := []struct {
		key    string
		newest time.Time
		at     time.Duration
		want   bool
	}{
		{"a", old, 0, false},                                     // first seen: counts from now
		{"a", old, 29 * time.Second, false},                      // not yet
		{"a", old, 30 * time.Second, true},                       // settled
		{"b", old, 31 * time.Second, false},                      // a frame added: starts again
		{"b", old, 61 * time.Second, true},                       // settled again
		{"b", t0.Add(50 * time.Second), 62 * time.Second, false}, // a frame rewritten in place (time only)
		{"b", t0.Add(50 * time.Second), 80 * time.Second, true},
	}
	for i, st := range steps {
		if got := s.Settled("p", st.key, st.newest, t0.Add(st.at), settle, false); got != st.want {
			t.Errorf("step %d: settled %v, want %v", i, got, st.want)
		}
	}
	var once Settler
	if !once.Settled("p", "a", old, t0, settle, true) {
		t.Error("trusting times: an hour-old sequence is not settled")
	}
	if once.Settled("q", "a", t0.Add(-10*time.Second), t0, settle, true) {
		t.Error("trusting times: a sequence written 10 s ago is settled")
	}
}
