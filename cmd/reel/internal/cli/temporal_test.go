package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/internal/devserver"
)

// testCA is a certificate authority made in the test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // PEM of cert
}

var serial int64

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t *testing.T, path, typ string, der []byte) string {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key := newKey(t)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, file: writePEM(t, filepath.Join(dir, name+".pem"), "CERTIFICATE", der)}
}

// issue writes a certificate for name (a DNS name; 127.0.0.1 is added for
// servers) valid from nb to na, and its key; it returns both files.
func (ca *testCA) issue(t *testing.T, dir, name string, server bool, nb, na time.Time) (certFile, keyFile string) {
	t.Helper()
	key := newKey(t)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: nb, NotAfter: na, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{name}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, name)
	return writePEM(t, base+".crt", "CERTIFICATE", der), writePEM(t, base+".key", "EC PRIVATE KEY", kder)
}

func startSecured(t *testing.T, cfg devserver.Config) *devserver.Server {
	t.Helper()
	cfg.LogFile = filepath.Join(t.TempDir(), "temporal.log")
	srv, err := devserver.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// dialWith runs dialTemporal with tc and returns its error (nil: it
// connected and a namespace call was allowed).
func dialWith(t *testing.T, addr string, tc config.Temporal) error {
	t.Helper()
	cfg := config.Default()
	cfg.Temporal = tc
	cfg.Temporal.Namespace = "default"
	var out strings.Builder
	app := &App{Config: cfg, Stdout: &out, Stderr: &out}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := app.dialTemporal(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default"})
	return err
}

// TLS and API keys against the embedded server, with certificates made
// here: a valid setup connects; a wrong CA, an expired certificate, a wrong
// name, a missing client certificate, plain text and a refused key are
// each one line naming the setting to look at.
func TestTemporalTLSAndAPIKeys(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca := newCA(t, dir, "ca")
	other := newCA(t, dir, "other-ca")
	srvCert, srvKey := ca.issue(t, dir, "reel-test-server", true, now.Add(-time.Hour), now.Add(time.Hour))
	oldCert, oldKey := ca.issue(t, dir, "reel-old-server", true, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	cliCert, cliKey := ca.issue(t, dir, "worker-1", false, now.Add(-time.Hour), now.Add(time.Hour))
	expCert, expKey := ca.issue(t, dir, "worker-expired", false, now.Add(-48*time.Hour), now.Add(-24*time.Hour))

	mtls := startSecured(t, devserver.Config{TLS: devserver.TLS{CertFile: srvCert, KeyFile: srvKey, ClientCAFile: ca.file}})
	expired := startSecured(t, devserver.Config{TLS: devserver.TLS{CertFile: oldCert, KeyFile: oldKey}})
	const key = "reel-test-key-0123456789"
	keyed := startSecured(t, devserver.Config{TLS: devserver.TLS{CertFile: srvCert, KeyFile: srvKey}, APIKeys: []string{"another-key-abcdefghijkl", key}})

	good := config.TemporalTLS{CA: ca.file, Cert: cliCert, Key: cliKey}
	cases := []struct {
		name string
		addr string
		tc   config.Temporal
		want string // "" connects
	}{
		{"mutual TLS", mtls.Address, config.Temporal{TLS: good}, ""},
		{"server name given", mtls.Address, config.Temporal{TLS: config.TemporalTLS{CA: ca.file, Cert: cliCert, Key: cliKey, ServerName: "reel-test-server"}}, ""},
		{"wrong CA", mtls.Address, config.Temporal{TLS: config.TemporalTLS{CA: other.file, Cert: cliCert, Key: cliKey}}, "not signed by a trusted CA (temporal.tls.ca)"},
		{"wrong name", mtls.Address, config.Temporal{TLS: config.TemporalTLS{CA: ca.file, Cert: cliCert, Key: cliKey, ServerName: "temporal.example.com"}}, "not valid for this name (temporal.tls.server_name)"},
		{"no client certificate", mtls.Address, config.Temporal{TLS: config.TemporalTLS{CA: ca.file}}, "requires a client certificate it trusts"},
		{"expired client certificate", mtls.Address, config.Temporal{TLS: config.TemporalTLS{CA: ca.file, Cert: expCert, Key: expKey}}, "the client certificate expired on"},
		{"plain text to TLS", mtls.Address, config.Temporal{}, ""},
		{"expired server certificate", expired.Address, config.Temporal{TLS: config.TemporalTLS{CA: ca.file}}, "server's certificate has expired"},
		{"API key accepted", keyed.Address, config.Temporal{TLS: config.TemporalTLS{CA: ca.file}, APIKey: key}, ""},
		{"API key refused", keyed.Address, config.Temporal{TLS: config.TemporalTLS{CA: ca.file}, APIKey: "not-the-key-0123456789"}, "API key missing or not accepted (temporal.api_key)"},
		{"API key missing", keyed.Address, config.Temporal{TLS: config.TemporalTLS{CA: ca.file}}, "API key missing or not accepted (temporal.api_key)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := dialWith(t, c.addr, c.tc)
			if c.name == "plain text to TLS" {
				// gRPC sees the TLS server close a plain connection; whatever
				// it says, it must not connect.
				if err == nil {
					t.Fatal("a plain-text client connected to a TLS frontend")
				}
				return
			}
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("want a connection: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want %q", err, c.want)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Errorf("error is more than one line: %q", err)
			}
			if err != nil {
				t.Log(err)
			}
		})
	}
}

// The embedded frontend listens beyond loopback only with TLS, and takes
// API keys only over TLS.
func TestServerRefusesExposure(t *testing.T) {
	for _, cfg := range []devserver.Config{
		{Listen: "0.0.0.0"},
		{Listen: "::"},
		{APIKeys: []string{"reel-test-key-0123456789"}},
	} {
		_, err := devserver.Start(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "TLS") {
			t.Errorf("Start(%+v) = %v, want a refusal naming TLS", cfg, err)
		}
	}
	if err := dialWith(t, "127.0.0.1:1", config.Temporal{TLS: config.TemporalTLS{CA: filepath.Join(t.TempDir(), "missing.pem")}}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing CA file: %v", err)
	}
}

// A secured server (TLS and an API key) runs jobs: its own worker dials
// the plain internal frontend on loopback, as 'reel server' does, and a
// client with the key submits through the TLS frontend.
func TestSecuredServerRunsJobs(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca := newCA(t, dir, "ca")
	srvCert, srvKey := ca.issue(t, dir, "reel-test-server", true, now.Add(-time.Hour), now.Add(time.Hour))
	const key = "reel-test-key-0123456789"
	srv := startSecured(t, devserver.Config{TLS: devserver.TLS{CertFile: srvCert, KeyFile: srvKey}, APIKeys: []string{key}})
	if srv.LocalAddress == srv.Address {
		t.Fatal("a secured server has no separate local frontend")
	}
	src := filepath.Join(dir, "src.mp4")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1", "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", src)

	ctx := context.Background()
	var logs strings.Builder
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Worker.Concurrency = 1
	app := &App{Config: cfg, Stdout: &logs, Stderr: &logs}
	local, err := app.dialLocal(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	acts, err := app.activities()
	if err != nil {
		t.Fatal(err)
	}
	stop, err := app.startLocalWorker(local, acts)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLIEnv(t, map[string]string{"REEL_TEMPORAL_API_KEY": key, "REEL_TEMPORAL_TLS_CA": ca.file},
		"submit", src, "-o", out, "--id", "secured", "--rendition", "name=a,size=160x120,crf=30,preset=veryfast", "--wait", "--temporal", srv.Address, "--data-dir", dir)
	if code != 0 {
		t.Fatalf("submit: exit %d: %s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "a.mp4")); err != nil {
		t.Error(err)
	}
	if strings.Contains(stdout+stderr+logs.String(), key) {
		t.Error("the API key was printed")
	}
}

func runCLIEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	return runCLI(t, args...)
}
