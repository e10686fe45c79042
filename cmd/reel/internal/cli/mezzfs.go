package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/mezzfs/fusefs"
)

const mezzfsLong = `Stream mezzanine objects by byte range: inspect them, read parts of them,
mount them as files, and study how they were read.

Sources are s3://bucket/key, https://host/path, file:///path or a local path.
S3 is configured by the s3.* keys (REEL_S3_ENDPOINT, REEL_S3_PATH_STYLE,
REEL_S3_ACCESS_KEY, REEL_S3_SECRET_KEY, or the standard AWS credential
chain); caching and read-ahead by mezzfs.* (REEL_MEZZFS_BLOCK_SIZE,
REEL_MEZZFS_CACHE_DIR, REEL_MEZZFS_ACCESS_LOG, ...). See 'reel config show'.`

func newMezzfsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mezzfs",
		Short: "Read, mount and inspect objects in object storage by byte range",
		Long:  mezzfsLong,
		Example: `  reel mezzfs stat s3://mezz/feature.mov
  reel mezzfs cat s3://mezz/feature.mov --range 0-1023 | xxd | head
  reel mezzfs ls s3://mezz/2026/
  reel mezzfs mount s3://mezz/2026/ /mnt/mezz
  REEL_MEZZFS_ACCESS_LOG=reads.jsonl reel probe s3://mezz/feature.mov
  reel mezzfs replay reads.jsonl --against s3://mezz/feature.mov --block-size 4MiB`,
	}
	cmd.AddCommand(newMezzfsStatCmd(app), newMezzfsCatCmd(app), newMezzfsLsCmd(app),
		newMezzfsMountCmd(app), newMezzfsUnmountCmd(app), newMezzfsReplayCmd(app))
	return cmd
}

func newMezzfsStatCmd(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stat URL",
		Short: "Show an object's size and the identity pinned when reading it",
		Long: `Open an object as mezzfs would and print its size and identity: the ETag and
version for S3, ETag/Last-Modified for HTTP, mtime for files. A read that
sees a different identity fails rather than mixing versions.`,
		Example: `  reel mezzfs stat s3://mezz/feature.mov
  reel mezzfs stat --json https://cdn.example.com/feature.mov`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := app.storage()
			if err != nil {
				return err
			}
			inf, err := st.Stat(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Stdout, inf)
			}
			tw := tabwriter.NewWriter(app.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "url\t%s\n", inf.URL)
			fmt.Fprintf(tw, "size\t%d (%s)\n", inf.Size, mezzBytes(inf.Size))
			if inf.ETag != "" {
				fmt.Fprintf(tw, "etag\t%s\n", inf.ETag)
			}
			if inf.VersionID != "" {
				fmt.Fprintf(tw, "version\t%s\n", inf.VersionID)
			}
			if !inf.ModTime.IsZero() {
				fmt.Fprintf(tw, "modified\t%s\n", inf.ModTime.UTC().Format(time.RFC3339Nano))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newMezzfsCatCmd(app *App) *cobra.Command {
	var rng string
	var stats bool
	cmd := &cobra.Command{
		Use:   "cat URL [--range A-B]",
		Short: "Write an object, or a byte range of it, to standard output",
		Long: `Write the bytes of an object to standard output through mezzfs's block cache
and read-ahead. --range takes HTTP-style inclusive byte positions: A-B is
bytes A through B, A- is from A to the end, -N is the last N bytes.`,
		Example: `  reel mezzfs cat s3://mezz/feature.mov --range 0-1023 > head.bin
  reel mezzfs cat s3://mezz/feature.mov --range -65536 | xxd | tail
  reel mezzfs cat --stats s3://mezz/feature.mov | sha256sum`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := app.storage()
			if err != nil {
				return err
			}
			obj, err := st.Open(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			defer obj.Close()
			a, b := int64(0), obj.Size()
			if rng != "" {
				if a, b, err = parseMezzRange(rng, obj.Size()); err != nil {
					return usagef(cmd, "--range %q: %v", rng, err)
				}
			}
			view, err := obj.Range(a, b)
			if err != nil {
				return err
			}
			defer view.Close()
			if _, err := io.Copy(app.Stdout, io.NewSectionReader(mezzReaderAt{cmd.Context(), view}, 0, view.Size())); err != nil {
				return err
			}
			if stats {
				return writeJSON(app.Stderr, obj.Stats())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rng, "range", "", "bytes to write: A-B (inclusive), A- or -N")
	cmd.Flags().BoolVar(&stats, "stats", false, "print cache and fetch counters as JSON on standard error")
	return cmd
}

// mezzReaderAt makes reads stop when the command is interrupted.
type mezzReaderAt struct {
	ctx context.Context
	o   *mezzfs.Object
}

func (r mezzReaderAt) ReadAt(p []byte, off int64) (int, error) {
	return r.o.ReadAtContext(r.ctx, p, off)
}

// parseMezzRange turns "A-B" (inclusive), "A-" or "-N" into [a, b) within size.
func parseMezzRange(s string, size int64) (int64, int64, error) {
	left, right, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, errors.New("want A-B, A- or -N")
	}
	num := func(v string) (int64, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a byte position", v)
		}
		return n, nil
	}
	switch {
	case left == "" && right == "":
		return 0, 0, errors.New("want A-B, A- or -N")
	case left == "":
		n, err := num(right)
		if err != nil {
			return 0, 0, err
		}
		return max(size-n, 0), size, nil
	}
	a, err := num(left)
	if err != nil {
		return 0, 0, err
	}
	b := size
	if right != "" {
		last, err := num(right)
		if err != nil {
			return 0, 0, err
		}
		if last < a {
			return 0, 0, errors.New("end before start")
		}
		b = min(last+1, size)
	}
	if a > size {
		return 0, 0, fmt.Errorf("starts at %d, past the end (%d bytes)", a, size)
	}
	return a, b, nil
}

func newMezzfsLsCmd(app *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls PREFIX",
		Short: "List the objects under an S3 prefix or local directory",
		Long:  `List, recursively and sorted by name, what 'reel mezzfs mount' would show.`,
		Example: `  reel mezzfs ls s3://mezz/2026/
  reel mezzfs ls --json /srv/mezzanines`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			entries, err := app.listMezz(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				if entries == nil {
					entries = []mezzfs.Entry{}
				}
				return writeJSON(app.Stdout, entries)
			}
			tw := tabwriter.NewWriter(app.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			for _, e := range entries {
				fmt.Fprintf(tw, "%d\t %s\t\n", e.Size, e.Name)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (app *App) listMezz(ctx context.Context, url string) ([]mezzfs.Entry, error) {
	st, err := app.storage()
	if err != nil {
		return nil, err
	}
	return st.List(ctx, url)
}

func newMezzfsMountCmd(app *App) *cobra.Command {
	var debug, directIO bool
	cmd := &cobra.Command{
		Use:   "mount SOURCE MOUNTPOINT",
		Short: "Mount an object, S3 prefix or directory read-only with FUSE",
		Long: `Mount SOURCE read-only at MOUNTPOINT and serve it until interrupted
(Ctrl-C, SIGTERM) or 'reel mezzfs unmount MOUNTPOINT'. SOURCE is one object,
an S3 prefix (every key under it, as a directory tree) or a local directory.
Reads go through one shared block cache with read-ahead; the kernel keeps
pages across opens, since objects are pinned, and its read-ahead gathers small
reads into 1 MiB requests (see --direct-io for the trade-off). Needs /dev/fuse
and fusermount3 (or root).`,
		Example: `  reel mezzfs mount s3://mezz/2026/ /mnt/mezz &
  ffprobe /mnt/mezz/feature.mov
  reel mezzfs unmount /mnt/mezz`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			entries, err := app.listMezz(ctx, args[0])
			if err != nil {
				return err
			}
			if len(entries) == 0 {
				return fmt.Errorf("mezzfs: %s: nothing to mount: %w", args[0], mezzfs.ErrNotFound)
			}
			st, err := app.storage()
			if err != nil {
				return err
			}
			files := make([]fusefs.File, len(entries))
			for i, e := range entries {
				files[i] = fusefs.File{Name: e.Name, Size: e.Size, ModTime: e.ModTime, Open: func(ctx context.Context) (mezzfs.Source, error) {
					// The mount outlives any one request's context.
					return st.Open(context.WithoutCancel(ctx), e.URL)
				}}
			}
			srv, err := fusefs.Mount(args[1], files, fusefs.Options{Debug: debug, DirectIO: directIO})
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stderr, "mezzfs: mounted %d file(s) from %s at %s; Ctrl-C or 'reel mezzfs unmount %s' to stop\n",
				len(files), args[0], args[1], args[1])
			stopped := make(chan struct{})
			go func() { srv.Wait(); close(stopped) }()
			select {
			case <-ctx.Done():
			case <-stopped:
			}
			err = srv.Unmount()
			stats := st.Cache().Stats()
			fmt.Fprintf(app.Stderr, "mezzfs: unmounted %s; read %s, fetched %s in %d requests\n",
				args[1], mezzBytes(stats.BytesRead), mezzBytes(stats.BytesFetched), stats.Fetches)
			return err
		},
	}
	cmd.Flags().BoolVar(&debug, "debug", false, "log every FUSE request")
	cmd.Flags().BoolVar(&directIO, "direct-io", false, "bypass the kernel page cache: less CPU for one-pass readers with large (1 MiB) reads;\nsmall reads (ffmpeg reads 32 KiB) get much slower and nothing is shared between readers")
	return cmd
}

func newMezzfsUnmountCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:     "unmount MOUNTPOINT",
		Short:   "Unmount a 'reel mezzfs mount'",
		Long:    `Unmount MOUNTPOINT; the serving 'reel mezzfs mount' process then exits cleanly.`,
		Example: `  reel mezzfs unmount /mnt/mezz`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return fusefs.Unmount(args[0])
		},
	}
}

func newMezzfsReplayCmd(app *App) *cobra.Command {
	var (
		against, object string
		asJSON          bool
		top             int
		blockSize       string
		cacheBytes      string
		readAhead       int
	)
	cmd := &cobra.Command{
		Use:   "replay LOG [--against URL]",
		Short: "Summarise an access log and re-run its reads to compare cache settings",
		Long: `Read an access log written with mezzfs.access_log (REEL_MEZZFS_ACCESS_LOG)
and print what was asked for against what it cost: bytes requested and
fetched, hit and sequential ratios, read and fetch latency percentiles and
the most-read 1 MiB ranges.

With --against URL the log's reads are issued again, in order, against URL
with the current settings (override them with --block-size, --cache-bytes,
--read-ahead), and the time and bytes fetched are reported: a benchmark of
cache settings on a real access pattern.`,
		Example: `  REEL_MEZZFS_ACCESS_LOG=reads.jsonl reel probe s3://mezz/feature.mov
  reel mezzfs replay reads.jsonl
  reel mezzfs replay reads.jsonl --against s3://mezz/feature.mov --block-size 2MiB --read-ahead 4 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			recs, err := mezzfs.ReadLog(f, args[0])
			f.Close()
			if err != nil {
				return err
			}
			sum := mezzfs.Summarize(recs, top)
			out := struct {
				Summary mezzfs.Summary       `json:"summary"`
				Replay  *mezzfs.ReplayResult `json:"replay,omitempty"`
			}{Summary: sum}
			if against != "" {
				if object == "" {
					if len(sum.Objects) > 1 {
						return usagef(cmd, "the log reads %d objects; pick one with --object", len(sum.Objects))
					}
				}
				// A storage of its own: the replay's cache settings, no access log.
				cfg, closeLog, err := storageConfig(app.Config)
				if err != nil {
					return err
				}
				closeLog()
				cfg.AccessLog = nil
				if blockSize != "" {
					if cfg.BlockSize, err = parseMezzSize(blockSize); err != nil {
						return usagef(cmd, "--block-size: %v", err)
					}
				}
				if cacheBytes != "" {
					if cfg.CacheBytes, err = parseMezzSize(cacheBytes); err != nil {
						return usagef(cmd, "--cache-bytes: %v", err)
					}
				}
				if cmd.Flags().Changed("read-ahead") {
					cfg.MaxReadAhead = readAhead
					if readAhead == 0 {
						cfg.MaxReadAhead = -1
					}
				}
				obj, err := mezzfs.Open(cmd.Context(), against, cfg)
				if err != nil {
					return err
				}
				defer obj.Close()
				res, err := mezzfs.Replay(cmd.Context(), recs, object, obj, obj.Stats)
				if err != nil {
					return err
				}
				out.Replay = &res
			}
			if asJSON {
				return writeJSON(app.Stdout, out)
			}
			printMezzSummary(app.Stdout, sum, out.Replay)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&against, "against", "", "re-run the reads against this URL")
	f.StringVar(&object, "object", "", "replay only the reads of this URL from the log (needed when it has several)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.IntVar(&top, "top", 10, "how many hottest ranges to show")
	f.StringVar(&blockSize, "block-size", "", "block size for the replay, e.g. 4MiB (default: mezzfs.block_size)")
	f.StringVar(&cacheBytes, "cache-bytes", "", "memory cache budget for the replay, e.g. 512MiB")
	f.IntVar(&readAhead, "read-ahead", 0, "largest read-ahead window in blocks for the replay; 0 disables")
	return cmd
}

func printMezzSummary(w io.Writer, s mezzfs.Summary, r *mezzfs.ReplayResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "objects\t%s\n", strings.Join(s.Objects, ", "))
	fmt.Fprintf(tw, "reads\t%d (%s requested)\n", s.Reads, mezzBytes(s.BytesRequested))
	ratio := 0.0
	if s.BytesRequested > 0 {
		ratio = float64(s.BytesFetched) / float64(s.BytesRequested)
	}
	fmt.Fprintf(tw, "fetches\t%d, %d by read-ahead (%s fetched, %.2fx requested)\n", s.Fetches, s.Prefetches, mezzBytes(s.BytesFetched), ratio)
	fmt.Fprintf(tw, "hit ratio\t%.1f%%\n", 100*s.HitRatio)
	fmt.Fprintf(tw, "sequential\t%.1f%%\n", 100*s.SequentialRead)
	fmt.Fprintf(tw, "read latency µs\tp50 %d  p90 %d  p99 %d  max %d\n", s.ReadLatency.P50, s.ReadLatency.P90, s.ReadLatency.P99, s.ReadLatency.Max)
	fmt.Fprintf(tw, "fetch latency µs\tp50 %d  p90 %d  p99 %d  max %d\n", s.FetchLatency.P50, s.FetchLatency.P90, s.FetchLatency.P99, s.FetchLatency.Max)
	if s.Errors > 0 {
		fmt.Fprintf(tw, "errors\t%d\n", s.Errors)
	}
	tw.Flush()
	if len(s.Hottest) > 0 {
		fmt.Fprintln(w, "hottest ranges:")
		for _, h := range s.Hottest {
			fmt.Fprintf(w, "  %8d reads  %s [%d, %d)\n", h.Reads, h.URL, h.Off, h.Off+h.Len)
		}
	}
	if r != nil {
		fmt.Fprintf(w, "replay: %d reads, %s in %s (%.1f MiB/s); fetched %s in %d requests, %d hits, %d misses, %d retries\n",
			r.Reads, mezzBytes(r.BytesRequested), r.Elapsed.Round(time.Millisecond), r.MiBPerSecond,
			mezzBytes(r.Stats.BytesFetched), r.Stats.Fetches, r.Stats.Hits, r.Stats.Misses, r.Stats.Retries)
	}
}

// parseMezzSize reads a byte count with an optional K, M, G (x1000) or KiB,
// MiB, GiB (x1024) suffix.
func parseMezzSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"B", 1}}
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 8MiB)", s)
	}
	return n * mult, nil
}

func mezzBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
