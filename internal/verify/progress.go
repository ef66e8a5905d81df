package verify

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress writes one timestamped line per event, safe for concurrent checks,
// masked as the report is: service events, stop reasons and URLs reach CI
// logs too.
type progress struct {
	mu   sync.Mutex
	w    io.Writer
	now  func() time.Time
	mask func(string) string
}

func newProgress(w io.Writer, mask func(string) string) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, now: time.Now, mask: mask}
}

// printf writes "15:04:05 check       message".
func (p *progress) printf(check, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s %-11s %s\n", p.now().Format("15:04:05"), check, p.mask(fmt.Sprintf(format, args...)))
}
