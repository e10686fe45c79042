// Package integration holds the workflows' tests against a real embedded
// Temporal server (internal/devserver, in-memory or SQLite file), real
// encodes of generated clips, versitygw for S3, and worker processes that
// are killed mid-job. They are kept out of package workflows so that its
// fast WorkflowTestSuite tests do not link the Temporal server.
//
// The test binary doubles as the worker and server processes of the crash
// tests: TestMain runs a role when REEL_ITEST_ROLE is set.
package integration
