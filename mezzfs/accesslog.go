package mezzfs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

// Record operations.
const (
	OpRead  = "read"  // a ReadAt call: what the consumer asked for
	OpFetch = "fetch" // a ranged request to the source: what it cost
)

// Record is one line of the replay log.
type Record struct {
	Time     time.Time `json:"t"`
	Op       string    `json:"op"`
	URL      string    `json:"url"`
	Off      int64     `json:"off"` // absolute offset in the object
	Len      int64     `json:"len"`
	Hit      bool      `json:"hit,omitempty"`      // read: served with no fetch of its own
	Prefetch bool      `json:"prefetch,omitempty"` // fetch: issued by read-ahead
	Micros   int64     `json:"us"`                 // latency
	Err      string    `json:"err,omitempty"`
}

// AccessLog writes Records as JSON lines. It is safe for concurrent use;
// write errors are remembered and reported by Err, never by reads.
type AccessLog struct {
	mu  sync.Mutex
	enc *json.Encoder
	err error
}

// NewAccessLog logs to w (an *os.File opened for append, typically).
func NewAccessLog(w io.Writer) *AccessLog {
	return &AccessLog{enc: json.NewEncoder(w)}
}

func (l *AccessLog) record(r Record) {
	r.Time = time.Now().UTC()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.enc.Encode(r); err != nil && l.err == nil {
		l.err = err
	}
}

// Err is the first write error, if any.
func (l *AccessLog) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// ReadLog parses a replay log. A bad line fails with ErrBadLog naming it.
func ReadLog(r io.Reader, name string) ([]Record, error) {
	var recs []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("mezzfs: %s:%d: %w (%v)", name, line, ErrBadLog, err)
		}
		if (rec.Op != OpRead && rec.Op != OpFetch) || rec.Off < 0 || rec.Len < 0 {
			return nil, fmt.Errorf("mezzfs: %s:%d: %w (op %q off %d len %d)", name, line, ErrBadLog, rec.Op, rec.Off, rec.Len)
		}
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mezzfs: %s:%d: %w (%v)", name, line+1, ErrBadLog, err)
	}
	return recs, nil
}

// Summary describes an access pattern and what it cost.
type Summary struct {
	Reads          int64         `json:"reads"`
	BytesRequested int64         `json:"bytes_requested"`
	Fetches        int64         `json:"fetches"`
	Prefetches     int64         `json:"prefetches"`
	BytesFetched   int64         `json:"bytes_fetched"`
	HitRatio       float64       `json:"hit_ratio"`        // reads served with no fetch of their own
	SequentialRead float64       `json:"sequential_ratio"` // reads starting where the previous one ended
	Errors         int64         `json:"errors"`
	ReadLatency    Percentiles   `json:"read_latency_us"`
	FetchLatency   Percentiles   `json:"fetch_latency_us"`
	Hottest        []HotRange    `json:"hottest"`
	Objects        []string      `json:"objects"`
	Span           time.Duration `json:"span_ns"`
}

// Percentiles of a latency in microseconds.
type Percentiles struct {
	P50 int64 `json:"p50"`
	P90 int64 `json:"p90"`
	P99 int64 `json:"p99"`
	Max int64 `json:"max"`
}

// HotRange is a 1 MiB-aligned range of an object and how often reads touched it.
type HotRange struct {
	URL   string `json:"url"`
	Off   int64  `json:"off"`
	Len   int64  `json:"len"`
	Reads int64  `json:"reads"`
}

const hotGrain = 1 << 20

// Summarize computes a Summary; top is how many hottest ranges to keep.
func Summarize(recs []Record, top int) Summary {
	var s Summary
	var readLat, fetchLat []int64
	var hits, seq int64
	next := map[string]int64{}
	heat := map[HotRange]int64{}
	urls := map[string]bool{}
	var first, last time.Time
	for _, r := range recs {
		if first.IsZero() || r.Time.Before(first) {
			first = r.Time
		}
		if r.Time.After(last) {
			last = r.Time
		}
		urls[r.URL] = true
		if r.Err != "" {
			s.Errors++
		}
		switch r.Op {
		case OpRead:
			s.Reads++
			s.BytesRequested += r.Len
			readLat = append(readLat, r.Micros)
			if r.Hit {
				hits++
			}
			if n, ok := next[r.URL]; ok && n == r.Off {
				seq++
			}
			next[r.URL] = r.Off + r.Len
			for g := r.Off / hotGrain; r.Len > 0 && g <= (r.Off+r.Len-1)/hotGrain; g++ {
				heat[HotRange{URL: r.URL, Off: g * hotGrain, Len: hotGrain}]++
			}
		case OpFetch:
			s.Fetches++
			if r.Prefetch {
				s.Prefetches++
			}
			if r.Err == "" {
				s.BytesFetched += r.Len
			}
			fetchLat = append(fetchLat, r.Micros)
		}
	}
	if s.Reads > 0 {
		s.HitRatio = float64(hits) / float64(s.Reads)
		if s.Reads > 1 {
			s.SequentialRead = float64(seq) / float64(s.Reads-1)
		}
	}
	s.ReadLatency = percentiles(readLat)
	s.FetchLatency = percentiles(fetchLat)
	for h, n := range heat {
		h.Reads = n
		s.Hottest = append(s.Hottest, h)
	}
	sort.Slice(s.Hottest, func(i, j int) bool {
		a, b := s.Hottest[i], s.Hottest[j]
		if a.Reads != b.Reads {
			return a.Reads > b.Reads
		}
		if a.URL != b.URL {
			return a.URL < b.URL
		}
		return a.Off < b.Off
	})
	if len(s.Hottest) > top {
		s.Hottest = s.Hottest[:top]
	}
	for u := range urls {
		s.Objects = append(s.Objects, u)
	}
	sort.Strings(s.Objects)
	s.Span = last.Sub(first)
	return s
}

func percentiles(v []int64) Percentiles {
	if len(v) == 0 {
		return Percentiles{}
	}
	slices.Sort(v)
	at := func(q float64) int64 { return v[min(len(v)-1, int(q*float64(len(v))))] }
	return Percentiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: v[len(v)-1]}
}

// ReplayResult is what re-running a log's reads cost.
type ReplayResult struct {
	Reads          int64         `json:"reads"`
	BytesRequested int64         `json:"bytes_requested"`
	Elapsed        time.Duration `json:"elapsed_ns"`
	MiBPerSecond   float64       `json:"mib_per_s"`
	Stats          Stats         `json:"stats"`
}

// Replay re-issues the log's reads, in order and back to back, against src
// (reads of other objects in the log are skipped when only is non-empty and
// differs). Offsets are taken relative to the object; reads beyond src's
// size are clipped. stats, if not nil, gives src's counters afterwards.
func Replay(ctx context.Context, recs []Record, only string, src Source, stats func() Stats) (ReplayResult, error) {
	var res ReplayResult
	buf := make([]byte, 0, 1<<20)
	t0 := time.Now()
	for _, r := range recs {
		if r.Op != OpRead || (only != "" && r.URL != only) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if r.Off >= src.Size() || r.Len == 0 {
			continue
		}
		n := min(r.Len, src.Size()-r.Off)
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		m, err := src.ReadAt(buf[:n], r.Off)
		if err != nil && !(errors.Is(err, io.EOF) && int64(m) == n) {
			return res, fmt.Errorf("mezzfs: replay read at %d (%d bytes): %w", r.Off, n, err)
		}
		res.Reads++
		res.BytesRequested += n
	}
	res.Elapsed = time.Since(t0)
	if s := res.Elapsed.Seconds(); s > 0 {
		res.MiBPerSecond = float64(res.BytesRequested) / (1 << 20) / s
	}
	if stats != nil {
		res.Stats = stats()
	}
	return res, nil
}
