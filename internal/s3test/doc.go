// Package s3test runs a real S3-compatible server (versitygw, POSIX
// backend) on 127.0.0.1 for tests, with a fresh data directory and bucket.
//
//	srv := s3test.Start(t)
//	srv.Put(ctx, "in/mezz.mov", data)
//	// use srv.Endpoint, srv.AccessKey, srv.SecretKey, srv.Bucket
//
// The versitygw binary is looked up at <repo>/bin/tools/versitygw, then on
// $PATH; `make test` (scripts/deps.sh) installs it. A missing binary fails
// the test with a message saying so: it is never silently skipped.
package s3test
