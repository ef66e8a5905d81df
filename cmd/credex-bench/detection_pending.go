//go:build !testbed

package main

import (
	"context"
	"fmt"
)

// benchDetection is a stand-in until internal/testbed (MeasureOutcomeDetection)
// is committed: build with -tags=testbed to measure outcome detection.
// TODO(lead): once internal/testbed lands, remove this file and the build tag
// of detection.go.
func benchDetection(ctx context.Context, c config) (bool, error) {
	fmt.Printf("\n## Outcome detection\n\nNot measured: this binary was built without internal/testbed; rebuild with `go run -tags=testbed ./cmd/credex-bench`.\n")
	return true, nil
}
