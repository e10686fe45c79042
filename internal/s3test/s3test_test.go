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
