package seq

import (
	"fmt"
	"slices"
	"strings"
)

// Positions are where a burn-in can sit, relative to the picture.
var Positions = []string{"top-left", "top", "top-right", "bottom-left", "bottom", "bottom-right"}

// Fields are the template fields, in the order the help lists them.
var Fields = []string{"shot", "version", "artist", "date", "frame", "tc", "text", "first", "last", "fps"}

// DefaultTemplate is the burn-in of --burnin default.
const DefaultTemplate = "top-left={shot} {version};top-right={artist} {date};bottom-left={tc};bottom-right={frame}"

// Template is a parsed burn-in template: POSITION=TEXT items separated by
// ';', TEXT holding {field}s ({{ and }} for literal braces), e.g.
//
//	top-left={shot} {version};bottom-right={frame};bottom-left={tc}
type Template struct {
	Items []Item
}

// Item is one burn-in: a position and its text with fields.
type Item struct {
	Pos  string
	Text string // as written
}

// MaxTemplateLen bounds a template (the text is drawn on every frame).
const MaxTemplateLen = 2048

// ParseTemplate parses a template ("default" is DefaultTemplate). An
// unknown position or field, a position used twice, an unclosed brace or a
// control character is ErrBadTemplate.
func ParseTemplate(s string) (Template, error) {
	if s == "default" {
		s = DefaultTemplate
	}
	bad := func(format string, a ...any) (Template, error) {
		return Template{}, fmt.Errorf("%w %q: %s", ErrBadTemplate, s, fmt.Sprintf(format, a...))
	}
	if len(s) > MaxTemplateLen {
		return bad("longer than %d bytes", MaxTemplateLen)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return bad("control character")
		}
	}
	var t Template
	for _, part := range strings.Split(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		pos, text, ok := strings.Cut(part, "=")
		pos = strings.TrimSpace(pos)
		if !ok {
			return bad("%q is not POSITION=TEXT", part)
		}
		if !slices.Contains(Positions, pos) {
			return bad("unknown position %q (want one of %s)", pos, strings.Join(Positions, ", "))
		}
		for _, it := range t.Items {
			if it.Pos == pos {
				return bad("position %s used twice", pos)
			}
		}
		if _, err := expand(text, nil); err != nil {
			return bad("%v", err)
		}
		t.Items = append(t.Items, Item{Pos: pos, Text: text})
	}
	if len(t.Items) == 0 {
		return bad("no POSITION=TEXT item")
	}
	return t, nil
}

// Values are what fields expand to for one frame.
type Values map[string]string

// Expand returns each item's text for one frame, in the template's order.
func (t Template) Expand(v Values) []string {
	out := make([]string, len(t.Items))
	for i, it := range t.Items {
		out[i], _ = expand(it.Text, v)
	}
	return out
}

// expand replaces {field}s in text by v's values; nil v only checks.
func expand(text string, v Values) (string, error) {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '{' && i+1 < len(text) && text[i+1] == '{':
			b.WriteByte('{')
			i++
		case c == '}' && i+1 < len(text) && text[i+1] == '}':
			b.WriteByte('}')
			i++
		case c == '{':
			j := strings.IndexByte(text[i:], '}')
			if j < 0 {
				return "", fmt.Errorf("unclosed { in %q", text)
			}
			name := text[i+1 : i+j]
			if !slices.Contains(Fields, name) {
				return "", fmt.Errorf("unknown field {%s} (want one of {%s})", name, strings.Join(Fields, "}, {"))
			}
			b.WriteString(v[name])
			i += j
		case c == '}':
			return "", fmt.Errorf("lone } in %q (write }} for a brace)", text)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
