package seq

import (
	"context"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MaxPad is the widest frame-number padding a pattern may ask for.
const MaxPad = 10

// MaxFrames is the most frames a range may span: it bounds what a hostile
// range ("0-999999999") can make the planner allocate.
const MaxFrames = 1_000_000

// Pattern is a parsed sequence pattern: Dir/Prefix + number + Suffix, the
// number zero padded to Pad digits (Pad 1: unpadded).
type Pattern struct {
	Dir    string // directory part, "" for the current one; kept as given (a path or an s3:// prefix)
	Prefix string // file name before the number
	Suffix string // file name after the number, extension included
	Pad    int
}

// ParsePattern parses name.####.ext, name.@@@@.ext or name.%04d.ext (the
// placeholder in the file name, not in a directory). It refuses anything
// else: no placeholder or two, %s or %n, padding over MaxPad, control
// characters, an empty file name.
func ParsePattern(s string) (Pattern, error) {
	bad := func(format string, a ...any) (Pattern, error) {
		return Pattern{}, fmt.Errorf("%w %q: %s", ErrBadPattern, s, fmt.Sprintf(format, a...))
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return bad("control character in the pattern")
		}
	}
	if len(s) > 4096 {
		return bad("longer than 4096 bytes")
	}
	dir, file := splitDir(s)
	if file == "" || file == "." || file == ".." {
		return bad("no file name")
	}
	if hasPlaceholder(dir) {
		return bad("a frame number placeholder in the directory part")
	}
	type hit struct{ start, end, pad int }
	var hits []hit
	for i := 0; i < len(file); {
		switch c := file[i]; {
		case c == '#' || c == '@':
			j := i
			for j < len(file) && file[j] == c {
				j++
			}
			hits = append(hits, hit{i, j, j - i})
			i = j
		case c == '%':
			j := i + 1
			for j < len(file) && file[j] >= '0' && file[j] <= '9' {
				j++
			}
			if j >= len(file) {
				return bad("%% at the end")
			}
			switch file[j] {
			case '%':
				return bad("%%%% is not supported in a pattern")
			case 'd':
			default:
				return bad("only %%d and %%0Nd are frame numbers, not %%%c", file[j])
			}
			digits := file[i+1 : j]
			pad := 1
			if digits != "" {
				if digits[0] != '0' && len(digits) > 0 {
					return bad("the width of %%%sd must be zero padded (%%0%sd)", digits, digits)
				}
				n, err := strconv.Atoi(digits)
				if err != nil || n > MaxPad {
					return bad("padding %s over %d digits", digits, MaxPad)
				}
				pad = max(n, 1)
			}
			hits = append(hits, hit{i, j + 1, pad})
			i = j + 1
		default:
			i++
		}
	}
	if len(hits) == 0 {
		return bad("no frame number placeholder (####, @@@@ or %%04d)")
	}
	if len(hits) > 1 {
		return bad("more than one frame number placeholder")
	}
	h := hits[0]
	if h.pad > MaxPad {
		return bad("padding of %d digits is over %d", h.pad, MaxPad)
	}
	return Pattern{Dir: dir, Prefix: file[:h.start], Suffix: file[h.end:], Pad: h.pad}, nil
}

func hasPlaceholder(s string) bool {
	return strings.ContainsAny(s, "#@") || strings.Contains(s, "%")
}

// splitDir splits at the last slash, keeping a URL's scheme in the
// directory ("s3://b/p/x.####.exr" -> "s3://b/p", "x.####.exr").
func splitDir(s string) (string, string) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+1:]
}

// Name is the file name of frame n (no directory).
func (p Pattern) Name(n int) string {
	return p.Prefix + p.Number(n) + p.Suffix
}

// Number formats n with the pattern's padding, as the file names and the
// burn-ins show it.
func (p Pattern) Number(n int) string {
	return fmt.Sprintf("%0*d", max(p.Pad, 1), n)
}

// Path is frame n's path: the directory joined with Name.
func (p Pattern) Path(n int) string {
	if p.Dir == "" {
		return p.Name(n)
	}
	return p.Dir + "/" + p.Name(n)
}

// File is the file name part in printf form, name.%04d.exr.
func (p Pattern) File() string {
	if p.Pad <= 1 {
		return p.Prefix + "%d" + p.Suffix
	}
	return p.Prefix + "%0" + strconv.Itoa(p.Pad) + "d" + p.Suffix
}

// String is the pattern in printf form, dir/name.%04d.exr.
func (p Pattern) String() string {
	f := p.File()
	if p.Dir == "" {
		return f
	}
	return p.Dir + "/" + f
}

// Ext is the extension of the frames, lower case without the dot ("exr").
func (p Pattern) Ext() string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(p.Suffix), "."))
}

// Match returns the frame number of a file name (no directory) that fits
// the pattern: the digits exactly Pad wide, or wider without a leading zero.
func (p Pattern) Match(name string) (int, bool) {
	if !strings.HasPrefix(name, p.Prefix) || !strings.HasSuffix(name, p.Suffix) || len(name) < len(p.Prefix)+len(p.Suffix)+1 {
		return 0, false
	}
	digits := name[len(p.Prefix) : len(name)-len(p.Suffix)]
	if !allDigits(digits) || len(digits) > 18 {
		return 0, false
	}
	pad := max(p.Pad, 1)
	if len(digits) < pad || (len(digits) > pad && digits[0] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, false
	}
	return n, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Range is the frames First, First+Step, ... up to Last (inclusive). The
// zero Range means every frame found.
type Range struct {
	First, Last, Step int
}

// IsZero reports whether r is unset.
func (r Range) IsZero() bool { return r == Range{} }

// Count is the number of frames in r.
func (r Range) Count() int {
	if r.Step <= 0 || r.Last < r.First {
		return 0
	}
	return (r.Last-r.First)/r.Step + 1
}

func (r Range) String() string {
	s := strconv.Itoa(r.First) + "-" + strconv.Itoa(r.Last)
	if r.Step > 1 {
		s += "x" + strconv.Itoa(r.Step)
	}
	return s
}

// ParseRange parses FIRST-LAST, FIRST-LASTxSTEP or a single frame N. Frame
// numbers are not negative; a range over MaxFrames frames is refused.
func ParseRange(s string) (Range, error) {
	bad := func(why string) (Range, error) {
		return Range{}, fmt.Errorf("%w %q: %s (want FIRST-LAST or FIRST-LASTxSTEP, e.g. 1001-1240x2)", ErrBadRange, s, why)
	}
	body, step := s, 1
	if i := strings.IndexByte(s, 'x'); i >= 0 {
		body = s[:i]
		if !allDigits(s[i+1:]) || len(s[i+1:]) > 9 {
			return bad("the step is not a number")
		}
		step, _ = strconv.Atoi(s[i+1:])
		if step < 1 {
			return bad("the step is under 1")
		}
	}
	a, b, ok := strings.Cut(body, "-")
	if !ok {
		b = a
	}
	if !allDigits(a) || !allDigits(b) || len(a) > 9 || len(b) > 9 {
		return bad("frames are whole numbers, 0 or more")
	}
	r := Range{Step: step}
	r.First, _ = strconv.Atoi(a)
	r.Last, _ = strconv.Atoi(b)
	if r.Last < r.First {
		return bad("the last frame is before the first")
	}
	if r.Count() > MaxFrames {
		return bad(fmt.Sprintf("over %d frames", MaxFrames))
	}
	return r, nil
}

// Lister lists the file names (no directory part) in a directory, or the
// object names under an S3 prefix. The caller provides it: DirLister for a
// local directory, a mezzfs listing for a bucket.
type Lister interface {
	List(ctx context.Context, dir string) ([]string, error)
}

// DirLister lists a local directory ("" is the current one).
type DirLister struct{}

// List returns the names of the regular files and links in dir.
func (DirLister) List(ctx context.Context, dir string) ([]string, error) {
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Found is a pattern with the frame numbers present, ascending.
type Found struct {
	Pattern Pattern
	Numbers []int
}

// Range is the frames found, first to last, step 1.
func (f Found) Range() Range {
	if len(f.Numbers) == 0 {
		return Range{}
	}
	return Range{First: f.Numbers[0], Last: f.Numbers[len(f.Numbers)-1], Step: 1}
}

// Find lists p's directory and returns the frames present. Nothing
// matching is ErrNoFrames.
func Find(ctx context.Context, l Lister, p Pattern) (Found, error) {
	names, err := l.List(ctx, p.Dir)
	if err != nil {
		return Found{}, fmt.Errorf("sequence %q: listing %q: %w", p.String(), dirName(p.Dir), err)
	}
	f := Found{Pattern: p}
	seen := map[int]bool{}
	for _, n := range names {
		if num, ok := p.Match(n); ok && !seen[num] {
			seen[num] = true
			f.Numbers = append(f.Numbers, num)
		}
	}
	if len(f.Numbers) == 0 {
		return Found{}, fmt.Errorf("sequence %q: %w: no file matches in %q", p.String(), ErrNoFrames, dirName(p.Dir))
	}
	sort.Ints(f.Numbers)
	return f, nil
}

func dirName(d string) string {
	if d == "" {
		return "."
	}
	return d
}

// ImageExts are the extensions Detect considers frames.
var ImageExts = []string{"exr", "dpx", "tif", "tiff", "png"}

// Detect finds the one sequence in a directory: file names with an image
// extension (ImageExts) and a run of digits before it, grouped by what
// surrounds the digits. Other files (a marker, a log) are ignored. None is
// ErrNoFrames; more than one is ErrSeveralSequences, listing each with its
// frame range.
func Detect(ctx context.Context, l Lister, dir string) (Found, error) {
	names, err := l.List(ctx, dir)
	if err != nil {
		return Found{}, fmt.Errorf("sequence in %q: listing: %w", dirName(dir), err)
	}
	found := Group(dir, names)
	if len(found) == 0 {
		return Found{}, fmt.Errorf("sequence in %q: %w: no numbered image files (%s)", dirName(dir), ErrNoFrames, strings.Join(ImageExts, ", "))
	}
	if len(found) > 1 {
		var list []string
		for _, f := range found {
			list = append(list, fmt.Sprintf("%s (%s, %d frames)", f.Pattern.File(), f.Range(), len(f.Numbers)))
		}
		return Found{}, fmt.Errorf("sequence in %q: %w (%d), name one: %s", dirName(dir), ErrSeveralSequences, len(found), strings.Join(list, "; "))
	}
	return found[0], nil
}

// Group finds the sequences among the file names of dir: names with an
// image extension (ImageExts) and a run of digits before it, grouped by
// what surrounds the digits, sorted by pattern. Other files (a marker, a
// log, a hidden file) are left out.
func Group(dir string, names []string) []Found {
	type group struct {
		prefix, suffix string
		nums           []int
		minLen         int
	}
	groups := map[[2]string]*group{}
	for _, n := range names {
		ext := strings.ToLower(strings.TrimPrefix(path.Ext(n), "."))
		if !slices.Contains(ImageExts, ext) || strings.HasPrefix(n, ".") {
			continue
		}
		stem := n[:len(n)-len(ext)-1]
		end := len(stem)
		for end > 0 && (stem[end-1] < '0' || stem[end-1] > '9') {
			end--
		}
		start := end
		for start > 0 && stem[start-1] >= '0' && stem[start-1] <= '9' {
			start--
		}
		digits := stem[start:end]
		if digits == "" || len(digits) > 18 {
			continue
		}
		num, err := strconv.Atoi(digits)
		if err != nil {
			continue
		}
		key := [2]string{n[:start], n[end:]}
		g := groups[key]
		if g == nil {
			g = &group{prefix: key[0], suffix: key[1], minLen: len(digits)}
			groups[key] = g
		}
		g.nums = append(g.nums, num)
		g.minLen = min(g.minLen, len(digits))
	}
	var found []Found
	for _, g := range groups {
		sort.Ints(g.nums)
		g.nums = slices.Compact(g.nums)
		found = append(found, Found{Pattern: Pattern{Dir: dir, Prefix: g.prefix, Suffix: g.suffix, Pad: g.minLen}, Numbers: g.nums})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Pattern.String() < found[j].Pattern.String() })
	return found
}

// Policy is what a render does with a frame missing inside its range.
type Policy string

const (
	// Error refuses the render, naming every missing frame (the default).
	Error Policy = "error"
	// Black puts a black frame in place of each missing one.
	Black Policy = "black"
	// Hold repeats the frame before (the first present one for a gap at
	// the start of the range).
	Hold Policy = "hold"
)

// ParsePolicy parses error, black or hold ("" is error).
func ParsePolicy(s string) (Policy, error) {
	switch Policy(s) {
	case "", Error:
		return Error, nil
	case Black, Hold:
		return Policy(s), nil
	}
	return "", fmt.Errorf("%w %q: want error, black or hold", ErrBadPolicy, s)
}

// Frame is one frame of a plan.
type Frame struct {
	Number int    `json:"number"`         // in the sequence's numbering
	File   string `json:"file,omitempty"` // the file to read; "" for a black frame
	// Missing: the frame's own file is not there (Black or Hold put
	// something in its place); Source is the frame held, under Hold.
	Missing bool `json:"missing,omitempty"`
	Source  int  `json:"source,omitempty"`
}

// Plan is what a render reads, frame by frame.
type Plan struct {
	Pattern Pattern `json:"-"`
	Range   Range   `json:"range"`
	Policy  Policy  `json:"policy"`
	Frames  []Frame `json:"frames"`
	// Missing lists the frames of the range with no file (filled by the
	// policy).
	Missing []int `json:"missing,omitempty"`
}

// NewPlan lays out range r (the zero Range: every frame found) of the
// frames found under policy pol. A range with none of its frames present is
// ErrNoFrames; a gap under Error is ErrMissingFrames naming every missing
// frame.
func NewPlan(f Found, r Range, pol Policy) (Plan, error) {
	if r.IsZero() {
		r = f.Range()
	}
	if r.Step <= 0 {
		r.Step = 1
	}
	if pol == "" {
		pol = Error
	}
	if r.Count() == 0 || r.Count() > MaxFrames {
		return Plan{}, fmt.Errorf("sequence %q: %w %s", f.Pattern.String(), ErrBadRange, r)
	}
	present := make(map[int]bool, len(f.Numbers))
	for _, n := range f.Numbers {
		present[n] = true
	}
	p := Plan{Pattern: f.Pattern, Range: r, Policy: pol, Frames: make([]Frame, 0, r.Count())}
	firstPresent := -1
	for n := r.First; n <= r.Last; n += r.Step {
		if present[n] {
			if firstPresent < 0 {
				firstPresent = n
			}
			continue
		}
		p.Missing = append(p.Missing, n)
	}
	if firstPresent < 0 {
		return Plan{}, fmt.Errorf("sequence %q: %w in %s (found %s)", f.Pattern.String(), ErrNoFrames, r, f.Range())
	}
	if len(p.Missing) > 0 && pol == Error {
		return Plan{}, fmt.Errorf("sequence %q: %w %s (%d of %d; --on-missing black or hold fills them)",
			f.Pattern.String(), ErrMissingFrames, Compact(p.Missing, r.Step), len(p.Missing), r.Count())
	}
	held := firstPresent
	for n := r.First; n <= r.Last; n += r.Step {
		switch {
		case present[n]:
			held = n
			p.Frames = append(p.Frames, Frame{Number: n, File: f.Pattern.Path(n)})
		case pol == Black:
			p.Frames = append(p.Frames, Frame{Number: n, Missing: true})
		default:
			p.Frames = append(p.Frames, Frame{Number: n, File: f.Pattern.Path(held), Missing: true, Source: held})
		}
	}
	return p, nil
}

// Compact writes ascending frame numbers as ranges: runs that advance by
// step become FIRST-LAST ("1003-1005, 1010"), the step shown when over 1
// ("1003-1007x2").
func Compact(nums []int, step int) string {
	if step < 1 {
		step = 1
	}
	var parts []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+step {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, strconv.Itoa(nums[i]))
		case step > 1:
			parts = append(parts, fmt.Sprintf("%d-%dx%d", nums[i], nums[j], step))
		default:
			parts = append(parts, fmt.Sprintf("%d-%d", nums[i], nums[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
