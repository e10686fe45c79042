package fusefs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/reelmedia/reel/mezzfs"
)

// File is one file of the mount.
type File struct {
	// Name is the path inside the mount, '/'-separated; parent
	// directories are made as needed.
	Name string
	// Size in bytes, as listed (the opened Source's size wins once open).
	Size int64
	// ModTime is the file's modification (and access and change) time, as
	// listed: mezzfs.Entry's ModTime. Zero shows as the Unix epoch.
	ModTime time.Time
	// Open returns the Source on the file's first open; the mount keeps
	// it until unmount and closes it then if it is an io.Closer.
	Open func(ctx context.Context) (mezzfs.Source, error)
}

// Errors returned by Mount, checkable with errors.Is.
var (
	// ErrBadName: a File's name is empty or has a "." or ".." element.
	ErrBadName = errors.New("bad file name")
	// ErrDuplicateName: two Files have the same name.
	ErrDuplicateName = errors.New("duplicate file name")
)

// Options tune the mount. The zero value is what reel uses.
type Options struct {
	// FsName shows in /proc/mounts. Default: mezzfs.
	FsName string
	// MaxWrite is the largest read the kernel sends (max_read). Default: 1 MiB.
	MaxWrite int
	// ReadAheadKiB is the kernel's read-ahead for the mount (the bdi's
	// read_ahead_kb), set after mounting when permitted. FUSE mounts start at
	// 128 KiB, which splits sequential reads into 128 KiB requests. Default:
	// 4 MiB; negative leaves the kernel's value.
	ReadAheadKiB int
	// DirectIO opens files with direct I/O: reads bypass the kernel's page
	// cache and reach mezzfs at the reader's own size, one copy fewer and
	// no page-cache fill, which is the cheaper choice for one-pass readers
	// with large (1 MiB) reads. Small reads become as many small requests
	// (ffmpeg reads 32 KiB at a time), much slower than through the page
	// cache, and nothing is shared between readers or re-reads. The
	// default, keep-cache, keeps pages across opens. See the package doc.
	DirectIO bool
	// Debug logs every FUSE request.
	Debug bool
}

// Server is a mounted file system.
type Server struct {
	mountpoint string
	srv        *fuse.Server
	root       *dirNode
	stopped    chan struct{} // closed when the server has stopped serving
	once       sync.Once
	err        error
}

// Mount mounts files read-only at mountpoint and serves them until
// Unmount (or an external fusermount3 -u).
func Mount(mountpoint string, files []File, opts Options) (*Server, error) {
	if opts.FsName == "" {
		opts.FsName = "mezzfs"
	}
	if opts.MaxWrite <= 0 {
		opts.MaxWrite = 1 << 20
	}
	seen := map[string]bool{}
	for _, f := range files {
		clean := strings.Trim(f.Name, "/")
		switch {
		case clean == "" || strings.Contains("/"+clean+"/", "/../") || strings.Contains("/"+clean+"/", "/./"):
			return nil, fmt.Errorf("fusefs: %s: file name %q: %w", mountpoint, f.Name, ErrBadName)
		case seen[clean]:
			return nil, fmt.Errorf("fusefs: %s: file name %q: %w", mountpoint, f.Name, ErrDuplicateName)
		}
		seen[clean] = true
	}
	if opts.ReadAheadKiB == 0 {
		opts.ReadAheadKiB = 4 << 10
	}
	// The reads of one read-ahead batch that are in flight at once span
	// up to about two read-ahead windows.
	window := max(int64(orderWindow), 2*int64(opts.ReadAheadKiB)<<10)
	root := &dirNode{files: files, directIO: opts.DirectIO, orderWindow: window, maxRead: int64(opts.MaxWrite)}
	// The objects are immutable while mounted: let the kernel cache names,
	// attributes and pages for long.
	ttl := time.Hour
	srv, err := fs.Mount(mountpoint, root, &fs.Options{
		EntryTimeout: &ttl,
		AttrTimeout:  &ttl,
		MountOptions: fuse.MountOptions{
			FsName:   opts.FsName,
			Name:     "mezzfs",
			Options:  []string{"ro"},
			MaxWrite: opts.MaxWrite,
			// Reads return bytes from memory, never a file descriptor, so
			// splicing gains nothing; with 1 MiB reads it also overflows the
			// default 1 MiB pipe and logs a failure per read.
			DisableSplice: true,
			// Lets a direct-I/O file be mmapped (through the page cache;
			// kernel 6.6 or later, ignored before).
			ExtraCapabilities: fuse.CAP_DIRECT_IO_ALLOW_MMAP,
			Debug:             opts.Debug,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("fusefs: mount %s: %w", mountpoint, err)
	}
	if opts.ReadAheadKiB > 0 {
		setReadAhead(mountpoint, opts.ReadAheadKiB)
	}
	s := &Server{mountpoint: mountpoint, srv: srv, root: root, stopped: make(chan struct{})}
	go func() {
		srv.Wait()
		close(s.stopped)
	}()
	return s, nil
}

// Wait blocks until the file system is unmounted.
func (s *Server) Wait() { <-s.stopped }

// Unmount unmounts (retrying briefly while the mount is busy; nothing to
// do if it was unmounted from outside), waits for the server to stop, and
// closes every opened Source.
func (s *Server) Unmount() error {
	s.once.Do(func() {
		select {
		case <-s.stopped: // unmounted from outside
			s.root.closeAll()
			return
		default:
		}
		s.err = retryBusy(func() (bool, error) {
			err := s.srv.Unmount()
			return errors.Is(err, syscall.EBUSY), err
		})
		if s.err != nil {
			s.err = fmt.Errorf("fusefs: unmount %s: %w", s.mountpoint, s.err)
			return
		}
		<-s.stopped
		s.root.closeAll()
	})
	return s.err
}

// setReadAhead raises the mount's kernel read-ahead. It is best effort:
// without root (or sysfs) the mount still works, with smaller requests.
func setReadAhead(mountpoint string, kib int) {
	var st syscall.Stat_t
	if err := syscall.Stat(mountpoint, &st); err != nil {
		return
	}
	bdi := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev))
	os.WriteFile(bdi, []byte(strconv.Itoa(kib)), 0o644)
}

// Unmount unmounts a mezzfs mount served by another process. While the
// mount is busy (a file still open: the kernel releases a closed file
// asynchronously) it retries for up to unmountWait, as Server.Unmount does.
func Unmount(mountpoint string) error {
	var out []byte
	err := retryBusy(func() (bool, error) {
		var err error
		out, err = exec.Command("fusermount3", "-u", mountpoint).CombinedOutput()
		if err == nil {
			return false, nil
		}
		err2 := syscall.Unmount(mountpoint, 0)
		if err2 == nil {
			return false, nil
		}
		return errors.Is(err2, syscall.EBUSY) || strings.Contains(string(out), "busy"), err
	})
	if err == nil {
		return nil
	}
	msg := strings.TrimSpace(string(out))
	if strings.Contains(msg, "busy") {
		msg += " (a process still has a file or directory of the mount open: fuser -vm " + mountpoint + ")"
	}
	return fmt.Errorf("fusefs: unmount %s: %v: %s", mountpoint, err, msg)
}

// unmountWait is how long Unmount and Server.Unmount retry a busy mount.
const unmountWait = 5 * time.Second

// retryBusy calls unmount until it succeeds, fails for a reason other than
// a busy mount, or unmountWait has passed, and returns its last error.
func retryBusy(unmount func() (busy bool, err error)) error {
	deadline := time.Now().Add(unmountWait)
	for {
		busy, err := unmount()
		if err == nil || !busy || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Errno maps a mezzfs error to the errno a FUSE caller sees.
func Errno(err error) syscall.Errno {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, mezzfs.ErrNotFound):
		return syscall.ENOENT
	case errors.Is(err, mezzfs.ErrPermission):
		return syscall.EACCES
	case errors.Is(err, mezzfs.ErrObjectChanged):
		return syscall.ESTALE
	case errors.Is(err, context.Canceled):
		return syscall.EINTR
	case errors.Is(err, mezzfs.ErrTransient), errors.Is(err, context.DeadlineExceeded):
		return syscall.ETIMEDOUT
	case errors.Is(err, mezzfs.ErrInvalidURL), errors.Is(err, mezzfs.ErrNegativeOffset):
		return syscall.EINVAL
	}
	return syscall.EIO
}

// dirNode is the root; it builds the whole tree when mounted.
type dirNode struct {
	fs.Inode
	files       []File
	directIO    bool
	orderWindow int64 // each file's readOrder.window
	maxRead     int64 // each file's readOrder.full

	mu    sync.Mutex
	nodes []*fileNode
}

var _ = (fs.NodeOnAdder)((*dirNode)(nil))

func (d *dirNode) OnAdd(ctx context.Context) {
	for _, f := range d.files {
		parts := strings.Split(strings.Trim(f.Name, "/"), "/")
		p := &d.Inode
		for _, dir := range parts[:len(parts)-1] {
			ch := p.GetChild(dir)
			if ch == nil {
				ch = p.NewPersistentInode(ctx, &fs.Inode{}, fs.StableAttr{Mode: syscall.S_IFDIR})
				p.AddChild(dir, ch, false)
			}
			p = ch
		}
		n := &fileNode{file: f, size: f.Size, mtime: f.ModTime, directIO: d.directIO, order: readOrder{window: d.orderWindow, full: d.maxRead}}
		d.nodes = append(d.nodes, n)
		p.AddChild(parts[len(parts)-1], p.NewPersistentInode(ctx, n, fs.StableAttr{Mode: syscall.S_IFREG}), false)
	}
}

func (d *dirNode) closeAll() {
	for _, n := range d.nodes {
		n.close()
	}
}

// fileNode serves one Source, opened on first use.
type fileNode struct {
	fs.Inode
	file     File
	directIO bool

	order readOrder

	mtime time.Time

	mu   sync.Mutex
	src  mezzfs.Source
	size int64
}

var (
	_ = (fs.NodeGetattrer)((*fileNode)(nil))
	_ = (fs.NodeOpener)((*fileNode)(nil))
	_ = (fs.NodeReader)((*fileNode)(nil))
)

func (n *fileNode) source(ctx context.Context) (mezzfs.Source, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.src != nil {
		return n.src, nil
	}
	src, err := n.file.Open(ctx)
	if err != nil {
		return nil, err
	}
	n.src, n.size = src, src.Size()
	return src, nil
}

func (n *fileNode) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.src.(io.Closer); ok {
		c.Close()
	}
	n.src = nil
}

func (n *fileNode) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.mu.Lock()
	defer n.mu.Unlock()
	out.Mode = 0o444
	out.Size = uint64(max(n.size, 0))
	out.Blksize = 1 << 20
	out.Blocks = (out.Size + 511) / 512
	if !n.mtime.IsZero() {
		out.SetTimes(&n.mtime, &n.mtime, &n.mtime)
	}
	return 0
}

func (n *fileNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC|syscall.O_APPEND) != 0 {
		return nil, 0, syscall.EROFS
	}
	if _, err := n.source(ctx); err != nil {
		return nil, 0, Errno(err)
	}
	if n.directIO {
		return nil, fuse.FOPEN_DIRECT_IO, 0
	}
	// The object is pinned (identity checked on every fetch), so pages the
	// kernel already holds stay valid across opens.
	return nil, fuse.FOPEN_KEEP_CACHE, 0
}

func (n *fileNode) Read(ctx context.Context, fh fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	src, err := n.source(ctx)
	if err != nil {
		return nil, Errno(err)
	}
	done, err := n.order.enter(ctx, off, int64(len(dest)))
	if err != nil {
		return nil, Errno(err)
	}
	defer done()
	var m int
	if c, ok := src.(interface {
		ReadAtContext(context.Context, []byte, int64) (int, error)
	}); ok {
		m, err = c.ReadAtContext(ctx, dest, off)
	} else {
		m, err = src.ReadAt(dest, off)
	}
	if err != nil && err != io.EOF {
		return nil, Errno(err)
	}
	return fuse.ReadResultData(dest[:m]), 0
}

// readOrder hands adjacent reads of a file to the Source in offset order.
// The kernel's read-ahead sends several consecutive reads at once and
// go-fuse serves each on its own goroutine, so they reach the Source in
// any order; a streaming Source then reads the bytes of a late request
// ahead of time into a side buffer (an extra copy and allocation) for the
// early one. So a read waits for its predecessor, the read ending where
// it starts: while that one is in progress, or, for at most orderWait,
// when it has not arrived yet but the read looks like a later request of
// a read-ahead batch whose first ones a goroutine that has not got here
// yet picked up: a full-size request starting a whole number of requests
// past where a recent read ended. Other reads (random ones, small ones)
// never wait for a read that may not come, and reads that are not
// adjacent run in parallel as before.
type readOrder struct {
	mu      sync.Mutex
	busy    map[int64]chan struct{} // by end offset: closed when that read is done
	ends    [16]int64               // ends of the latest reads, a ring
	last    int                     // index in ends of the latest
	arrived chan struct{}           // closed (and replaced) when a read registers
	window  int64                   // orderWindow unless set
	full    int64                   // the largest request (the mount's MaxWrite); 0: any size
	wait    time.Duration           // orderWait unless set (tests)
}

const (
	// orderWindow: a read starting at most this far past where a recent
	// read ended expects the reads between to arrive (at least; the mount
	// widens it to two read-ahead windows).
	orderWindow = 8 << 20
	// orderWait bounds the wait for a predecessor that has not arrived:
	// it is scheduling delay, not I/O.
	orderWait = 2 * time.Millisecond
)

// enter waits for the read's predecessor (see readOrder) and registers
// [off, off+n); done must be called when the read is over.
func (r *readOrder) enter(ctx context.Context, off, n int64) (done func(), err error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	r.mu.Lock()
	if r.busy == nil {
		r.busy = map[int64]chan struct{}{}
		r.arrived = make(chan struct{})
	}
	expired := false // the wait for a predecessor that has not arrived
	for !expired && r.busy[off] == nil && r.expects(off, n) {
		if timer == nil {
			wait := r.wait
			if wait == 0 {
				wait = orderWait
			}
			timer = time.NewTimer(wait)
		}
		arrived := r.arrived
		r.mu.Unlock()
		select {
		case <-arrived:
		case <-timer.C:
			expired = true
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		r.mu.Lock()
	}
	prev := r.busy[off]
	end := off + n
	var mine chan struct{}
	if r.busy[end] == nil { // else an identical read is in progress: it keeps the entry
		mine = make(chan struct{})
		r.busy[end] = mine
	}
	r.last = (r.last + 1) % len(r.ends)
	r.ends[r.last] = end
	close(r.arrived)
	r.arrived = make(chan struct{})
	r.mu.Unlock()
	done = func() {
		if mine == nil {
			return
		}
		r.mu.Lock()
		delete(r.busy, end)
		r.mu.Unlock()
		close(mine)
	}
	if prev != nil {
		select {
		case <-prev:
		case <-ctx.Done():
			done()
			return nil, ctx.Err()
		}
	}
	return done, nil
}

// expects reports whether a read of n bytes at off should wait for its
// predecessor to arrive: it is a full-size request, no recent read ended
// at off, and one ended a whole number of requests before it, within the
// window. r.mu is held.
func (r *readOrder) expects(off, n int64) bool {
	if off == 0 || n <= 0 || (r.full > 0 && n != r.full) {
		return false
	}
	window := r.window
	if window == 0 {
		window = orderWindow
	}
	behind := false
	for _, e := range r.ends {
		if e == off {
			return false
		}
		if e > 0 && e < off && off-e <= window && (off-e)%n == 0 {
			behind = true
		}
	}
	return behind
}
