//go:build !linux

package loadgen

import "context"

// runEventLoop reports that the event-loop engine is Linux-only: elsewhere
// every run uses the goroutine engine.
func runEventLoop(context.Context, *engine) ([]*worker, bool, error) { return nil, false, nil }
