package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Revision is the build the demo app reports: what `credex-ci verify
// --revision` expects of it.
const Revision = "0123456789abcdef0123456789abcdef01234567"

// HealthHandler answers like credex-core's /health: 200 and a JSON body
// with the status and the build (git commit) it runs.
func HealthHandler(revision string) http.HandlerFunc {
	body, _ := json.Marshal(map[string]any{"status": "ok", "build": map[string]string{"commit": revision}})
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

// App is a local stand-in for credex-core, so the health check and the
// benchmark have a target: GET /health answers with HealthHandler.
type App struct {
	// URL is the app's base URL (http://host:port).
	URL string

	server   *http.Server
	requests atomic.Int64
}

// StartApp serves the stand-in on addr (host:port; port 0 picks a free
// one) until Close.
func StartApp(addr, revision string) (*App, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("test bed app: listening on %s: %w (pick another host:port, or port 0 for a free one)", addr, err)
	}
	a := &App{URL: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.Handle("GET /health", HealthHandler(revision))
	a.server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		mux.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.server.Serve(ln) }()
	return a, nil
}

// Requests is how many requests the app has answered.
func (a *App) Requests() int64 { return a.requests.Load() }

// Close stops the app.
func (a *App) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = a.server.Shutdown(ctx)
}
