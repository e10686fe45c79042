package s3test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestStartPutGet(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	want := []byte("hello, reel")
	if err := s.Put(ctx, "a/b.txt", want); err != nil {
		t.Fatal(err)
	}
	key := "a/b.txt"
	out, err := s.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: &s.Bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	if s.URL(key) != "s3://reel-test/a/b.txt" {
		t.Fatalf("URL = %s", s.URL(key))
	}
}

func TestCPUTime(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	if err := s.Put(ctx, "big", make([]byte, 32<<20)); err != nil {
		t.Fatal(err)
	}
	c0 := s.CPUTime()
	key := "big"
	for range 4 {
		out, err := s.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: &s.Bucket, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, out.Body)
		out.Body.Close()
	}
	if c0 <= 0 || s.CPUTime() < c0 {
		t.Fatalf("CPUTime %v, then %v: want a positive, growing figure", c0, s.CPUTime())
	}
}
