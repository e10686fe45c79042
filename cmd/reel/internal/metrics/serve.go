package metrics

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is a listening metrics endpoint; Close stops it.
type Server struct {
	// Addr is the address it listens on (the port resolved when 0 was asked).
	Addr string
	srv  *http.Server
	done chan struct{}
}

// Listen serves h on addr (host:port) until Close. The port is bound before
// Listen returns, so a scraper can be pointed at it at once and a port in
// use is an error here rather than later.
func Listen(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &Server{
		Addr: ln.Addr().String(),
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		// Serve ends with ErrServerClosed after Close, or when the
		// listener fails; scrapes then fail, and say so on the scraper's side.
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Close stops listening and waits for the serving goroutine to end.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}
