package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/internal/config"
)

// temporalOptions is the one place client.Options are built from the
// configuration: address, namespace, TLS (CA, client certificate, server
// name) and API key. Every command that dials Temporal goes through
// dialTemporal, which calls it.
func temporalOptions(c config.Temporal, addr string, now time.Time) (client.Options, error) {
	opts := client.Options{HostPort: addr, Namespace: c.Namespace}
	tc, err := clientTLS(c.TLS, addr, now)
	if err != nil {
		return opts, err
	}
	if c.APIKey != "" {
		if tc == nil {
			// The SDK would turn TLS on with the system roots; say so.
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		opts.Credentials = client.NewAPIKeyStaticCredentials(c.APIKey)
	}
	opts.ConnectionOptions.TLS = tc
	return opts, nil
}

// clientTLS returns the TLS configuration for t, or nil for plain text
// (nothing set). Files are read and certificates checked now, so that a
// wrong path or an expired client certificate is one clear line before any
// connection.
func clientTLS(t config.TemporalTLS, addr string, now time.Time) (*tls.Config, error) {
	if t.CA == "" && t.Cert == "" && t.Key == "" && t.ServerName == "" && !t.Enabled {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if tc.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			tc.ServerName = host
		}
	}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("temporal.tls.ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("temporal.tls.ca %s: no PEM certificate in it", t.CA)
		}
		tc.RootCAs = pool
	}
	if (t.Cert == "") != (t.Key == "") {
		return nil, errors.New("temporal.tls: a client certificate needs both cert and key")
	}
	if t.Cert != "" {
		pair, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("temporal.tls.cert %s: %w", t.Cert, err)
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("temporal.tls.cert %s: %w", t.Cert, err)
		}
		if now.After(leaf.NotAfter) {
			return nil, fmt.Errorf("temporal.tls.cert %s: the client certificate expired on %s", t.Cert, leaf.NotAfter.UTC().Format(time.DateOnly))
		}
		if now.Before(leaf.NotBefore) {
			return nil, fmt.Errorf("temporal.tls.cert %s: the client certificate is not valid before %s", t.Cert, leaf.NotBefore.UTC().Format(time.RFC3339))
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc, nil
}

// connectError turns what gRPC says about a failed TLS handshake or a
// refused call into one line that names the setting to look at. gRPC
// carries these as text only, so the text is matched.
// noClientCert says that the client spoke TLS without a client certificate: a
// connection the server then drops (TLS 1.3 checks the client's
// certificate after the client thinks the handshake done) is a server
// asking for one.
func connectError(addr string, err error, noClientCert bool) error {
	msg := err.Error()
	var why string
	switch {
	case strings.Contains(msg, "certificate signed by unknown authority"):
		why = "the server's certificate is not signed by a trusted CA (temporal.tls.ca)"
	case strings.Contains(msg, "certificate has expired or is not yet valid"):
		why = "the server's certificate has expired or is not yet valid"
	case strings.Contains(msg, "certificate is valid for") || strings.Contains(msg, "certificate is not valid for any names"):
		why = "the server's certificate is not valid for this name (temporal.tls.server_name)"
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		why = "the server does not speak TLS (unset temporal.tls and temporal.api_key, or fix the address)"
	case strings.Contains(msg, "tls: expired certificate"):
		why = "the server refused the client certificate as expired (temporal.tls.cert)"
	case strings.Contains(msg, "certificate required") || strings.Contains(msg, "tls: bad certificate") || strings.Contains(msg, "tls: unknown certificate authority"):
		why = "the server requires a client certificate it trusts (temporal.tls.cert, temporal.tls.key)"
	case noClientCert && (strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "EOF")):
		why = "the server dropped the TLS connection: it requires a client certificate it trusts (temporal.tls.cert, temporal.tls.key)"
	case isPermissionDenied(err):
		why = "the server refused the call: API key missing or not accepted (temporal.api_key)"
	case strings.Contains(msg, "authentication handshake failed"):
		why = "TLS handshake failed"
	default:
		return fmt.Errorf("temporal at %s: %w (is 'reel server' running, or is --temporal right?)", addr, err)
	}
	return fmt.Errorf("temporal at %s: %s: %w", addr, why, errConnect)
}

// errConnect marks a connection refused for a reason connectError names;
// the chain of gRPC text below it is left out of the message.
var errConnect = errors.New("not connected")

func isPermissionDenied(err error) bool {
	var pd *serviceerror.PermissionDenied
	return errors.As(err, &pd) || strings.Contains(err.Error(), "Request unauthorized")
}

// checkAccess makes one namespace-scoped call, so that a missing or
// refused API key (which the dial's system call does not need) is found
// now, not at the first job.
func checkAccess(ctx context.Context, c client.Client, namespace string) error {
	if namespace == "" {
		namespace = "default"
	}
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	var nf *serviceerror.NamespaceNotFound
	if errors.As(err, &nf) {
		return nil // the key is good; the namespace is the command's problem
	}
	return err
}
