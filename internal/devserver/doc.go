// Package devserver runs a complete Temporal server (frontend, history,
// matching and worker services) inside the reel process, backed by SQLite,
// with the Temporal Web UI next to it. It is what `reel server` and a
// `reel encode` without --temporal run on, and what the integration tests
// start (in memory).
//
// Every listener binds to 127.0.0.1 only. A file database uses WAL journaling
// with synchronous=normal, which is about twice as fast as SQLite's default
// journal for Temporal's write pattern and still survives a process crash.
//
//	srv, err := devserver.Start(ctx, devserver.Config{DBPath: filepath.Join(dataDir, "temporal.db"), UIPort: 8233})
//	if err != nil { ... }
//	defer srv.Stop()
//	c, err := client.Dial(client.Options{HostPort: srv.Address})
package devserver
