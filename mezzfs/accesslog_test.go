package mezzfs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/reelmedia/reel/mezzfs"
)

func TestAccessLogSummaryReplay(t *testing.T) {
	data := randomData(1<<20, 21)
	path := writeFile(t, data)
	var logBuf bytes.Buffer
	log := mezzfs.NewAccessLog(&logBuf)
	o := open(t, path, mezzfs.Config{BlockSize: 64 << 10, MaxReadAhead: -1, AccessLog: log})
	p := make([]byte, 32<<10)
	for off := int64(0); off < o.Size(); off += int64(len(p)) {
		if _, err := o.ReadAt(p, off); err != nil {
			t.Fatal(err)
		}
	}
	// Two re-reads of the first 32 KiB: cache hits, and the hottest range.
	o.ReadAt(p, 0)
	o.ReadAt(p, 0)
	if err := log.Err(); err != nil {
		t.Fatal(err)
	}
	recs, err := mezzfs.ReadLog(&logBuf, "log")
	if err != nil {
		t.Fatal(err)
	}
	s := mezzfs.Summarize(recs, 3)
	if s.Reads != 34 || s.BytesRequested != 34*32<<10 || s.Fetches != 16 || s.BytesFetched != 1<<20 {
		t.Fatalf("summary %+v", s)
	}
	// 32 reads chained, then the jump back to 0 and a repeat at 0.
	if want := 31.0 / 33; s.SequentialRead != want {
		t.Fatalf("sequential ratio %v, want %v", s.SequentialRead, want)
	}
	if want := 18.0 / 34; s.HitRatio != want {
		t.Fatalf("hit ratio %v, want %v", s.HitRatio, want)
	}
	if s.Hottest[0].Reads != 34 || s.Hottest[0].Off != 0 {
		t.Fatalf("hottest %+v", s.Hottest)
	}
	if s.FetchLatency.Max < s.FetchLatency.P50 || s.Objects[0] != "file://"+path {
		t.Fatalf("summary %+v", s)
	}

	// Replay against a fresh source with a smaller block: same requests.
	o2 := open(t, path, mezzfs.Config{BlockSize: 16 << 10, MaxReadAhead: -1})
	res, err := mezzfs.Replay(context.Background(), recs, "", o2, o2.Stats)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reads != 34 || res.BytesRequested != s.BytesRequested || res.Stats.BytesFetched != 1<<20 || res.Stats.Fetches != 64 {
		t.Fatalf("replay %+v", res)
	}
}

// logCases double as fuzz seeds for FuzzReadLog.
var logCases = []struct {
	name string
	in   string
	ok   bool
}{
	{"empty", "", true},
	{"one-read", `{"t":"2026-01-01T00:00:00Z","op":"read","url":"s3://b/k","off":0,"len":10,"us":5}` + "\n", true},
	{"blank-lines", "\n\n" + `{"op":"fetch","url":"u","off":5,"len":1,"us":1}` + "\n\n", true},
	{"not-json", "hello\n", false},
	{"bad-op", `{"op":"write","off":0,"len":1}`, false},
	{"negative-off", `{"op":"read","off":-1,"len":1}`, false},
	{"truncated", `{"op":"read","off":0,`, false},
	{"wrong-type", `{"op":"read","off":"zero","len":1}`, false},
}

func TestReadLog(t *testing.T) {
	for _, tc := range logCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mezzfs.ReadLog(strings.NewReader(tc.in), "x.jsonl")
			if tc.ok && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if !tc.ok && (!errors.Is(err, mezzfs.ErrBadLog) || !strings.Contains(err.Error(), "x.jsonl:")) {
				t.Fatalf("err = %v; want ErrBadLog naming the file and line", err)
			}
		})
	}
}

func FuzzReadLog(f *testing.F) {
	for _, tc := range logCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := mezzfs.ReadLog(strings.NewReader(in), "fuzz")
		if err != nil {
			if !errors.Is(err, mezzfs.ErrBadLog) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		s := mezzfs.Summarize(recs, 5)
		if s.Reads < 0 || s.SequentialRead < 0 || s.SequentialRead > 1 {
			t.Fatalf("summary %+v", s)
		}
		src := bytes.NewReader(make([]byte, 4096))
		if _, err := mezzfs.Replay(context.Background(), recs, "", src, nil); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("replay: %v", err)
		}
	})
}

// urlCases double as fuzz seeds for FuzzParseURL.
var urlCases = []struct {
	in, want string
	err      error
}{
	{"s3://bucket/a/b.mov", "s3://bucket/a/b.mov", nil},
	{"s3://bucket", "s3://bucket/", nil},
	{"s3:///key", "", mezzfs.ErrInvalidURL},
	{"file:///tmp/x.mov", "file:///tmp/x.mov", nil},
	{"file:///tmp/../tmp/x.mov", "file:///tmp/x.mov", nil},
	{"file://host/x", "", mezzfs.ErrInvalidURL},
	{"file://", "", mezzfs.ErrInvalidURL},
	{"https://example.test/x.mov?sig=1", "https://example.test/x.mov?sig=1", nil},
	{"http:///x", "", mezzfs.ErrInvalidURL},
	{"ftp://h/x", "", mezzfs.ErrInvalidURL},
	{"", "", mezzfs.ErrInvalidURL},
	{"/abs/path.mov", "file:///abs/path.mov", nil},
	{"%zz://x", "", mezzfs.ErrInvalidURL},
}

func TestParseURL(t *testing.T) {
	for _, tc := range urlCases {
		loc, err := mezzfs.ParseURL(tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ParseURL(%q) err = %v, want %v", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || loc.URL != tc.want {
			t.Errorf("ParseURL(%q) = %q, %v; want %q", tc.in, loc.URL, err, tc.want)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, tc := range urlCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		loc, err := mezzfs.ParseURL(in)
		if err != nil {
			if !errors.Is(err, mezzfs.ErrInvalidURL) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Canonical URLs parse to themselves.
		again, err := mezzfs.ParseURL(loc.URL)
		if err != nil || again.URL != loc.URL {
			t.Fatalf("%q -> %q -> %q, %v", in, loc.URL, again.URL, err)
		}
	})
}
