package mezzfs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/reelmedia/reel/mezzfs"
)

// Open a mezzanine, take the byte range one chunk worker needs, and see
// what reading it cost.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "mezzfs-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mezz.bin")
	os.WriteFile(path, []byte("0123456789abcdefghij"), 0o644)

	obj, err := mezzfs.Open(context.Background(), "file://"+path, mezzfs.Config{BlockSize: 8})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer obj.Close()
	chunk, _ := obj.Range(5, 15)
	p := make([]byte, chunk.Size())
	chunk.ReadAt(p, 0)
	chunk.Close()
	st := obj.Stats()
	fmt.Printf("%s: %d bytes, fetched %d\n", p, len(p), st.BytesFetched)
	// Output: 56789abcde: 10 bytes, fetched 10
}
