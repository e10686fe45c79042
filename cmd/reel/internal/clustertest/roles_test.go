package clustertest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/reelmedia/reel/cmd/reel/internal/cli"
	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/workflows"
)

// The test binary, re-executed inside a namespace, plays one of these
// roles; its arguments follow the binary's name.
const (
	roleEnv    = "REEL_CT_ROLE"
	roleReel   = "reel"   // the reel CLI: `reel server ...`, `reel worker ...`
	roleClient = "client" // submit a job, wait, write the result and the histories
	roleProxy  = "proxy"  // a TCP proxy that adds latency on SIGUSR1, none on SIGUSR2

	// The client role's connection, from the environment.
	addrEnv = "REEL_CT_TEMPORAL"
	caEnv   = "REEL_CT_CA"
	certEnv = "REEL_CT_CERT"
	keyEnv  = "REEL_CT_KEY"
	// watchEnv=1 makes the client watch the job's tries (tries.jsonl);
	// the benchmark leaves it off, so that the frontend's CPU is the job's.
	watchEnv = "REEL_CT_WATCH"

	taskQueue = "reel"
	readyLine = "READY"
	// proxyDelay is the latency the proxy adds to S3's answers when told to.
	proxyDelay = 50 * time.Millisecond
)

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case roleReel:
		os.Exit(cli.Main(os.Args[1:], strings.NewReader(""), os.Stdout, os.Stderr))
	case roleClient:
		os.Exit(runClient(os.Args[1:]))
	case roleProxy:
		os.Exit(runProxy(os.Args[1:]))
	}
	encode.SetLogLevel("error")
	os.Exit(m.Run())
}

// runClient submits the job in args[0] (JSON) as workflow args[1], waits
// for it, and writes args[2]/result.json and args[2]/histories.jsonl: the
// history of the job and of every child workflow, one per line; with
// $REEL_CT_WATCH=1, also args[2]/tries.jsonl as the job runs.
func runClient(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "client: want JOB.json ID OUTDIR")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var job workflows.Job
	if err := json.Unmarshal(b, &job); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c, err := dialTLS(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: args[1], TaskQueue: taskQueue}, workflows.EncodeWorkflow, job)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(readyLine, run.GetRunID())
	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan error, 1)
	if os.Getenv(watchEnv) == "1" {
		go func() { watched <- watchTries(wctx, c, args[1], filepath.Join(args[2], "tries.jsonl")) }()
	} else {
		watched <- nil
	}
	var res workflows.Result
	jobErr := run.Get(ctx, &res)
	stopWatch()
	if err := <-watched; err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := dumpHistories(ctx, c, args[1], filepath.Join(args[2], "histories.jsonl")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if jobErr != nil {
		fmt.Fprintln(os.Stderr, "job:", jobErr)
		return 1
	}
	out, _ := json.Marshal(res)
	if err := os.WriteFile(filepath.Join(args[2], "result.json"), out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// dialTLS connects to the frontend with the CA and client certificate the
// test made: the same mutual TLS the workers use.
func dialTLS(ctx context.Context) (client.Client, error) {
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(os.Getenv(caEnv))
	if err != nil {
		return nil, err
	}
	pool.AppendCertsFromPEM(ca)
	pair, err := tls.LoadX509KeyPair(os.Getenv(certEnv), os.Getenv(keyEnv))
	if err != nil {
		return nil, err
	}
	return client.DialContext(ctx, client.Options{
		HostPort:          os.Getenv(addrEnv),
		Logger:            sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		ConnectionOptions: client.ConnectionOptions{TLS: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}},
	})
}

// historyLine is one line of histories.jsonl.
type historyLine struct {
	WorkflowID string          `json:"workflow_id"`
	History    json.RawMessage `json:"history"` // historypb.History in protojson
}

// dumpHistories writes the history of workflow id and of its children,
// recursively.
func dumpHistories(ctx context.Context, c client.Client, id, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for queue := []string{id}; len(queue) > 0; queue = queue[1:] {
		var h historypb.History
		it := c.GetWorkflowHistory(ctx, queue[0], "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return fmt.Errorf("history of %s: %w", queue[0], err)
			}
			h.Events = append(h.Events, ev)
			if a := ev.GetChildWorkflowExecutionStartedEventAttributes(); a != nil {
				queue = append(queue, a.GetWorkflowExecution().GetWorkflowId())
			}
		}
		b, err := protojson.Marshal(&h)
		if err != nil {
			return err
		}
		if err := enc.Encode(historyLine{WorkflowID: queue[0], History: b}); err != nil {
			return err
		}
	}
	return f.Close()
}

// tryLine is one line of tries.jsonl: a running activity's state as the
// frontend described it, written when it changed. Histories keep only an
// activity's last try; these lines show the tries before it, and where
// they ran.
type tryLine struct {
	Workflow    string    `json:"workflow_id"`
	Activity    string    `json:"activity_id"`
	Try         int32     `json:"try"`
	State       string    `json:"state"`
	Identity    string    `json:"identity,omitempty"`
	LastFailure string    `json:"last_failure,omitempty"`
	LastEnded   time.Time `json:"last_ended,omitzero"` // when the previous try ended, where the frontend says
	Seen        time.Time `json:"seen"`                // when this line was observed
}

// watchTries describes the job's running batches every 100 ms until ctx
// ends, and writes each activity's changes to path.
func watchTries(ctx context.Context, c client.Client, id, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	last := map[string]tryLine{}
	for {
		select {
		case <-ctx.Done():
			return f.Close()
		case <-time.After(100 * time.Millisecond):
		}
		parent, err := c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			continue // the job may be closing; ctx ends the watch
		}
		for _, child := range parent.GetPendingChildren() {
			d, err := c.DescribeWorkflowExecution(ctx, child.GetWorkflowId(), "")
			if err != nil {
				continue
			}
			for _, a := range d.GetPendingActivities() {
				l := tryLine{Workflow: child.GetWorkflowId(), Activity: a.GetActivityId(), Try: a.GetAttempt(),
					State: a.GetState().String(), Identity: a.GetLastWorkerIdentity(), LastFailure: a.GetLastFailure().GetMessage()}
				if t := a.GetLastAttemptCompleteTime(); t != nil {
					l.LastEnded = t.AsTime()
				}
				k := l.Workflow + "/" + l.Activity
				if last[k] == l {
					continue
				}
				last[k] = l
				l.Seen = time.Now()
				if err := enc.Encode(l); err != nil {
					return err
				}
			}
		}
	}
}

// runProxy forwards args[0] (HOST:PORT to listen on) to args[1]. SIGUSR1
// delays everything the backend sends by proxyDelay, SIGUSR2 stops that:
// the latency netem would add on the backend host's link, for kernels
// without netem.
func runProxy(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "proxy: want LISTEN BACKEND")
		return 2
	}
	var delay atomic.Int64
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for s := range sig {
			if s == syscall.SIGUSR1 {
				delay.Store(int64(proxyDelay))
			} else {
				delay.Store(0)
			}
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", args[1])
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "proxy: backend:", err)
			return 1
		}
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(readyLine)
	for {
		in, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go proxyConn(in, args[1], &delay)
	}
}

// proxyConn copies one connection both ways; what comes back from the
// backend is held until it is delay old, in order, as on a slow link.
func proxyConn(in net.Conn, backend string, delay *atomic.Int64) {
	defer in.Close()
	out, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer out.Close()
	go func() {
		io.Copy(out, in)
		out.(*net.TCPConn).CloseWrite()
	}()
	type piece struct {
		b   []byte
		due time.Time
	}
	pieces := make(chan piece, 256)
	go func() {
		defer close(pieces)
		for {
			b := make([]byte, 32<<10)
			n, err := out.Read(b)
			if n > 0 {
				pieces <- piece{b[:n], time.Now().Add(time.Duration(delay.Load()))}
			}
			if err != nil {
				return
			}
		}
	}()
	for p := range pieces {
		time.Sleep(time.Until(p.due))
		if _, err := in.Write(p.b); err != nil {
			for range pieces {
			}
			return
		}
	}
	in.(*net.TCPConn).CloseWrite()
}
