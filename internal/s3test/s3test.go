package s3test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reelmedia/reel/internal/freeport"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is the S3 endpoint URL, http://127.0.0.1:PORT.
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
	// Region the client should sign for.
	Region string
	// Bucket is created empty for the test.
	Bucket string
	// Dir is the POSIX backend's directory: objects are plain files under Dir/Bucket.
	Dir string

	client *s3.Client
	pid    int
}

// Binary returns the path of versitygw, or an error saying how to install it.
func Binary() (string, error) {
	if root, ok := repoRoot(); ok {
		p := filepath.Join(root, "bin", "tools", "versitygw")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("s3test: versitygw not found in <repo>/bin/tools or $PATH; run scripts/deps.sh (or make test) to install it")
}

// repoRoot finds the directory of reel's go.mod above the working directory.
func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/reelmedia/reel\n")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Start runs versitygw on a free loopback port with a temporary directory,
// creates a bucket, and stops it when the test ends. It fails the test if
// the binary is missing or the server does not answer within 10 s.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{AccessKey: "test", SecretKey: "testsecret", Region: "us-east-1", Bucket: "reel-test", Dir: t.TempDir()}
	var cmd *exec.Cmd
	var stderr bytes.Buffer
	// A port picked free can still be taken before versitygw binds it
	// (another process picking at random); retry a few times.
	for attempt := 0; ; attempt++ {
		port, err := freeport.Pick()
		if err != nil {
			t.Fatalf("s3test: %v", err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		stderr.Reset()
		cmd = exec.Command(bin, "--port", addr, "--quiet", "posix", s.Dir)
		cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
		cmd.Stdout = &stderr
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("s3test: start %s: %v", bin, err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if waitListening(addr, exited, 10*time.Second) {
			s.Endpoint = "http://" + addr
			s.pid = cmd.Process.Pid
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
			})
			break
		}
		cmd.Process.Kill()
		<-exited
		if attempt == 2 {
			t.Fatalf("s3test: versitygw did not start on %s: %s", addr, strings.TrimSpace(stderr.String()))
		}
	}
	s.client = s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.Bucket}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", s.Bucket, err)
	}
	return s
}

func waitListening(addr string, exited <-chan error, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// Client is an S3 client for the server (path-style, static credentials).
func (s *Server) Client() *s3.Client { return s.client }

// CPUTime is the user and system CPU time versitygw has used so far, read
// from /proc in clock ticks (10 ms); 0 where /proc cannot say. Benchmarks
// use it to count the server's share of a read on the same cores.
func (s *Server) CPUTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces) start
	// after the last ')'; utime and stime are fields 14 and 15 of the line.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// URL is s3://Bucket/key.
func (s *Server) URL(key string) string { return "s3://" + s.Bucket + "/" + key }

// Put stores data at key in the test bucket.
func (s *Server) Put(ctx context.Context, key string, data []byte) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.Bucket, Key: &key, Body: bytes.NewReader(data)})
	if err != nil {
		return fmt.Errorf("s3test: put %s: %w", key, err)
	}
	return nil
}

// PutFile stores the contents of a local file at key, streaming it.
func (s *Server) PutFile(ctx context.Context, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("s3test: put %s: %w", key, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("s3test: put %s: %w", key, err)
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.Bucket, Key: &key, Body: f, ContentLength: aws.Int64(st.Size())})
	if err != nil {
		return fmt.Errorf("s3test: put %s: %w", key, err)
	}
	return nil
}
