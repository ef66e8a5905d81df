package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// healthBody is what credex-core's /health answers, roughly.
const healthBody = `{"status":"ok","revision":"3f9c2b7d1e0a4c5b6a7980f1e2d3c4b5a6978877","uptime":1234.5}`

// serve is the hidden server mode: a net/http server on 127.0.0.1 answering a
// JSON health body, which prints its URL on the first line of stdout and runs
// until it is interrupted or its stdin closes (the parent went away).
func serve(ctx context.Context) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(healthBody))
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Printf("http://%s/health\n", ln.Addr())
	go func() {
		buf := make([]byte, 1)
		os.Stdin.Read(buf) // returns when the parent closes the pipe
		srv.Close()
	}()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	return 0
}
