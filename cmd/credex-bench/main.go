// Command credex-bench measures credex-ci's performance goals and prints them
// as Markdown tables, with PASS/FAIL per goal (exit status 1 when one fails):
//
//   - outcome detection: how long after the ECS simulator settles a rollout
//     credex-ci reports its success or failure (goal: at most 3 s);
//   - load generator: credex-ci's generator against autocannon (the seed's
//     tool), side by side in one run against the same local server process:
//     requests/s (goal: at least autocannon's), requests per CPU-second of the
//     generator process (goal: at least 1.5× autocannon's) and its peak RSS
//     (goal: at most 50 MB).
//
// Both generators run as child processes measured the same way (user+sys CPU
// time and max RSS from the kernel's rusage), each pinned to its own core with
// the server on the other (see docs/benchmarks.md).
//
// Usage:
//
//	go run ./cmd/credex-bench [-duration=10s] [-connections=50] [-only=load|detection]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

func main() {
	os.Exit(run())
}

type config struct {
	duration      time.Duration
	connections   int
	autocannon    string
	pin           bool
	only          string
	detectionRuns int
	// Hidden modes: this binary re-executes itself as the server and as the
	// Go generator, so both generators are measured as child processes.
	serve bool
	load  string
}

func run() int {
	var c config
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long each load generator runs")
	flag.IntVar(&c.connections, "connections", 50, "connections (concurrency) for both load generators")
	flag.StringVar(&c.autocannon, "autocannon", defaultAutocannon(), "path to autocannon.js; installed there with npm when missing")
	flag.BoolVar(&c.pin, "pin", true, "pin the server to CPU 0 and each generator to CPU 1 with taskset (needs 2 cores)")
	flag.StringVar(&c.only, "only", "", `run one part only: "load" or "detection"`)
	flag.IntVar(&c.detectionRuns, "detection-runs", 5, "rollouts measured per simulator scenario")
	flag.BoolVar(&c.serve, "internal-serve", false, "internal: serve the benchmark endpoint and print its URL")
	flag.StringVar(&c.load, "internal-load", "", "internal: run credex-ci's generator against this URL and print its result as JSON")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch {
	case c.serve:
		return serve(ctx)
	case c.load != "":
		return loadChild(ctx, c)
	}
	if c.only != "" && c.only != "load" && c.only != "detection" {
		fmt.Fprintf(os.Stderr, "credex-bench: -only=%q: use -only=load or -only=detection\n", c.only)
		return 2
	}
	failed := false
	if c.only == "" || c.only == "detection" {
		ok, err := benchDetection(ctx, c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "credex-bench: outcome detection:", err)
			return 2
		}
		failed = failed || !ok
	}
	if c.only == "" || c.only == "load" {
		ok, err := benchLoad(ctx, c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "credex-bench: load generator:", err)
			return 2
		}
		failed = failed || !ok
	}
	if failed {
		fmt.Println("\nRESULT: FAIL (a goal was missed)")
		return 1
	}
	fmt.Println("\nRESULT: PASS")
	return 0
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
