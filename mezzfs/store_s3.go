package mezzfs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3Store is a Store in an S3 bucket under a key prefix.
type S3Store struct {
	Client *s3.Client
	Bucket string
	Prefix string // without leading or trailing "/"
	// PartSize is the multipart part size for large puts. Default: 64 MiB.
	PartSize int64
}

// NewS3Store returns the store for bucket/prefix.
func NewS3Store(client *s3.Client, bucket, prefix string) *S3Store {
	return &S3Store{Client: client, Bucket: bucket, Prefix: strings.Trim(prefix, "/"), PartSize: 64 << 20}
}

// metaSHA256 is the user metadata entry that carries the content digest.
const metaSHA256 = "sha256"

func (s *S3Store) objectKey(key string) (string, error) {
	k, err := cleanKey(key)
	if err != nil {
		return "", err
	}
	if s.Prefix == "" {
		return k, nil
	}
	return s.Prefix + "/" + k, nil
}

// URL implements Store.
func (s *S3Store) URL(key string) string {
	if s.Prefix == "" {
		return "s3://" + s.Bucket + "/" + key
	}
	return "s3://" + s.Bucket + "/" + s.Prefix + "/" + key
}

// Put implements Store. Files larger than PartSize go up as a multipart
// upload, which only becomes visible when completed.
func (s *S3Store) Put(ctx context.Context, key, localPath string) (StoredObject, error) {
	ok, err := s.objectKey(key)
	if err != nil {
		return StoredObject{}, err
	}
	f, err := os.Open(localPath)
	if err != nil {
		return StoredObject{}, fmt.Errorf("mezzfs: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return StoredObject{}, fmt.Errorf("mezzfs: read %s: %w", localPath, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if size <= s.partSize() {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return StoredObject{}, fmt.Errorf("mezzfs: %w", err)
		}
		err = s.putSingle(ctx, ok, f, size, sum)
	} else {
		err = s.putMultipart(ctx, ok, f, size, sum)
	}
	if err != nil {
		return StoredObject{}, fmt.Errorf("mezzfs: put %s: %w", s.URL(key), err)
	}
	return StoredObject{Key: key, Size: size, SHA256: sum}, nil
}

// PutBytes implements Store.
func (s *S3Store) PutBytes(ctx context.Context, key string, data []byte) (StoredObject, error) {
	ok, err := s.objectKey(key)
	if err != nil {
		return StoredObject{}, err
	}
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	if err := s.putSingle(ctx, ok, bytes.NewReader(data), int64(len(data)), sum); err != nil {
		return StoredObject{}, fmt.Errorf("mezzfs: put %s: %w", s.URL(key), err)
	}
	return StoredObject{Key: key, Size: int64(len(data)), SHA256: sum}, nil
}

func (s *S3Store) partSize() int64 {
	if s.PartSize <= 0 {
		return 64 << 20
	}
	return s.PartSize
}

func (s *S3Store) putSingle(ctx context.Context, key string, r io.ReadSeeker, size int64, sum string) error {
	_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.Bucket),
		Key:           aws.String(key),
		Body:          r,
		ContentLength: aws.Int64(size),
		Metadata:      map[string]string{metaSHA256: sum},
	})
	return err
}

func (s *S3Store) putMultipart(ctx context.Context, key string, f *os.File, size int64, sum string) (err error) {
	up, err := s.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:   aws.String(s.Bucket),
		Key:      aws.String(key),
		Metadata: map[string]string{metaSHA256: sum},
	})
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// The upload never completed, so nothing is visible; free its parts.
			_, _ = s.Client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
				Bucket: aws.String(s.Bucket), Key: aws.String(key), UploadId: up.UploadId,
			})
		}
	}()
	var parts []types.CompletedPart
	ps := s.partSize()
	for off, n := int64(0), int32(1); off < size; off, n = off+ps, n+1 {
		l := min(ps, size-off)
		out, err := s.Client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:        aws.String(s.Bucket),
			Key:           aws.String(key),
			UploadId:      up.UploadId,
			PartNumber:    aws.Int32(n),
			Body:          io.NewSectionReader(f, off, l),
			ContentLength: aws.Int64(l),
		})
		if err != nil {
			return err
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = s.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(s.Bucket),
		Key:             aws.String(key),
		UploadId:        up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	return err
}

// Get implements Store.
func (s *S3Store) Get(ctx context.Context, key, localPath string) (StoredObject, error) {
	ok, err := s.objectKey(key)
	if err != nil {
		return StoredObject{}, err
	}
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(ok)})
	if err != nil {
		return StoredObject{}, s.wrap(key, err)
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := writeAtomic(localPath, io.TeeReader(out.Body, h))
	if err != nil {
		return StoredObject{}, fmt.Errorf("mezzfs: get %s: %w", s.URL(key), err)
	}
	return StoredObject{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// GetBytes implements Store.
func (s *S3Store) GetBytes(ctx context.Context, key string) ([]byte, error) {
	ok, err := s.objectKey(key)
	if err != nil {
		return nil, err
	}
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(ok)})
	if err != nil {
		return nil, s.wrap(key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("mezzfs: get %s: %w", s.URL(key), err)
	}
	return b, nil
}

// Stat implements Store. The digest comes from the object's metadata, so it
// is empty for objects not written through a Store.
func (s *S3Store) Stat(ctx context.Context, key string) (StoredObject, error) {
	ok, err := s.objectKey(key)
	if err != nil {
		return StoredObject{}, err
	}
	out, err := s.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(ok)})
	if err != nil {
		return StoredObject{}, s.wrap(key, err)
	}
	return StoredObject{Key: key, Size: aws.ToInt64(out.ContentLength), SHA256: out.Metadata[metaSHA256]}, nil
}

// List implements Store.
func (s *S3Store) List(ctx context.Context, prefix string) ([]StoredObject, error) {
	full := prefix
	if s.Prefix != "" {
		full = s.Prefix + "/" + prefix
	}
	var out []StoredObject
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(full)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap(prefix, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if s.Prefix != "" {
				k = strings.TrimPrefix(k, s.Prefix+"/")
			}
			out = append(out, StoredObject{Key: path.Clean(k), Size: aws.ToInt64(o.Size)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// DeletePrefix implements Store.
func (s *S3Store) DeletePrefix(ctx context.Context, prefix string) error {
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return err
	}
	for start := 0; start < len(objs); start += 1000 {
		batch := objs[start:min(start+1000, len(objs))]
		ids := make([]types.ObjectIdentifier, 0, len(batch))
		for _, o := range batch {
			k, err := s.objectKey(o.Key)
			if err != nil {
				return err
			}
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
		}
		out, err := s.Client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(s.Bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return s.wrap(prefix, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("mezzfs: delete %s: %s: %s", s.URL(prefix), aws.ToString(e.Key), aws.ToString(e.Message))
		}
	}
	return nil
}

func (s *S3Store) wrap(key string, err error) error {
	return classifyS3(s.URL(key), err)
}
