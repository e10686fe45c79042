// Package freeport picks loopback TCP ports for servers that bind them
// themselves: the embedded Temporal server's services, versitygw in tests.
//
// Listening on port 0 and closing the listener gives a port from the
// kernel's ephemeral range, which any outgoing connection may take before
// the server binds it. Temporal ends the whole process (os.Exit) when a
// listener fails, so such a race ends a test binary without a word. Pick
// chooses at random below the ephemeral range, where no outgoing connection
// lands, checks the port is free, and never gives the same port twice in a
// process.
package freeport
