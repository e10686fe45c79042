package fusefs

import (
	"context"
	"errors"
	"testing"
	"time"
)

const mib = 1 << 20

// enterAsync runs enter in a goroutine; the channel yields its done func
// (nil on error) once enter returns.
func enterAsync(r *readOrder, ctx context.Context, off int64) <-chan func() {
	ch := make(chan func(), 1)
	go func() {
		done, err := r.enter(ctx, off, mib)
		if err != nil {
			done = nil
		}
		ch <- done
	}()
	return ch
}

// blocked reports whether ch yields nothing for a while. A read that
// must wait stays blocked however slow the machine: only the opposite
// (returning too early) fails a test.
func blocked(ch <-chan func()) bool {
	select {
	case <-ch:
		return false
	case <-time.After(50 * time.Millisecond):
		return true
	}
}

func mustEnter(t *testing.T, r *readOrder, off int64) func() {
	t.Helper()
	done, err := r.enter(context.Background(), off, mib)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func TestReadOrder(t *testing.T) {
	t.Run("waits for the read in progress before it", func(t *testing.T) {
		r := &readOrder{wait: time.Hour}
		a := mustEnter(t, r, 0)
		b := enterAsync(r, context.Background(), mib)
		if !blocked(b) {
			t.Fatal("read at 1 MiB did not wait for the one ending there")
		}
		a()
		(<-b)()
	})
	t.Run("waits for a predecessor not arrived yet", func(t *testing.T) {
		r := &readOrder{wait: time.Hour, full: mib}
		mustEnter(t, r, 0)() // a run ended at 1 MiB
		c := enterAsync(r, context.Background(), 2*mib)
		if !blocked(c) {
			t.Fatal("read at 2 MiB did not wait for the read from 1 MiB")
		}
		b := mustEnter(t, r, mib)
		if !blocked(c) {
			t.Fatal("read at 2 MiB went ahead of the read from 1 MiB")
		}
		b()
		(<-c)()
	})
	t.Run("gives up on a predecessor that does not come", func(t *testing.T) {
		r := &readOrder{wait: time.Millisecond}
		mustEnter(t, r, 0)()
		mustEnter(t, r, 2*mib)() // returns after about 1 ms
	})
	t.Run("far jumps and the first read do not wait", func(t *testing.T) {
		r := &readOrder{wait: time.Hour}
		mustEnter(t, r, 0)()
		mustEnter(t, r, 100*mib)()
		mustEnter(t, r, 50*mib)() // backwards
		mustEnter(t, r, 3)()      // unaligned, before every recent end
	})
	t.Run("random and small reads do not wait for a read that may not come", func(t *testing.T) {
		r := &readOrder{wait: time.Hour, full: mib}
		mustEnter(t, r, 0)()
		for _, c := range []struct{ off, n int64 }{
			{2*mib + 4096, mib}, // not a whole number of requests past 1 MiB
			{2 * mib, 4096},     // not a full-size request
			{3 * mib, 64 << 10},
		} {
			ch := make(chan error, 1)
			go func() {
				done, err := r.enter(context.Background(), c.off, c.n)
				if err == nil {
					done()
				}
				ch <- err
			}()
			select {
			case err := <-ch:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("read of %d at %d waits for a predecessor", c.n, c.off)
			}
		}
	})
	t.Run("unrelated reads run in parallel", func(t *testing.T) {
		r := &readOrder{wait: time.Hour}
		a := mustEnter(t, r, 0)
		b := mustEnter(t, r, 64*mib)
		c := mustEnter(t, r, 64*mib) // the same read twice
		a()
		b()
		c()
		mustEnter(t, r, mib)() // its predecessor is done
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		r := &readOrder{wait: time.Hour}
		a := mustEnter(t, r, 0)
		ctx, cancel := context.WithCancel(context.Background())
		b := enterAsync(r, ctx, mib)
		cancel()
		if done := <-b; done != nil {
			t.Fatal("a cancelled wait returned no error")
		}
		a()
		if _, err := r.enter(ctx, 5*mib, mib); !errors.Is(err, context.Canceled) {
			t.Fatalf("enter with a cancelled context while waiting for an arrival: %v", err)
		}
		mustEnter(t, r, mib)() // the cancelled read left nothing behind
	})
}
