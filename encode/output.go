package encode

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/asticode/go-astiav"
)

// output is a muxer writing to a temporary file next to the final path; it
// is renamed into place by finish and removed by abort, so a failure never
// leaves a partial output.
type output struct {
	op      string
	path    string
	tmp     string
	cont    string // mp4, mov, mkv, ts
	fc      *astiav.FormatContext
	pb      *astiav.IOContext
	started bool
}

func newOutput(op, path, container string) (*output, error) {
	cont, muxer, err := containerFor(container, path)
	if err != nil {
		return nil, newErr(op, path, ErrOutputUnwritable, nil, "%v", err)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, newErr(op, path, ErrOutputUnwritable, nil, "directory %s does not exist", dir)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.part")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, newErr(op, path, ErrOutputUnwritable, nil, "permission denied in %s", dir)
		}
		return nil, newErr(op, path, ErrOutputUnwritable, err, "cannot create a file in %s", dir)
	}
	o := &output{op: op, path: path, tmp: f.Name(), cont: cont}
	f.Close()
	// CreateTemp makes the file private; the output is an ordinary file
	if err := os.Chmod(o.tmp, 0o644); err != nil {
		o.abort()
		return nil, newErr(op, path, ErrOutputUnwritable, err, "chmod")
	}
	o.fc, err = astiav.AllocOutputFormatContext(nil, muxer, o.tmp)
	if err != nil {
		o.abort()
		return nil, newErr(op, path, ErrOutputUnwritable, err, "cannot set up muxer %s", muxer)
	}
	return o, nil
}

// globalHeader reports whether the muxer wants codec headers out of band
// (the output format's flag, not the decoder's).
func (o *output) globalHeader() bool {
	return o.fc.OutputFormat().Flags().Has(astiav.IOFormatFlagGlobalheader)
}

// start opens the file and writes the container header. Stream time bases
// may change here: read them afterwards.
func (o *output) start() error {
	pb, err := astiav.OpenIOContext(o.tmp, astiav.NewIOContextFlags(astiav.IOContextFlagWrite))
	if err != nil {
		return newErr(o.op, o.path, ErrOutputUnwritable, err, "cannot open for writing")
	}
	o.pb = pb
	o.fc.SetPb(pb)
	if err := o.fc.WriteHeader(nil); err != nil {
		return newErr(o.op, o.path, ErrUnsupportedCodec, err, "the %s container cannot hold these streams", o.cont)
	}
	o.started = true
	return nil
}

func (o *output) write(pkt *astiav.Packet) error {
	if err := o.fc.WriteInterleavedFrame(pkt); err != nil {
		return newErr(o.op, o.path, ErrOutputUnwritable, err, "writing a packet")
	}
	return nil
}

// finish writes the trailer, closes the file and renames it into place. It
// returns the final size.
func (o *output) finish() (int64, error) {
	if err := o.fc.WriteTrailer(); err != nil {
		o.abort()
		return 0, newErr(o.op, o.path, ErrOutputUnwritable, err, "writing the trailer")
	}
	err := o.pb.Close()
	o.pb = nil
	if err != nil {
		o.abort()
		return 0, newErr(o.op, o.path, ErrOutputUnwritable, err, "closing")
	}
	o.fc.Free()
	o.fc = nil
	st, err := os.Stat(o.tmp)
	if err != nil {
		o.abort()
		return 0, newErr(o.op, o.path, ErrOutputUnwritable, err, "stat")
	}
	if err := os.Rename(o.tmp, o.path); err != nil {
		o.abort()
		return 0, newErr(o.op, o.path, ErrOutputUnwritable, err, "renaming into place")
	}
	return st.Size(), nil
}

// abort releases everything and removes the temporary file. Safe to call
// after finish (then it does nothing).
func (o *output) abort() {
	if o.pb != nil {
		o.pb.Close()
		o.pb = nil
	}
	if o.fc != nil {
		o.fc.Free()
		o.fc = nil
	}
	if o.tmp != "" {
		os.Remove(o.tmp)
	}
}

func mkTag(s string) astiav.CodecTag {
	return astiav.CodecTag(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
}

// setCodecTag picks the stream's codec tag for o's container: hvc1 for HEVC
// in mp4/mov (what Apple players need), else 0 so the muxer chooses.
func (o *output) setCodecTag(cp *astiav.CodecParameters) {
	if cp.CodecID() == astiav.CodecIDHevc && (o.cont == "mp4" || o.cont == "mov") {
		cp.SetCodecTag(mkTag("hvc1"))
		return
	}
	cp.SetCodecTag(0)
}

func (o *output) String() string { return fmt.Sprintf("%s (%s)", o.path, o.cont) }
