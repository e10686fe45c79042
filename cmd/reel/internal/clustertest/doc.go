// Package clustertest runs reel on several "hosts" of one machine: Linux
// network namespaces joined by a bridge. The Temporal server (`reel server
// --no-worker --headless`, TLS with client certificates), versitygw, two or
// three `reel worker` processes and the submitting client each live in a
// namespace of their own and reach each other only over the bridge
// (10.77.0.0/24, inside a switch namespace the test makes, so no traffic
// touches the host's own interfaces).
//
// TestSeveralHosts runs a job with its source and outputs in S3 twice: once
// undisturbed, then with faults mid-job (a worker's link down then up,
// another worker SIGKILLed, 50 ms added to S3), and checks the outputs are
// the same bytes and no finished chunk was encoded again. Its timeline
// (faults and chunk completions, per worker) is logged, and written to
// $REEL_NETNS_TIMELINE when set. BenchmarkHostsWorkers measures chunks per
// second, CPU-seconds per chunk and schedule-to-start latency with 1, 2 and
// 3 worker hosts.
//
// Both need root and iproute2 (`ip netns`); elsewhere they skip, saying
// why. The package lives under cmd/reel so that its test binary can run
// the real CLI (cli.Main) as the server and worker processes: TestMain
// plays a role when REEL_CT_ROLE is set.
//
//	sudo go test -count=1 -run TestSeveralHosts -v ./cmd/reel/internal/clustertest/
//	sudo go test -run '^$' -bench HostsWorkers -benchtime 1x ./cmd/reel/internal/clustertest/
package clustertest
