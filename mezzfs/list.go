package mezzfs

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Entry is one object under a prefix.
type Entry struct {
	// Name is the object's path relative to the prefix, with '/' separators.
	Name string `json:"name"`
	// URL opens the object.
	URL  string `json:"url"`
	Size int64  `json:"size"`
}

// List returns the objects under rawURL, sorted by name: the keys under an
// s3://bucket/prefix/ (recursively), the regular files under a local
// directory, or the single object a URL names (Name is then its base name).
// client may be nil unless rawURL is s3://.
func List(ctx context.Context, client S3API, rawURL string) ([]Entry, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var out []Entry
	switch loc.Scheme {
	case "file":
		st, err := os.Stat(loc.Path)
		if err != nil {
			return nil, classifyFile(loc.URL, err)
		}
		if !st.IsDir() {
			return []Entry{{Name: filepath.Base(loc.Path), URL: loc.URL, Size: st.Size()}}, nil
		}
		err = filepath.WalkDir(loc.Path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return classifyFile(fileURL(p), err)
			}
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return classifyFile(fileURL(p), err)
			}
			rel, _ := filepath.Rel(loc.Path, p)
			out = append(out, Entry{Name: filepath.ToSlash(rel), URL: fileURL(p), Size: info.Size()})
			return nil
		})
		if err != nil {
			return nil, err
		}
	case "s3":
		if client == nil {
			return nil, fmt.Errorf("mezzfs: %s: %w (no S3 client)", loc.URL, ErrInvalidURL)
		}
		prefix := loc.Key
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			// A key names one object unless it is a "directory".
			h, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &loc.Bucket, Key: &loc.Key})
			if err == nil {
				return []Entry{{Name: pathBase(loc.Key), URL: loc.URL, Size: aws.ToInt64(h.ContentLength)}}, nil
			}
			prefix += "/"
		}
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &loc.Bucket, Prefix: &prefix})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, classifyS3(s3URL(loc.Bucket, prefix), err)
			}
			for _, o := range page.Contents {
				key := aws.ToString(o.Key)
				name := strings.TrimPrefix(key, prefix)
				if name == "" || strings.HasSuffix(name, "/") {
					continue
				}
				out = append(out, Entry{Name: name, URL: s3URL(loc.Bucket, key), Size: aws.ToInt64(o.Size)})
			}
		}
	default:
		return []Entry{{Name: pathBase(loc.URL), URL: loc.URL, Size: -1}}, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func pathBase(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimSuffix(p, "/")
	return p[strings.LastIndex(p, "/")+1:]
}
