package clustertest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/workflows"
)

const (
	bucket       = "reel"
	temporalPort = "7233"
	s3Port       = "9000" // the proxy, on the S3 host's bridge address
	gwPort       = "9001" // versitygw, on the S3 host's loopback only
	s3Access     = "clusterkey"
	s3Secret     = "clustersecret-not-for-logs"
)

// cluster is reel on several hosts: the server, S3 and the client each on
// a host of their own, and the workers added one host each.
type cluster struct {
	t       testing.TB
	dir     string
	net     *network
	pki     *pki
	server  *host
	s3      *host
	client  *host
	s3Dir   string // versitygw's POSIX root: object s3://reel/K is the file s3Dir/reel/K
	proxy   *proc
	workers []*worker
	pids    map[int]string // pid to what the process is, to read identities in histories
	// watch makes the client write tries.jsonl (roleClient).
	watch bool
}

// worker is a `reel worker` process on a host of its own.
type worker struct {
	*proc
	host *host
	dir  string // its data_dir, on the shared filesystem
}

// busy says whether the worker is encoding a chunk now: its scratch
// directory holds the chunk being encoded until it is uploaded.
func (w *worker) busy() bool {
	entries, _ := os.ReadDir(filepath.Join(w.dir, "tmp"))
	return len(entries) > 0
}

// proc is a process the test started; it is killed when the test ends.
type proc struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

func newCluster(t testing.TB) *cluster {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir(), net: newNetwork(t), pids: map[int]string{}}
	os.MkdirAll(filepath.Join(c.dir, "logs"), 0o755)
	c.server = c.net.addHost(t, "server")
	c.s3 = c.net.addHost(t, "s3")
	c.client = c.net.addHost(t, "client")
	c.pki = newPKI(t, c.dir)

	// The Temporal server, TLS on the bridge and client certificates required.
	cert, key := c.pki.server(t, "temporal", c.server.IP)
	sdir := filepath.Join(c.dir, "server")
	srv := c.start(c.server, "server", nil, os.Args[0], "server", "--config", c.config("server", sdir, ""),
		"--no-worker", "--headless", "--http-port", "0", "--listen", c.server.IP, "--port", temporalPort,
		"--tls-cert", cert, "--tls-key", key, "--client-ca", c.pki.caFile)
	srv.waitLog(t, "temporal  ", 3*time.Minute)

	// versitygw on the S3 host's loopback, reached through the proxy on
	// its bridge address (which adds latency when netem cannot).
	bin, err := s3test.Binary()
	if err != nil {
		t.Fatal(err)
	}
	c.s3Dir = filepath.Join(c.dir, "s3")
	if err := os.MkdirAll(filepath.Join(c.s3Dir, bucket), 0o755); err != nil {
		t.Fatal(err)
	}
	c.start(c.s3, "versitygw", []string{"ROOT_ACCESS_KEY=" + s3Access, "ROOT_SECRET_KEY=" + s3Secret},
		bin, "--port", "127.0.0.1:"+gwPort, "--quiet", "posix", c.s3Dir)
	c.proxy = c.start(c.s3, "s3-proxy", []string{roleEnv + "=" + roleProxy}, os.Args[0], c.s3.IP+":"+s3Port, "127.0.0.1:"+gwPort)
	c.proxy.waitLog(t, readyLine, time.Minute)
	return c
}

// start runs name with args on h, its output in logs/<what>.log.
func (c *cluster) start(h *host, what string, env []string, name string, args ...string) *proc {
	t := c.t
	t.Helper()
	p := &proc{name: what, log: filepath.Join(c.dir, "logs", what+".log"), exited: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p.cmd = h.command(name, args...)
	p.cmd.Env = append(os.Environ(), env...)
	if name == os.Args[0] && !hasRole(env) {
		p.cmd.Env = append(p.cmd.Env, roleEnv+"="+roleReel)
	}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.pids[p.cmd.Process.Pid] = what
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("last lines of %s:\n%s", p.log, tail(p.log, 15))
		}
	})
	return p
}

func hasRole(env []string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, roleEnv+"=") {
			return true
		}
	}
	return false
}

// waitLog waits until the process's output holds s.
func (p *proc) waitLog(t testing.TB, s string, limit time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(limit); ; time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(p.log)
		if strings.Contains(string(b), s) {
			return
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited (%v) before printing %q:\n%s", p.name, p.err, s, tail(p.log, 20))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q in %s:\n%s", p.name, s, limit, tail(p.log, 20))
		}
	}
}

// wait waits for the process to exit, at most limit.
func (p *proc) wait(t testing.TB, limit time.Duration) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(limit):
		t.Fatalf("%s still running after %s:\n%s", p.name, limit, tail(p.log, 20))
		return nil
	}
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// config writes reel.yaml for one host: the frontend over mutual TLS, S3
// through the bridge, confined to the test bucket and the host's own
// directory.
func (c *cluster) config(name, dataDir, certName string) string {
	c.t.Helper()
	cert, key := "", ""
	if certName != "" {
		cert, key = c.pki.client(c.t, certName)
	}
	s3IP := "10.77.0.2" // before the S3 host exists (the server's config) the address is still known
	if c.s3 != nil {
		s3IP = c.s3.IP
	}
	y := fmt.Sprintf(`data_dir: %s
log_level: warn
temporal:
  address: %s:%s
  task_queue: %s
  tls:
    ca: %s
    cert: %q
    key: %q
storage:
  url: s3://%s/outputs
  roots: [%s]
  s3_buckets: [%s]
s3:
  endpoint: http://%s:%s
  region: us-east-1
  path_style: true
mezzfs:
  cache_dir: ""
worker:
  concurrency: 1
  threads: 1
  drain_grace: 0s
`, dataDir, c.server.IP, temporalPort, taskQueue, c.pki.caFile, cert, key, bucket, dataDir, bucket, s3IP, s3Port)
	path := filepath.Join(c.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return path
}

// addWorker starts `reel worker` on a new host and waits until it polls.
func (c *cluster) addWorker(name string) *worker {
	t := c.t
	t.Helper()
	h := c.net.addHost(t, name)
	dir := filepath.Join(c.dir, name)
	p := c.start(h, name, []string{"AWS_ACCESS_KEY_ID=" + s3Access, "AWS_SECRET_ACCESS_KEY=" + s3Secret},
		os.Args[0], "worker", "--config", c.config(name, dir, name))
	p.waitLog(t, "polling", 2*time.Minute)
	w := &worker{proc: p, host: h, dir: dir}
	c.workers = append(c.workers, w)
	return w
}

// submit starts the client on its host: it submits job as workflow id and
// writes the result and histories under dir/id.
func (c *cluster) submit(id string, job workflows.Job) (*proc, string) {
	t := c.t
	t.Helper()
	out := filepath.Join(c.dir, "jobs", id)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(job)
	jf := filepath.Join(out, "job.json")
	if err := os.WriteFile(jf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cert, key := c.pki.client(t, "client-"+id)
	watch := "0"
	if c.watch {
		watch = "1"
	}
	p := c.start(c.client, "client-"+id, []string{roleEnv + "=" + roleClient, watchEnv + "=" + watch,
		addrEnv + "=" + net.JoinHostPort(c.server.IP, temporalPort), caEnv + "=" + c.pki.caFile, certEnv + "=" + cert, keyEnv + "=" + key},
		os.Args[0], jf, id, out)
	return p, out
}

// run submits job and waits for it to complete.
func (c *cluster) run(id string, job workflows.Job) []history {
	t := c.t
	t.Helper()
	p, out := c.submit(id, job)
	if err := p.wait(t, 8*time.Minute); err != nil {
		t.Fatalf("job %s: %v:\n%s", id, err, tail(p.log, 20))
	}
	return readHistories(t, filepath.Join(out, "histories.jsonl"))
}

// object is the file behind s3://reel/key.
func (c *cluster) object(key string) string {
	return filepath.Join(c.s3Dir, bucket, filepath.FromSlash(key))
}

// listening lists the TCP ports h listens on at addr ("127.0.0.1").
func listening(t testing.TB, h *host, addr string) []string {
	t.Helper()
	out, err := h.command("ss", "-Hltn").Output()
	if err != nil {
		t.Fatalf("ss on %s: %v", h.Name, err)
	}
	var ports []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		host, port, err := net.SplitHostPort(f[3])
		if err == nil && host == addr {
			ports = append(ports, port)
		}
	}
	return ports
}

// checkIsolation: each host reaches the others only over the bridge. A
// worker reaches the frontend and S3 on their bridge addresses, but not
// what the server and S3 keep on their loopback (the server's internal
// frontend, versitygw itself); the host running the test reaches nothing.
func (c *cluster) checkIsolation(w *worker) {
	t := c.t
	t.Helper()
	failed := t.Failed()
	if !w.host.canConnect(c.server.IP, temporalPort) || !w.host.canConnect(c.s3.IP, s3Port) {
		t.Fatalf("%s cannot reach the frontend %s:%s or S3 %s:%s over the bridge", w.name, c.server.IP, temporalPort, c.s3.IP, s3Port)
	}
	inner := listening(t, c.server, "127.0.0.1")
	if len(inner) == 0 {
		t.Fatalf("the server listens on nothing on its loopback: expected its internal frontend there")
	}
	for _, port := range inner {
		if w.host.canConnect(c.server.IP, port) || w.host.canConnect("127.0.0.1", port) {
			t.Errorf("%s reaches the server's loopback-only port %s", w.name, port)
		}
	}
	if w.host.canConnect(c.s3.IP, gwPort) || w.host.canConnect("127.0.0.1", gwPort) {
		t.Errorf("%s reaches versitygw's loopback port %s on the S3 host", w.name, gwPort)
	}
	// The test network lives wholly in namespaces the test made: the
	// host's own namespace has no address on it (a dial from here proves
	// nothing where a sandbox answers every address).
	if out, err := exec.Command("ip", "-o", "addr", "show").Output(); err != nil || strings.Contains(string(out), " "+c.net.subnet+".") {
		t.Errorf("the host's own namespace has an address in %s.0/24 (or ip failed: %v): the test network leaks into it", c.net.subnet, err)
	}
	if t.Failed() && !failed {
		return
	}
	t.Logf("isolation: %s reaches %s:%s and %s:%s over the bridge; not the server's loopback ports %v, not versitygw's %s; the host's own namespace has no address on the test network",
		w.name, c.server.IP, temporalPort, c.s3.IP, s3Port, inner, gwPort)
}

// workerName turns an identity from a history ("PID@host@") into the
// worker's name.
func (c *cluster) workerName(identity string) string {
	var pid int
	if _, err := fmt.Sscanf(identity, "%d@", &pid); err == nil {
		if n, ok := c.pids[pid]; ok {
			return n
		}
	}
	return identity
}
