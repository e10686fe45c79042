package clustertest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// network is a private network of namespaces: a switch namespace holding a
// bridge, and one namespace per host with a veth whose other end is a port
// of the bridge. Names carry a random tag, so runs never share a namespace;
// everything is deleted when the test ends, failed or not.
type network struct {
	tag    string
	sw     string // the switch namespace
	subnet string // the first three octets, "10.77.0"
	hosts  []*host
}

// host is one namespace on the network.
type host struct {
	Name string // the role, "server", "worker-1"
	NS   string // the namespace
	IP   string
	port string // its bridge port, in the switch namespace
}

// needNetns skips the test where namespaces cannot be made.
func needNetns(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: it creates network namespaces, a bridge and veths (run as root, or: sudo go test ...)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip command (apt-get install iproute2)")
	}
}

// newNetwork makes the switch namespace and its bridge.
func newNetwork(t testing.TB) *network {
	t.Helper()
	needNetns(t)
	b := make([]byte, 3)
	rand.Read(b)
	n := &network{tag: "reel" + hex.EncodeToString(b), subnet: "10.77.0"}
	n.sw = n.tag + "-sw"
	if out, err := exec.Command("ip", "netns", "add", n.sw).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace here (%v: %s): this test needs root with CAP_SYS_ADMIN", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(n.delete)
	n.ip(t, "-n", n.sw, "link", "add", "br0", "type", "bridge")
	n.ip(t, "-n", n.sw, "link", "set", "br0", "up")
	return n
}

// addHost makes a namespace with loopback up and eth0 on the bridge at
// 10.77.0.<index of the host + 1>.
func (n *network) addHost(t testing.TB, name string) *host {
	t.Helper()
	i := len(n.hosts) + 1
	h := &host{Name: name, NS: fmt.Sprintf("%s-%s", n.tag, name), IP: fmt.Sprintf("%s.%d", n.subnet, i), port: fmt.Sprintf("p%d", i)}
	n.hosts = append(n.hosts, h)
	n.ip(t, "netns", "add", h.NS)
	n.ip(t, "-n", h.NS, "link", "set", "lo", "up")
	n.ip(t, "-n", n.sw, "link", "add", h.port, "type", "veth", "peer", "name", "eth0", "netns", h.NS)
	n.ip(t, "-n", n.sw, "link", "set", h.port, "master", "br0")
	n.ip(t, "-n", n.sw, "link", "set", h.port, "up")
	n.ip(t, "-n", h.NS, "addr", "add", h.IP+"/24", "dev", "eth0")
	n.ip(t, "-n", h.NS, "link", "set", "eth0", "up")
	return h
}

// setLink pulls a host's cable out of the bridge (up false) or plugs it
// back: its TCP connections stall rather than fail, as with a real cable.
func (n *network) setLink(t testing.TB, h *host, up bool) {
	t.Helper()
	state := "down"
	if up {
		state = "up"
	}
	n.ip(t, "-n", n.sw, "link", "set", h.port, state)
}

// command is name with args run inside h's namespace. ip netns exec execs
// it, so the process's pid is the command's own.
func (h *host) command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
}

// canConnect says whether a TCP connection from inside h to addr:port
// succeeds within a second (bash's /dev/tcp, so no helper binary is needed).
func (h *host) canConnect(addr, port string) bool {
	cmd := h.command("timeout", "1", "bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%s", addr, port))
	return cmd.Run() == nil
}

func (n *network) ip(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
}

// delete removes every namespace; their veths and the bridge go with them.
func (n *network) delete() {
	for _, h := range n.hosts {
		exec.Command("ip", "netns", "del", h.NS).Run()
	}
	exec.Command("ip", "netns", "del", n.sw).Run()
}
