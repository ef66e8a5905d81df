package report

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress writes one timestamped line per event, safe for concurrent
// use, masked as the report is: service events, stop reasons, errors and
// URLs reach CI logs too. The verification's checks, the deploy's stages
// and publish all print through it, so a deploy's progress reads as one
// log. A nil *Progress discards.
type Progress struct {
	mu   sync.Mutex
	w    io.Writer
	now  func() time.Time
	mask func(string) string
}

// NewProgress writes to w (nil discards), passing every line through mask
// (nil keeps it as it is), e.g. a report's Mask.
func NewProgress(w io.Writer, mask func(string) string) *Progress {
	if w == nil {
		w = io.Discard
	}
	if mask == nil {
		mask = func(s string) string { return s }
	}
	return &Progress{w: w, now: time.Now, mask: mask}
}

// Printf writes "15:04:05 who         message".
func (p *Progress) Printf(who, format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s %-11s %s\n", p.now().Format("15:04:05"), who, p.mask(fmt.Sprintf(format, args...)))
}
