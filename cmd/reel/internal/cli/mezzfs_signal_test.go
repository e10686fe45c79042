package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMezzfsMountSignals: `reel mezzfs mount` as its own process unmounts
// cleanly and exits 0 on SIGTERM and on SIGINT (Ctrl-C), leaving no mount.
// The process is this test binary re-run as TestMezzfsMountChild.
func TestMezzfsMountSignals(t *testing.T) {
	if _, err := os.Stat("/dev/fuse"); err != nil || os.Geteuid() != 0 {
		t.Skip("needs /dev/fuse and root")
	}
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "x.bin"), []byte("mezzanine bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			mnt := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestMezzfsMountChild$")
			cmd.Env = append(os.Environ(), "REEL_TEST_MOUNT_CHILD=1", "REEL_TEST_MOUNT_SRC="+src, "REEL_TEST_MOUNT_AT="+mnt)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			target := filepath.Join(mnt, "x.bin")
			for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if b, err := os.ReadFile(target); err == nil && string(b) == "mezzanine bytes" {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					<-exited
					exec.Command("umount", "-l", mnt).Run()
					t.Fatalf("mount did not serve the file: %s", out.String())
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("after %v: %v: %s", sig, err, out.String())
				}
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				<-exited
				exec.Command("umount", "-l", mnt).Run()
				t.Fatalf("mount did not exit after %v: %s", sig, out.String())
			}
			if b, _ := os.ReadFile("/proc/mounts"); strings.Contains(string(b), " "+mnt+" ") {
				exec.Command("umount", "-l", mnt).Run()
				t.Fatalf("still mounted after %v", sig)
			}
			if !strings.Contains(out.String(), "unmounted") {
				t.Errorf("after %v the mount did not report its unmount: %s", sig, out.String())
			}
		})
	}
}

// TestMezzfsMountChild is the mount process of TestMezzfsMountSignals.
func TestMezzfsMountChild(t *testing.T) {
	if os.Getenv("REEL_TEST_MOUNT_CHILD") != "1" {
		t.Skip("run by TestMezzfsMountSignals")
	}
	code := Main([]string{"mezzfs", "mount", os.Getenv("REEL_TEST_MOUNT_SRC"), os.Getenv("REEL_TEST_MOUNT_AT")}, strings.NewReader(""), os.Stdout, os.Stderr)
	if code != 0 {
		t.Fatalf("mount exited %d", code)
	}
}
