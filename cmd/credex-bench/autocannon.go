package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// autocannonVersion is the pinned autocannon release compared against.
const autocannonVersion = "9.0.0"

func autocannonPrefix() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "credex-ci", "autocannon-"+autocannonVersion)
}

func defaultAutocannon() string {
	return filepath.Join(autocannonPrefix(), "node_modules", "autocannon", "autocannon.js")
}

// ensureAutocannon installs the pinned autocannon with npm into the cache
// directory (outside the repository) when path is the default and missing.
func ensureAutocannon(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if path != defaultAutocannon() {
		return fmt.Errorf("%s does not exist: install autocannon there or drop -autocannon to use the default", path)
	}
	argv := []string{"npm", "install", "--no-audit", "--no-fund", "--prefix", autocannonPrefix(), "autocannon@" + autocannonVersion}
	fmt.Fprintln(os.Stderr, "installing autocannon:", strings.Join(argv, " "))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("installing autocannon failed (%w): run `%s` yourself, or pass -autocannon=/path/to/autocannon.js", err, strings.Join(argv, " "))
	}
	return nil
}

// autocannonReport is the part of `autocannon --json` output used here.
type autocannonReport struct {
	Requests struct {
		Total   int64   `json:"total"`
		Average float64 `json:"average"`
	} `json:"requests"`
	Latency struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"latency"`
	Duration float64 `json:"duration"` // seconds
	Errors   int64   `json:"errors"`
	Timeouts int64   `json:"timeouts"`
	Non2xx   int64   `json:"non2xx"`
}

// runAutocannon runs autocannon as a child process (with `node` as the
// process, so its rusage is autocannon's own).
func runAutocannon(ctx context.Context, c config, url string) (generatorRun, error) {
	argv := pinned(c.pin, 1, []string{"node", c.autocannon,
		"--connections", strconv.Itoa(c.connections),
		"--duration", strconv.Itoa(int(c.duration.Seconds())),
		"--json", url})
	out, u, err := measure(ctx, argv)
	if err != nil {
		return generatorRun{}, err
	}
	var rep autocannonReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return generatorRun{}, fmt.Errorf("reading autocannon's JSON: %w", err)
	}
	if rep.Duration <= 0 || rep.Requests.Total == 0 {
		return generatorRun{}, errors.New("autocannon sent no request: is the server up?")
	}
	return generatorRun{
		Name:     "autocannon " + autocannonVersion,
		Requests: rep.Requests.Total,
		Errors:   rep.Errors + rep.Timeouts + rep.Non2xx,
		Seconds:  rep.Duration,
		P50:      rep.Latency.P50,
		P99:      rep.Latency.P99,
		Usage:    u,
	}, nil
}
