package seq

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Title is a sequence's name: the file name before the frame number,
// without the separator (sh010_comp_v003 for sh010_comp_v003.####.exr).
func (p Pattern) Title() string {
	return strings.TrimRight(p.Prefix, "._- ")
}

var versionRe = regexp.MustCompile(`(?i)(?:^|[._-])(v\d+)(?:$|[._-])`)

// VersionOf is the last version token (v003) in a sequence name, or "".
func VersionOf(name string) string {
	all := versionRe.FindAllStringSubmatch(name, -1)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1][1]
}

// VersionKey names one state of a sequence, the same every time it is
// computed from the same files: PREFIX-NAME-FIRST-LAST-HASH, where HASH
// fingerprints the pattern and each frame's number and size. A watcher
// uses it as the job ID, so a version is submitted once however often it
// is seen, and a version re-rendered (other sizes, other frames) is a new
// one. sizes maps frame numbers to file sizes. Characters a job ID should
// not hold become '_'.
func VersionKey(prefix string, f Found, sizes map[int]int64) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", f.Pattern.String())
	for _, n := range f.Numbers {
		fmt.Fprintf(h, "%d %d\n", n, sizes[n])
	}
	sum := hex.EncodeToString(h.Sum(nil))[:16]
	r := f.Range()
	return fmt.Sprintf("%s-%s-%s-%s-%s", prefix, safeID(f.Pattern.Title()), f.Pattern.Number(r.First), f.Pattern.Number(r.Last), sum)
}

func safeID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > 120 {
		b = b[:120]
	}
	return string(b)
}

// Settler tells when a sequence that is still being written has settled:
// no frame added or changed for a settle time. It remembers when it last
// saw each sequence change; the zero value is ready to use.
type Settler struct {
	seen map[string]settleState
}

type settleState struct {
	key   string
	since time.Time
}

// Settled reports whether the sequence pattern, whose current state is key
// (VersionKey) and whose newest frame was written at newest, has not
// changed for settle at now: neither its files (as this Settler saw them)
// nor their times. A sequence seen for the first time counts from now,
// unless trustTimes: then the files' times alone decide (a watcher that
// scans once, with no memory of earlier scans).
func (s *Settler) Settled(pattern, key string, newest, now time.Time, settle time.Duration, trustTimes bool) bool {
	if s.seen == nil {
		s.seen = map[string]settleState{}
	}
	st, ok := s.seen[pattern]
	if !ok || st.key != key {
		st = settleState{key: key, since: now}
		if trustTimes {
			st.since = time.Time{}
		}
		s.seen[pattern] = st
	}
	last := st.since
	if newest.After(last) {
		last = newest
	}
	return !now.Before(last.Add(settle))
}
