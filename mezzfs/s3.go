package mezzfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// S3Config says how to reach an S3-compatible service.
type S3Config struct {
	// Endpoint overrides the AWS endpoint, e.g. http://127.0.0.1:7070.
	Endpoint string
	// Region. Default: us-east-1.
	Region string
	// PathStyle puts the bucket in the path (most S3-compatible servers need it).
	PathStyle bool
	// AccessKey and SecretKey, when both set, replace the standard AWS
	// credential chain (environment, shared files, instance roles).
	AccessKey, SecretKey string
	// MaxConns bounds idle connections kept per host. Default: 64.
	MaxConns int
}

// NewS3Client builds an S3 client from cfg: custom endpoint, path-style
// addressing, static keys or the standard credential chain, and a
// connection pool sized for parallel range GETs. It keeps the SDK's standard
// retryer; mezzfs's own reads replace it per request with theirs.
func NewS3Client(ctx context.Context, cfg S3Config) (*s3.Client, error) {
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	conns := cfg.MaxConns
	if conns <= 0 {
		conns = 64
	}
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = conns
		t.MaxIdleConnsPerHost = conns
	})
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(region),
		awsconfig.WithHTTPClient(hc),
		// Cores do not log: errors carry what matters.
		awsconfig.WithLogger(logging.Nop{}),
	}
	if cfg.AccessKey != "" && cfg.SecretKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("mezzfs: s3 client: %w", err)
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		// Checksums of whole objects do not apply to ranged GETs.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	}), nil
}

// s3Scheme reads and writes s3://bucket/key URLs with the Storage's one
// S3 client.
var s3Scheme = scheme{
	parse: func(u *url.URL) (Location, error) {
		if u.Host == "" {
			return Location{}, fmt.Errorf("%w (no bucket)", ErrInvalidURL)
		}
		key := strings.TrimPrefix(u.Path, "/")
		return Location{Scheme: "s3", Bucket: u.Host, Key: key, URL: s3URL(u.Host, key)}, nil
	},
	open: func(ctx context.Context, s *Storage, loc Location) (backend, error) {
		if loc.Key == "" || strings.HasSuffix(loc.Key, "/") {
			return nil, fmt.Errorf("mezzfs: %s: %w (a key is needed, not a prefix)", loc.URL, ErrInvalidURL)
		}
		client, err := s.s3Client(ctx)
		if err != nil {
			return nil, err
		}
		return openS3(ctx, client, loc, s.cfg)
	},
	list: listS3,
	store: func(ctx context.Context, s *Storage, loc Location) (Store, error) {
		client, err := s.s3Client(ctx)
		if err != nil {
			return nil, err
		}
		return NewS3Store(client, loc.Bucket, loc.Key), nil
	},
}

type s3Backend struct {
	client  *s3.Client
	loc     Location
	size    int64
	etag    string
	version string
	mtime   time.Time
}

func openS3(ctx context.Context, client *s3.Client, loc Location, cfg Config) (*s3Backend, error) {
	var out *s3.HeadObjectOutput
	err := retry(ctx, cfg, func(ctx context.Context) error {
		var err error
		out, err = client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &loc.Bucket, Key: &loc.Key}, noSDKRetry)
		return classifyS3(loc.URL, err)
	})
	if err != nil {
		return nil, err
	}
	b := &s3Backend{client: client, loc: loc, size: aws.ToInt64(out.ContentLength), etag: aws.ToString(out.ETag)}
	if v := aws.ToString(out.VersionId); v != "" && v != "null" {
		b.version = v
	}
	if out.LastModified != nil {
		b.mtime = *out.LastModified
	}
	return b, nil
}

func noSDKRetry(o *s3.Options) { o.Retryer = aws.NopRetryer{} }

func (b *s3Backend) info() Info {
	return Info{URL: b.loc.URL, Size: b.size, ETag: b.etag, VersionID: b.version, ModTime: b.mtime}
}

func (b *s3Backend) fetch(ctx context.Context, p []byte, off int64) error {
	body, err := b.stream(ctx, off, int64(len(p)))
	if err != nil {
		return err
	}
	defer body.Close()
	return readBody(b.loc.URL, body, p, off)
}

// stream opens bytes [off, off+n) of the pinned version as one response.
func (b *s3Backend) stream(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{
		Bucket: &b.loc.Bucket,
		Key:    &b.loc.Key,
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1)),
	}
	if b.etag != "" {
		in.IfMatch = aws.String(b.etag)
	}
	if b.version != "" {
		in.VersionId = aws.String(b.version)
	}
	out, err := b.client.GetObject(ctx, in, noSDKRetry)
	if err != nil {
		return nil, classifyS3(b.loc.URL, err)
	}
	if b.etag != "" && out.ETag != nil && *out.ETag != b.etag {
		out.Body.Close()
		return nil, fmt.Errorf("mezzfs: %s: %w (ETag %s, opened as %s)", b.loc.URL, ErrObjectChanged, *out.ETag, b.etag)
	}
	if err := checkContentRange(aws.ToString(out.ContentRange), off, n, b.size); err != nil {
		out.Body.Close()
		return nil, fmt.Errorf("mezzfs: %s: %w", b.loc.URL, err)
	}
	if out.ContentLength != nil && *out.ContentLength != n {
		out.Body.Close()
		return nil, fmt.Errorf("mezzfs: %s: Content-Length %d for a %d-byte range at %d", b.loc.URL, *out.ContentLength, n, off)
	}
	return out.Body, nil
}

// readBody fills p from body and insists on exactly len(p) bytes.
func readBody(url string, body io.Reader, p []byte, off int64) error {
	n, err := io.ReadFull(body, p)
	if err != nil {
		return fmt.Errorf("mezzfs: %s: truncated body at %d (%d of %d bytes): %w", url, off, n, len(p), err)
	}
	var one [1]byte
	if m, _ := body.Read(one[:]); m > 0 {
		return fmt.Errorf("mezzfs: %s: body longer than the %d bytes asked for at %d", url, len(p), off)
	}
	return nil
}

// checkContentRange verifies "bytes a-b/size" answers the request; an empty
// header is accepted (some servers omit it), the length is checked anyway.
func checkContentRange(cr string, off, n, size int64) error {
	if cr == "" {
		return nil
	}
	var a, b, total int64
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &a, &b, &total); err != nil {
		return fmt.Errorf("bad Content-Range %q", cr)
	}
	if a != off || b != off+n-1 {
		return fmt.Errorf("Content-Range %q does not answer bytes=%d-%d", cr, off, off+n-1)
	}
	if total != size {
		return fmt.Errorf("%w (size now %d, opened as %d)", ErrObjectChanged, total, size)
	}
	return nil
}

// classifyS3 turns SDK errors into mezzfs's typed errors; anything not
// recognised as permanent is left transient (retried).
func classifyS3(url string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	detail := strings.TrimSpace(fmt.Sprintf("%d %s", status, code))
	switch {
	case status == 0 && strings.Contains(err.Error(), "get identity: "):
		// The SDK has no error type for a credential chain that found
		// nothing; retrying will not find any either.
		return fmt.Errorf("mezzfs: %s: %w (no usable credentials: set s3.access_key/s3.secret_key or AWS_* variables): %w", url, ErrPermission, err)
	case code == "NoSuchKey" || code == "NoSuchBucket" || code == "NotFound" || status == http.StatusNotFound:
		return fmt.Errorf("mezzfs: %s: %w (%s)", url, ErrNotFound, detail)
	case code == "AccessDenied" || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
		status == http.StatusForbidden || status == http.StatusUnauthorized:
		return fmt.Errorf("mezzfs: %s: %w (%s)", url, ErrPermission, detail)
	case code == "PreconditionFailed" || status == http.StatusPreconditionFailed:
		return fmt.Errorf("mezzfs: %s: %w (%s)", url, ErrObjectChanged, detail)
	case status == http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("mezzfs: %s: %w (%s: object shorter than when opened)", url, ErrObjectChanged, detail)
	case status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
		return fmt.Errorf("mezzfs: %s: %w (%s)", url, ErrRequest, detail)
	}
	return fmt.Errorf("mezzfs: %s: %w", url, err)
}

// listS3 lists the keys under a prefix (recursively), or the one object a
// key names.
func listS3(ctx context.Context, s *Storage, loc Location) ([]Entry, error) {
	client, err := s.s3Client(ctx)
	if err != nil {
		return nil, err
	}
	prefix := loc.Key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		// A key names one object unless it is a "directory".
		h, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &loc.Bucket, Key: &loc.Key})
		if err == nil {
			return []Entry{{Name: pathBase(loc.Key), URL: loc.URL, Size: aws.ToInt64(h.ContentLength), ModTime: aws.ToTime(h.LastModified)}}, nil
		}
		prefix += "/"
	}
	var out []Entry
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
			out = append(out, Entry{Name: name, URL: s3URL(loc.Bucket, key), Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}
