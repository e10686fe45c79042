// Package store keeps reel's job outputs and intermediates (encoded chunks,
// their metric sidecars, assembled renditions, report.json) in a local
// directory (file:///dir) or an S3 bucket (s3://bucket/prefix) behind one
// interface.
//
// Writes are atomic: a local file is written to a temporary name and renamed,
// an S3 object only appears when its PutObject or multipart upload completes,
// so a reader never sees a partial object. Every object written through the
// store carries its SHA-256, which Stat returns; the workflows use it to decide
// that work already done (a chunk encoded before a crash) can be reused.
//
//	st, err := store.Open(ctx, "s3://media/jobs", store.Options{S3: s3cfg})
//	obj, err := st.Put(ctx, "job1/h264-720p/000042-a1.mp4", "/tmp/chunk.mp4")
//	fmt.Println(obj.Size, obj.SHA256)
package store
