package chunkbench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/internal/testmedia"
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
	return testmedia.File(b, "mezz1080p-"+strconv.Itoa(secs)+"s", "mp4", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
		"-t", strconv.Itoa(secs), "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p")
}

// chunkSpan reads the container's packet index with ffprobe and returns
// the bytes the video frames [first, end) occupy (from the first packet's
// position to the end of the last) and the object's other bytes: the
// header before the first packet and the index after the last (moov at the
// end). A perfect byte-range reader of the chunk fetches span + header.
func chunkSpan(b *testing.B, path string, first, end int64, size int64) (span, header int64) {
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pos,size",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		b.Fatalf("ffprobe %s: %v", path, err)
	}
	var lo, hi int64 = -1, -1
	var minPos, maxEnd int64 = -1, -1
	var i int64
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var sz, pos int64
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "%d,%d", &sz, &pos); err != nil {
			b.Fatalf("ffprobe line %q: %v", line, err)
		}
		if minPos < 0 || pos < minPos {
			minPos = pos
		}
		maxEnd = max(maxEnd, pos+sz)
		if i >= first && i < end {
			if lo < 0 || pos < lo {
				lo = pos
			}
			hi = max(hi, pos+sz)
		}
		i++
	}
	if lo < 0 || i < end {
		b.Fatalf("%s: %d packets, want frames [%d,%d)", path, i, first, end)
	}
	return hi - lo, minPos + (size - maxEnd)
}

// BenchmarkChunkFetch encodes the chunk of seconds 60-70 (frames
// [1500, 1750) at 25 fps; the mezzanine has a keyframe every 2 s, so the
// decoder starts exactly there) of the 5-minute mezzanine, read from
// versitygw through mezzfs with a cold cache, and reports the bytes
// fetched: per the chunk's byte span plus the container's header and index
// (from ffprobe's packet positions; target <= 1.25) and per object size.
// The "default" case is mezzfs's default Config; "disk-cache" adds a cold
// on-disk cache (the run is still streamed; whole blocks it passes through
// are also written to disk).
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
	fps := v.FrameRate.Float()
	start, end := int64(60*fps), int64(70*fps)
	if end > v.FrameCount {
		// A shorter mezzanine (MEZZFS_BENCH_MEZZ_SECONDS): its middle 10 s.
		start = max(v.FrameCount/2-int64(5*fps), 0)
		end = min(start+int64(10*fps), v.FrameCount)
	}
	st0, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	span, header := chunkSpan(b, path, start, end, st0.Size())
	srv := s3test.Start(b)
	if err := srv.PutFile(ctx, "mezz/mezz.mp4", path); err != nil {
		b.Fatal(err)
	}
	url := srv.URL("mezz/mezz.mp4")
	profile := encode.Profile{Codec: "x264", Preset: "ultrafast", Width: 640}

	// What planning costs before any chunk: the encode workflow's probe
	// with the keyframe index, through mezzfs from a cold cache. MP4's
	// index gives the keyframes, so the media data is not fetched.
	b.Run("probe-keyframes", func(b *testing.B) {
		cfg := mezzfs.Config{S3: mezzfs.S3Config{Endpoint: srv.Endpoint, PathStyle: true, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}}
		var st mezzfs.Stats
		var keys int
		for b.Loop() {
			o, err := mezzfs.Open(ctx, url, cfg)
			if err != nil {
				b.Fatal(err)
			}
			pi, err := encode.Probe(ctx, encode.ReaderInput(url, o, o.Size()), encode.ProbeOptions{Keyframes: true})
			if err != nil {
				b.Fatal(err)
			}
			o.Close()
			st, keys = o.Stats(), len(pi.Keyframes)
			if pi.FrameCount != v.FrameCount || keys == 0 {
				b.Fatalf("probe: %d frames (want %d), %d keyframes", pi.FrameCount, v.FrameCount, keys)
			}
		}
		b.ReportMetric(float64(st.BytesFetched), "fetched-B")
		b.ReportMetric(float64(st.BytesFetched)/float64(st0.Size()), "fetched/object")
		b.ReportMetric(float64(keys), "keyframes")
	})

	for _, tc := range []struct {
		name      string
		blockSize int64
		readAhead int
		diskCache bool
	}{{"default", 0, 0, false}, {"blocks-1MiB", 1 << 20, 8, false}, {"blocks-256KiB", 256 << 10, 4, false}, {"disk-cache", 0, 0, true}} {
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
				if tc.diskCache {
					// A cold disk cache: streamed, whole blocks teed to disk.
					cfg.CacheDir = b.TempDir()
				}
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
			b.ReportMetric(float64(st.BytesFetched), "fetched-B")
			b.ReportMetric(float64(span+header), "span+header-B")
			b.ReportMetric(float64(st.BytesFetched)/float64(span+header), "fetched/(span+header)")
			b.ReportMetric(float64(st.BytesFetched)/float64(size), "fetched/object")
			b.ReportMetric(float64(st.Fetches), "requests")
		})
	}
}
