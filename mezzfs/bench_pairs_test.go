package mezzfs_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/reelmedia/reel/mezzfs"
)

// BenchmarkSequentialPairs is issue 4's sequential figure measured so that
// the machine's drift cancels out: each iteration reads the whole object
// once with one plain GetObject and once through mezzfs (1 MiB reads, a
// fresh Object, so nothing is cached), in alternating order, and the ratio
// GetObject time / mezzfs time is taken per pair. It reports the median,
// lowest and highest ratio (>= 0.9 is the target) beside both throughputs
// and this process's CPU seconds per GiB. Run it with -benchtime 10x or
// more; MEZZFS_BENCH_BYTES sets the object size (default 1 GiB).
func BenchmarkSequentialPairs(b *testing.B) {
	size := benchBytes(b)
	srv, url := benchObject(b, size)
	ctx := context.Background()
	cfg := s3Config(srv, "")
	client, err := mezzfs.NewS3Client(ctx, cfg.S3)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	var ratios []float64
	get := func() {
		getWhole(b, client, srv.Bucket, "bench/obj.bin", size, buf)
	}
	mezz := func() {
		o, err := mezzfs.Open(ctx, url, cfg)
		if err != nil {
			b.Fatal(err)
		}
		readSequential(b, o, 1<<20)
		o.Close()
	}
	timed := func(f func()) (time.Duration, time.Duration) {
		t0, c0 := time.Now(), cpuTime()
		f()
		return time.Since(t0), cpuTime() - c0
	}
	var tGet, tMezz, cGet, cMezz time.Duration
	i := 0
	for b.Loop() {
		var tg, cg, tm, cm time.Duration
		if i%2 == 0 {
			tg, cg = timed(get)
			tm, cm = timed(mezz)
		} else {
			tm, cm = timed(mezz)
			tg, cg = timed(get)
		}
		i++
		tGet, tMezz, cGet, cMezz = tGet+tg, tMezz+tm, cGet+cg, cMezz+cm
		ratios = append(ratios, tg.Seconds()/tm.Seconds())
	}
	slices.Sort(ratios)
	mib := float64(size) / (1 << 20) * float64(len(ratios))
	b.ReportMetric(mib/tGet.Seconds(), "GetObject-MiB/s")
	b.ReportMetric(mib/tMezz.Seconds(), "mezzfs-MiB/s")
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
	b.ReportMetric(ratios[0], "min-ratio")
	b.ReportMetric(ratios[len(ratios)-1], "max-ratio")
	b.ReportMetric(cGet.Seconds()/(mib/1024), "GetObject-cpu-s/GiB")
	b.ReportMetric(cMezz.Seconds()/(mib/1024), "mezzfs-cpu-s/GiB")
}
