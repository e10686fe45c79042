package devserver

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// A port asked for that is taken is an error from Start, not Temporal
// ending the process.
func TestStartRefusesTakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, cfg := range []Config{{Port: port}, {UIPort: port}} {
		cfg.DBPath = filepath.Join(t.TempDir(), "t.db")
		_, err := Start(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "port "+strconv.Itoa(port)) || !strings.Contains(err.Error(), "taken") {
			t.Errorf("Start(%+v) = %v, want an error naming port %d as taken", cfg, err, port)
		}
	}
}

func TestFatalMessagesReachTheWriter(t *testing.T) {
	var buf bytes.Buffer
	l := fatalTo(&buf, zap.NewNop())
	l.Error("an ordinary error")
	if buf.Len() != 0 {
		t.Fatalf("an error-level message was copied: %q", buf.String())
	}
	l.DPanic("Failed to start gRPC listener")
	if !strings.Contains(buf.String(), "Failed to start gRPC listener") {
		t.Fatalf("fatal-level message not copied: %q", buf.String())
	}
}
