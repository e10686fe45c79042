package chunkbench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/mezzfs"
)

// mezzanine is a 1080p25 x264 file (GOP 2 s, moov at the end) of
// MEZZFS_BENCH_MEZZ_SECONDS seconds (default 300), generated once into the
// user cache directory; MEZZFS_BENCH_MEZZ names an existing file instead.
func mezzanine(b *testing.B) string {
	if p := os.Getenv("MEZZFS_BENCH_MEZZ"); p != "" {
		return p
	}
	secs := 300
	if v := os.Getenv("MEZZFS_BENCH_MEZZ_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("MEZZFS_BENCH_MEZZ_SECONDS=%q", v)
		}
		secs = n
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "reel-bench")
	os.MkdirAll(dir, 0o755)
	p := filepath.Join(dir, "mezz1080p-"+strconv.Itoa(secs)+"s.mp4")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	tmp := p + ".tmp.mp4"
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
		"-t", strconv.Itoa(secs), "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p", tmp).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, p); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkChunkFetch encodes one 2-second chunk from the middle of the
// mezzanine, read from versitygw through mezzfs with a cold cache, and
// reports the bytes fetched: per object size, and per the chunk's share of
// the object (frames/total x size; 1.0 would be a perfect byte-range read).
func BenchmarkChunkFetch(b *testing.B) {
	ctx := context.Background()
	encode.SetLogLevel("error")
	path := mezzanine(b)
	info, err := encode.Probe(ctx, encode.FileInput(path), encode.ProbeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	v := info.Video()
	if v == nil || v.FrameCount < 100 {
		b.Fatalf("%s: no usable video stream", path)
	}
	total := v.FrameCount
	start := total / 2
	end := start + 50
	srv := s3test.Start(b)
	if err := srv.PutFile(ctx, "mezz/mezz.mp4", path); err != nil {
		b.Fatal(err)
	}
	url := srv.URL("mezz/mezz.mp4")
	profile := encode.Profile{Codec: "x264", Preset: "ultrafast", Width: 640}

	for _, tc := range []struct {
		name      string
		blockSize int64
		readAhead int
	}{{"blocks-8MiB", 8 << 20, 8}, {"blocks-1MiB", 1 << 20, 8}, {"blocks-256KiB", 256 << 10, 4}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := mezzfs.Config{
				S3:        mezzfs.S3Config{Endpoint: srv.Endpoint, PathStyle: true, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey},
				BlockSize: tc.blockSize, MaxReadAhead: tc.readAhead,
			}
			// MEZZFS_BENCH_LOG=dir writes each case's access log there, for
			// 'reel mezzfs replay'.
			if dir := os.Getenv("MEZZFS_BENCH_LOG"); dir != "" {
				f, err := os.Create(filepath.Join(dir, "chunk-"+tc.name+".jsonl"))
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				cfg.AccessLog = mezzfs.NewAccessLog(f)
			}
			var st mezzfs.Stats
			var size int64
			for b.Loop() {
				o, err := mezzfs.Open(ctx, url, cfg)
				if err != nil {
					b.Fatal(err)
				}
				size = o.Size()
				res, err := encode.EncodeRange(ctx, encode.ReaderInput(url, o, o.Size()), filepath.Join(b.TempDir(), "chunk.mp4"), profile, start, end, nil)
				if err != nil {
					b.Fatal(err)
				}
				if res.Frames != end-start {
					b.Fatalf("encoded %d frames, want %d", res.Frames, end-start)
				}
				o.Close()
				st = o.Stats()
			}
			share := float64(size) * float64(end-start) / float64(total)
			b.ReportMetric(float64(st.BytesFetched), "fetched-B")
			b.ReportMetric(float64(st.BytesFetched)/float64(size), "fetched/object")
			b.ReportMetric(float64(st.BytesFetched)/share, "fetched/chunk-share")
			b.ReportMetric(float64(st.Fetches), "requests")
		})
	}
}
