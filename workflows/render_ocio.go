package workflows

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/reelmedia/reel/media"
)

var (
	// ErrOCIO: an OpenColorIO config, view or colour space reel render
	// --ocio cannot use (unreadable, not OCIO v2, a name it does not have).
	ErrOCIO = media.NewBadInput("OpenColorIO")
	// ErrOCIOTool: ociobakelut is not installed where the render runs.
	// Retrying on the same machine will not help, so it is bad input too.
	ErrOCIOTool = media.NewBadInput("--ocio needs ociobakelut, from the Debian package opencolorio-tools")
)

// The baked LUT: a 65-point cube behind a 4096-point 1D shaper that spreads
// scene-linear light log2 from 2^-12 to 2^6 (0.00024 to 64, 18 stops;
// 0 maps to the shaper's first entry, negatives clamp). A cube over linear
// values would spend half its points on the top stop; the shaper gives each
// stop the same share. Cinespace (.csp) is the format that carries a
// shaper that FFmpeg's lut3d reads (its .cube reader has no 1D part).
const (
	ocioCubeSize   = 65
	ocioShaperSize = 4096
	ocioShaper     = "{allocation: lg2, vars: [-12, 6, 0.000244140625], direction: inverse}"
	// ocioPrefix names the colour spaces reel adds to a copy of the
	// config.
	ocioPrefix = "reel_ocio_"
	// maxOCIOConfig bounds the config read (real ones are well under 1 MB).
	maxOCIOConfig = 16 << 20
)

// OCIOView is what reel render --ocio asks for: the config (a local path),
// the view as DISPLAY/VIEW and the frames' colour space ("" = the
// scene_linear role).
type OCIOView struct {
	Config string `json:"config"`
	View   string `json:"view"`
	Input  string `json:"input,omitempty"`
}

// BakeOCIO bakes v into a LUT file in dir with ociobakelut and returns its
// path. The config is checked first (version 2, the display, the view and
// the input colour space exist) so that a wrong name fails in one line
// naming it. ociobakelut cannot bake a display/view in OCIO 2.1, so a copy
// of the config with three added colour spaces (the reference, the shaper,
// and the view as a DisplayViewTransform) is baked instead; relative
// search paths are made absolute so the copy finds the config's files.
// The file is named by a hash of what made it and written atomically:
// the same config and view give the same bytes at the same path.
func BakeOCIO(ctx context.Context, v OCIOView, dir string) (string, error) {
	tool, err := exec.LookPath("ociobakelut")
	if err != nil {
		return "", ErrOCIOTool
	}
	derived, err := ocioDerivedConfig(v)
	if err != nil {
		return "", err
	}
	input := v.Input
	if input == "" {
		input = "scene_linear"
	}
	sum := sha256.Sum256(append(derived, "\x00"+input+"\x00"+strconv.Itoa(ocioCubeSize)+"\x00"+strconv.Itoa(ocioShaperSize)...))
	name := "ocio-" + hex.EncodeToString(sum[:8])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".ocio-bake-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cfg := filepath.Join(tmp, "config.ocio")
	if err := os.WriteFile(cfg, derived, 0o644); err != nil {
		return "", err
	}
	lut := filepath.Join(tmp, name+".csp")
	cmd := exec.CommandContext(ctx, tool, "--iconfig", cfg, "--inputspace", input, "--shaperspace", ocioPrefix+"shaper",
		"--outputspace", ocioPrefix+"view", "--format", "cinespace",
		"--shapersize", strconv.Itoa(ocioShaperSize), "--cubesize", strconv.Itoa(ocioCubeSize), lut)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("%w: ociobakelut on %s, view %s: %s", ErrOCIO, v.Config, v.View, toolError(stderr.String(), err))
	}
	out := filepath.Join(dir, name+".csp")
	if err := os.Rename(lut, out); err != nil {
		return "", err
	}
	return out, nil
}

// toolError is the line of ociobakelut's output that says what went
// wrong (it ends with a pointer to --help), or err's text.
func toolError(s string, err error) string {
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "OCIO Error:"))
		if l != "" && !strings.HasPrefix(l, "See --help") {
			return l
		}
	}
	return err.Error()
}

// ocioDerivedConfig checks v against its config and returns the copy that
// ociobakelut bakes: the config with the reference, shaper and view
// colour spaces added.
func ocioDerivedConfig(v OCIOView) ([]byte, error) {
	display, view, ok := strings.Cut(v.View, "/")
	if !ok || display == "" || view == "" {
		return nil, fmt.Errorf("%w: --ocio-view %q: want DISPLAY/VIEW, e.g. sRGB/Film", ErrOCIO, v.View)
	}
	f, err := os.Open(v.Config)
	if err != nil {
		return nil, fmt.Errorf("%w: config: %v", ErrOCIO, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxOCIOConfig+1))
	if err != nil {
		return nil, fmt.Errorf("%w: config %s: %v", ErrOCIO, v.Config, err)
	}
	if len(b) > maxOCIOConfig {
		return nil, fmt.Errorf("%w: config %s: over %d bytes", ErrOCIO, v.Config, maxOCIOConfig)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: config %s: not YAML: %s", ErrOCIO, v.Config, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: config %s: not an OCIO config (not a YAML mapping)", ErrOCIO, v.Config)
	}
	root := doc.Content[0]
	if ver := mapValue(root, "ocio_profile_version"); ver == nil || !strings.HasPrefix(ver.Value, "2") {
		return nil, fmt.Errorf("%w: config %s: want ocio_profile_version 2 (OCIO v2; Debian 12 has OCIO 2.1)", ErrOCIO, v.Config)
	}
	if err := ocioCheckView(root, display, view); err != nil {
		return nil, fmt.Errorf("%w: config %s: %v", ErrOCIO, v.Config, err)
	}
	if v.Input != "" && !ocioHasSpace(root, v.Input) {
		return nil, fmt.Errorf("%w: config %s: no colour space or role %q for --ocio-input", ErrOCIO, v.Config, v.Input)
	}
	if v.Input == "" && !ocioHasSpace(root, "scene_linear") {
		return nil, fmt.Errorf("%w: config %s: no scene_linear role: name the frames' colour space with --ocio-input", ErrOCIO, v.Config)
	}
	spaces := mapValue(root, "colorspaces")
	if spaces == nil || spaces.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%w: config %s: no colorspaces list", ErrOCIO, v.Config)
	}
	if err := ocioAbsSearchPath(root, filepath.Dir(v.Config)); err != nil {
		return nil, fmt.Errorf("%w: config %s: %v", ErrOCIO, v.Config, err)
	}
	added := fmt.Sprintf(`- !<ColorSpace>
  name: %[1]sreference
  isdata: false
- !<ColorSpace>
  name: %[1]sshaper
  isdata: false
  to_scene_reference: !<AllocationTransform> %[2]s
- !<ColorSpace>
  name: %[1]sview
  isdata: false
  from_scene_reference: !<DisplayViewTransform> {src: %[1]sreference, display: %[3]s, view: %[4]s}
`, ocioPrefix, ocioShaper, strconv.Quote(display), strconv.Quote(view))
	var add yaml.Node
	if err := yaml.Unmarshal([]byte(added), &add); err != nil {
		return nil, fmt.Errorf("%w: display %q or view %q: %v", ErrOCIO, display, view, err)
	}
	spaces.Content = append(spaces.Content, add.Content[0].Content...)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("%w: config %s: %v", ErrOCIO, v.Config, err)
	}
	return out, nil
}

// ocioCheckView fails naming the display or view the config lacks, and
// what it has instead.
func ocioCheckView(root *yaml.Node, display, view string) error {
	displays := mapValue(root, "displays")
	if displays == nil || displays.Kind != yaml.MappingNode {
		return errors.New("no displays")
	}
	var names []string
	for i := 0; i+1 < len(displays.Content); i += 2 {
		names = append(names, displays.Content[i].Value)
		if displays.Content[i].Value != display {
			continue
		}
		var views []string
		for _, n := range displays.Content[i+1].Content {
			switch {
			case n.Kind == yaml.MappingNode && mapValue(n, "name") != nil:
				views = append(views, mapValue(n, "name").Value)
			case n.Kind == yaml.SequenceNode: // !<Views> [shared, views]
				for _, s := range n.Content {
					views = append(views, s.Value)
				}
			}
		}
		for _, name := range views {
			if name == view {
				return nil
			}
		}
		return fmt.Errorf("no view %q for display %q (views: %s)", view, display, strings.Join(views, ", "))
	}
	return fmt.Errorf("no display %q (displays: %s)", display, strings.Join(names, ", "))
}

// ocioHasSpace says whether name is a role, colour space or alias of the
// config (OCIO compares names without case).
func ocioHasSpace(root *yaml.Node, name string) bool {
	if roles := mapValue(root, "roles"); roles != nil {
		for i := 0; i+1 < len(roles.Content); i += 2 {
			if strings.EqualFold(roles.Content[i].Value, name) {
				return true
			}
		}
	}
	for _, key := range []string{"colorspaces", "display_colorspaces"} {
		list := mapValue(root, key)
		if list == nil {
			continue
		}
		for _, cs := range list.Content {
			if n := mapValue(cs, "name"); n != nil && strings.EqualFold(n.Value, name) {
				return true
			}
			if al := mapValue(cs, "aliases"); al != nil {
				for _, a := range al.Content {
					if strings.EqualFold(a.Value, name) {
						return true
					}
				}
			}
		}
	}
	return false
}

// ocioAbsSearchPath makes the config's relative search paths absolute,
// from base (the config's directory, where OCIO resolves them; no search
// path is the directory itself), so that the copy baked elsewhere finds
// the same files. The config's own working
// directory (environment variables in paths) is left as it is.
func ocioAbsSearchPath(root *yaml.Node, base string) error {
	abs, err := filepath.Abs(base)
	if err != nil {
		return err
	}
	sp := mapValue(root, "search_path")
	if sp == nil {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "search_path"}, &yaml.Node{Kind: yaml.ScalarNode, Value: ""})
		sp = root.Content[len(root.Content)-1]
	}
	fix := func(p string) string {
		if filepath.IsAbs(p) || strings.HasPrefix(p, "$") {
			return p
		}
		return filepath.Join(abs, p)
	}
	switch sp.Kind {
	case yaml.ScalarNode:
		parts := strings.Split(sp.Value, ":")
		for i, p := range parts {
			parts[i] = fix(p)
		}
		sp.Value, sp.Style = strings.Join(parts, ":"), yaml.DoubleQuotedStyle
	case yaml.SequenceNode:
		for _, n := range sp.Content {
			n.Value = fix(n.Value)
		}
	}
	return nil
}

// mapValue is key's value in the mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
