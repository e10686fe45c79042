package encode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/asticode/go-astiav"
)

// Input names a media source: a local path, or an io.ReaderAt with its size
// (an object-store range reader, a mezzfs file, a bytes.Reader). The reader is
// served to FFmpeg through a custom AVIOContext with read and seek callbacks.
type Input struct {
	Path string      // a local file, opened by FFmpeg itself; used when R is nil
	R    io.ReaderAt // random-access reader; must be safe for the reads of one decoder
	Size int64       // size of R in bytes
	Name string      // for messages; defaults to Path
	// Index is the source's frame index from an earlier Probe
	// (Info.FrameIndex): opens use it instead of reading the file again to
	// build it. It must be of this very source (ErrIndexMismatch).
	Index *Index
}

// FileInput is an Input for a local file.
func FileInput(path string) Input { return Input{Path: path, Name: path} }

// ReaderInput is an Input read through r, which holds size bytes.
func ReaderInput(name string, r io.ReaderAt, size int64) Input {
	return Input{R: r, Size: size, Name: name}
}

func (in Input) name() string {
	switch {
	case in.Name != "":
		return in.Name
	case in.Path != "":
		return in.Path
	}
	return "<reader>"
}

// FFmpeg's avio "whence" extensions (libavformat/avio.h). go-astiav v0.16.0
// passes whence through unchanged, so the seek callback must handle them.
const (
	avseekSize  = 0x10000 // AVSEEK_SIZE: report the size, do not move
	avseekForce = 0x20000 // AVSEEK_FORCE: a hint, OR'ed into whence
)

// readerIO adapts an io.ReaderAt to go-astiav's IOContext callbacks.
type readerIO struct {
	ctx context.Context // cancels reads: FFmpeg checks no interrupt callback on custom IO
	sr  *io.SectionReader
	n   int64
}

// read maps EOF to astiav.ErrEof and never returns bytes together with an
// error: go-astiav v0.16.0 turns any non-astiav error into AVERROR_UNKNOWN and
// drops the bytes that came with it.
func (x *readerIO) read(b []byte) (int, error) {
	if x.ctx.Err() != nil {
		return 0, astiav.ErrExit
	}
	n, err := x.sr.Read(b)
	if n > 0 {
		return n, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return 0, astiav.ErrEof
	}
	return 0, astiav.ErrEio
}

func (x *readerIO) seek(off int64, whence int) (int64, error) {
	if whence&avseekSize != 0 {
		return x.n, nil
	}
	p, err := x.sr.Seek(off, whence&^avseekForce)
	if err != nil {
		return 0, astiav.ErrEio
	}
	return p, nil
}

// demuxer is an opened input format context with its optional custom IO.
type demuxer struct {
	name string
	fc   *astiav.FormatContext
	ioc  *astiav.IOContext
	size int64
	stop func() bool
}

// containerMagic reports whether head starts like a container this package
// knows, used to tell a truncated file from bytes that are not media at all.
func containerMagic(head []byte) bool {
	switch {
	case len(head) >= 8 && (bytes.Equal(head[4:8], []byte("ftyp")) || bytes.Equal(head[4:8], []byte("moov")) ||
		bytes.Equal(head[4:8], []byte("mdat")) || bytes.Equal(head[4:8], []byte("wide")) || bytes.Equal(head[4:8], []byte("free"))):
		return true
	case len(head) >= 4 && bytes.Equal(head[:4], []byte{0x1a, 0x45, 0xdf, 0xa3}): // EBML (mkv, webm)
		return true
	case len(head) >= 189 && head[0] == 0x47 && head[188] == 0x47: // MPEG-TS sync bytes
		return true
	}
	return false
}

// openDemuxer opens in, reads its stream information and maps failures to the
// package's sentinels. ctx bounds the demuxer's whole life: cancelling it
// interrupts FFmpeg's file I/O and makes custom-IO reads fail.
func openDemuxer(ctx context.Context, op string, in Input) (*demuxer, error) {
	name := in.name()
	d := &demuxer{name: name}
	var head []byte
	switch {
	case in.R != nil:
		if in.Size <= 0 {
			return nil, newErr(op, name, ErrEmpty, nil, "empty input (0 bytes)")
		}
		d.size = in.Size
		head = make([]byte, min(in.Size, 512))
		if n, err := in.R.ReadAt(head, 0); n < len(head) {
			return nil, newErr(op, name, ErrInvalidData, err, "cannot read the first bytes")
		}
	case in.Path != "":
		st, err := os.Stat(in.Path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, newErr(op, name, ErrNotFound, nil, "no such file")
		}
		if err != nil {
			return nil, newErr(op, name, ErrNotFound, err, "cannot stat")
		}
		if st.IsDir() {
			return nil, newErr(op, name, ErrInvalidData, nil, "is a directory")
		}
		if st.Size() == 0 {
			return nil, newErr(op, name, ErrEmpty, nil, "empty file (0 bytes)")
		}
		d.size = st.Size()
		f, err := os.Open(in.Path)
		if err != nil {
			return nil, newErr(op, name, ErrNotFound, err, "cannot open")
		}
		head = make([]byte, min(d.size, 512))
		_, _ = io.ReadFull(f, head)
		f.Close()
	default:
		return nil, newErr(op, name, ErrNotFound, nil, "no path or reader given")
	}

	d.fc = astiav.AllocFormatContext()
	if d.fc == nil {
		return nil, newErr(op, name, nil, nil, "cannot allocate a format context")
	}
	intr := d.fc.SetInterruptCallback()
	d.stop = context.AfterFunc(ctx, intr.Interrupt)
	// "file:" keeps FFmpeg from reading a colon in the path as a protocol
	url := "file:" + in.Path
	if in.R != nil {
		rio := &readerIO{ctx: ctx, sr: io.NewSectionReader(in.R, 0, in.Size), n: in.Size}
		ioc, err := astiav.AllocIOContext(64<<10, false, rio.read, rio.seek, nil)
		if err != nil {
			d.close()
			return nil, newErr(op, name, nil, err, "cannot allocate custom IO")
		}
		d.ioc = ioc
		d.fc.SetPb(ioc)
		url = ""
	}
	if err := d.fc.OpenInput(url, nil, nil); err != nil {
		// avformat_open_input freed the context on failure.
		d.fc = nil
		d.close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %q: %w", op, name, ctx.Err())
		}
		if containerMagic(head) {
			return nil, newErr(op, name, ErrTruncated, err, "container header found but the file cannot be opened (cut off?)")
		}
		return nil, newErr(op, name, ErrInvalidData, err, "not a media file FFmpeg can read")
	}
	if err := d.fc.FindStreamInfo(nil); err != nil {
		d.close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %q: %w", op, name, ctx.Err())
		}
		if containerMagic(head) {
			return nil, newErr(op, name, ErrTruncated, err, "cannot read stream information")
		}
		return nil, newErr(op, name, ErrInvalidData, err, "cannot read stream information")
	}
	return d, nil
}

// close releases the demuxer: CloseInput first, then the custom IOContext
// (with custom IO, avformat_close_input does not free pb).
func (d *demuxer) close() {
	if d == nil {
		return
	}
	if d.stop != nil {
		d.stop()
		d.stop = nil
	}
	if d.fc != nil {
		d.fc.CloseInput()
		d.fc.Free()
		d.fc = nil
	}
	if d.ioc != nil {
		d.ioc.Free()
		d.ioc = nil
	}
}

// videoStream returns the first video stream that is not a cover picture.
func (d *demuxer) videoStream() *astiav.Stream {
	for _, s := range d.fc.Streams() {
		if s.CodecParameters().MediaType() == astiav.MediaTypeVideo && !isAttachedPic(s) {
			return s
		}
	}
	return nil
}

func (d *demuxer) audioStream() *astiav.Stream {
	for _, s := range d.fc.Streams() {
		if s.CodecParameters().MediaType() == astiav.MediaTypeAudio {
			return s
		}
	}
	return nil
}

// readErr classifies an error from ReadFrame after a successful open.
func (d *demuxer) readErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s %q: %w", op, d.name, ctx.Err())
	}
	return newErr(op, d.name, ErrTruncated, err, "media data breaks off")
}

// checkPacket flags a packet that was cut off by the end of the file.
func (d *demuxer) checkPacket(op string, pkt *astiav.Packet) error {
	if pkt.Flags().Has(astiav.PacketFlagCorrupt) && pkt.Pos() >= 0 && d.size > 0 && pkt.Pos()+int64(pkt.Size()) >= d.size {
		return newErr(op, d.name, ErrTruncated, nil, "the last packet is cut off at byte %d", d.size)
	}
	if pkt.Pos() >= 0 && d.size > 0 && pkt.Pos()+int64(pkt.Size()) > d.size {
		return newErr(op, d.name, ErrTruncated, nil, "a packet at byte %d runs past the end of the file (%d bytes)", pkt.Pos(), d.size)
	}
	return nil
}
