package clustertest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/reelmedia/reel/workflows"
)

// history is one workflow's recorded events.
type history struct {
	id     string
	events []*historypb.HistoryEvent
}

func readHistories(t testing.TB, path string) []history {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []history
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var l historyLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var h historypb.History
		if err := protojson.Unmarshal(l.History, &h); err != nil {
			t.Fatalf("%s: history of %s: %v", path, l.WorkflowID, err)
		}
		out = append(out, history{id: l.WorkflowID, events: h.Events})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no histories", path)
	}
	return out
}

// span is when the job (the first history, the parent) started and closed.
func span(hs []history) (start, end time.Time) {
	ev := hs[0].events
	return ev[0].GetEventTime().AsTime(), ev[len(ev)-1].GetEventTime().AsTime()
}

// chunkRun is one EncodeChunk activity as its batch's history recorded it:
// scheduled once, started (its last try, which Temporal records with the
// number of tries), then completed, failed, timed out or cancelled.
type chunkRun struct {
	workflow  string
	activity  string // the activity ID in its batch
	rendition string
	index     int
	attempt   int // the quality loop's attempt (ChunkTask.Attempt), part of the chunk's key
	scheduled time.Time
	started   time.Time
	closed    time.Time
	tries     int32  // Temporal's attempt count of the last try
	identity  string // of the worker that ran the last try
	outcome   string // completed, failed, timed out, cancelled; "" while open
	result    workflows.ChunkResult
}

func (r *chunkRun) key() string { return fmt.Sprintf("%s#%02d.a%d", r.rendition, r.index, r.attempt) }

// chunkRuns collects every EncodeChunk activity of the job's batches.
func chunkRuns(t testing.TB, hs []history) []*chunkRun {
	t.Helper()
	dc := converter.GetDefaultDataConverter()
	decode := func(p *commonpb.Payloads, v any) {
		if err := dc.FromPayloads(p, v); err != nil {
			t.Fatalf("decoding a chunk activity's payload: %v", err)
		}
	}
	var out []*chunkRun
	for _, h := range hs {
		runs := map[int64]*chunkRun{}
		for _, ev := range h.events {
			at := ev.GetEventTime().AsTime()
			switch {
			case ev.GetActivityTaskScheduledEventAttributes() != nil:
				a := ev.GetActivityTaskScheduledEventAttributes()
				if a.GetActivityType().GetName() != "EncodeChunk" {
					continue
				}
				var task workflows.ChunkTask
				decode(a.GetInput(), &task)
				r := &chunkRun{workflow: h.id, activity: a.GetActivityId(), rendition: task.Rendition.Name, index: task.Chunk.Index, attempt: task.Attempt, scheduled: at}
				runs[ev.GetEventId()] = r
				out = append(out, r)
			case ev.GetActivityTaskStartedEventAttributes() != nil:
				a := ev.GetActivityTaskStartedEventAttributes()
				if r := runs[a.GetScheduledEventId()]; r != nil {
					r.started, r.identity, r.tries = at, a.GetIdentity(), a.GetAttempt()
				}
			case ev.GetActivityTaskCompletedEventAttributes() != nil:
				a := ev.GetActivityTaskCompletedEventAttributes()
				if r := runs[a.GetScheduledEventId()]; r != nil {
					r.closed, r.outcome = at, "completed"
					decode(a.GetResult(), &r.result)
				}
			case ev.GetActivityTaskFailedEventAttributes() != nil:
				if r := runs[ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId()]; r != nil {
					r.closed, r.outcome = at, "failed"
				}
			case ev.GetActivityTaskTimedOutEventAttributes() != nil:
				if r := runs[ev.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()]; r != nil {
					r.closed, r.outcome = at, "timed out"
				}
			case ev.GetActivityTaskCanceledEventAttributes() != nil:
				if r := runs[ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()]; r != nil {
					r.closed, r.outcome = at, "cancelled"
				}
			}
		}
	}
	return out
}

// checkFinishedOnce: every chunk of the job completed, none completed twice,
// and none was scheduled or started again after it completed.
func checkFinishedOnce(t testing.TB, runs []*chunkRun, chunks int) {
	t.Helper()
	done := map[string]*chunkRun{}
	indexes := map[string]map[int]bool{} // rendition to the chunk indexes completed
	for _, r := range runs {
		if r.outcome != "completed" {
			continue
		}
		if d, ok := done[r.key()]; ok {
			t.Errorf("chunk %s completed twice: at %s and at %s", r.key(), d.closed.Format(time.RFC3339Nano), r.closed.Format(time.RFC3339Nano))
			continue
		}
		done[r.key()] = r
		if indexes[r.rendition] == nil {
			indexes[r.rendition] = map[int]bool{}
		}
		indexes[r.rendition][r.index] = true
	}
	for _, r := range runs {
		d, ok := done[r.key()]
		if !ok || d == r {
			continue
		}
		if r.scheduled.After(d.closed) || (!r.started.IsZero() && r.started.After(d.closed)) {
			t.Errorf("chunk %s ran again (scheduled %s, started %s) after it completed at %s", r.key(),
				r.scheduled.Format(time.RFC3339Nano), r.started.Format(time.RFC3339Nano), d.closed.Format(time.RFC3339Nano))
		}
	}
	for name, idx := range indexes {
		if len(idx) != chunks {
			t.Errorf("rendition %s: %d chunks completed, want %d", name, len(idx), chunks)
		}
	}
	if len(indexes) == 0 {
		t.Errorf("no chunk completed")
	}
}

// timeline is what happened when, for the closing note.
type timeline struct {
	entries []tlEntry
}

type tlEntry struct {
	at      time.Time
	text    string
	started time.Time // a chunk's last try: when it started; zero for faults
}

func (tl *timeline) add(at time.Time, format string, args ...any) {
	tl.entries = append(tl.entries, tlEntry{at: at, text: fmt.Sprintf(format, args...)})
}

// chunks adds each chunk activity's end, and where it ran.
func (tl *timeline) chunks(runs []*chunkRun, name func(identity string) string) {
	for _, r := range runs {
		if r.outcome == "" {
			continue
		}
		what := r.outcome
		if r.outcome == "completed" {
			what = "encoded"
			if r.result.Reused {
				what = "found already encoded (reused)"
			}
		}
		who := "no worker"
		if r.identity != "" {
			who = name(r.identity)
		}
		tl.entries = append(tl.entries, tlEntry{at: r.closed, started: r.started,
			text: fmt.Sprintf("chunk %s %s on %s, try %d", r.key(), what, who, max(r.tries, 1))})
	}
}

// text renders the timeline in time order, relative to start.
func (tl *timeline) text(start time.Time) string {
	sort.SliceStable(tl.entries, func(i, j int) bool { return tl.entries[i].at.Before(tl.entries[j].at) })
	var b strings.Builder
	for _, e := range tl.entries {
		fmt.Fprintf(&b, "%+8.2fs  %s", e.at.Sub(start).Seconds(), e.text)
		if !e.started.IsZero() {
			fmt.Fprintf(&b, " (started %+.2fs)", e.started.Sub(start).Seconds())
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// lostTries adds the tries that ended without completing (a worker gone
// silent, a failure) from the client's tries.jsonl: the try that followed
// says when and why the one before it ended; the lines of the one before
// say where it ran.
func (tl *timeline) lostTries(t testing.TB, path string, runs []*chunkRun, name func(string) string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*chunkRun{}
	for _, r := range runs {
		byID[r.workflow+"/"+r.activity] = r
	}
	where := map[string]string{} // activity/try to the worker that ran it
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var l tryLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		k := l.Workflow + "/" + l.Activity
		if l.Identity != "" && l.State == enums.PENDING_ACTIVITY_STATE_STARTED.String() {
			where[fmt.Sprintf("%s#%d", k, l.Try)] = name(l.Identity)
		}
		prev := fmt.Sprintf("%s#%d", k, l.Try-1)
		if l.Try < 2 || where[prev+"-told"] != "" {
			continue
		}
		ended := l.LastEnded // a timeout has none: then when the next try was seen
		if ended.IsZero() {
			ended = l.Seen
		}
		where[prev+"-told"] = "yes"
		key := l.Activity
		if r := byID[k]; r != nil {
			key = r.key()
		}
		who := where[prev]
		if who == "" && l.Identity != "" && l.State == enums.PENDING_ACTIVITY_STATE_SCHEDULED.String() {
			who = name(l.Identity) // not started again yet: the last worker is the one that lost it
		}
		if who == "" {
			who = "a worker"
		}
		tl.add(ended, "chunk %s try %d on %s lost: %s", key, l.Try-1, who, l.LastFailure)
	}
}

// byWorker counts the chunks each worker encoded.
func byWorker(runs []*chunkRun, name func(string) string) map[string]int {
	n := map[string]int{}
	for _, r := range runs {
		if r.outcome == "completed" && !r.result.Reused {
			n[name(r.identity)]++
		}
	}
	return n
}

// percentile of sorted durations, nearest rank.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
