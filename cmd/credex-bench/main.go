// Command credex-bench measures credex-ci's performance goals and prints them
// as Markdown tables, with PASS/FAIL per goal (exit status 1 when one fails):
//
//   - outcome detection: how long after the ECS simulator settles a rollout
//     credex-ci reports its success or failure (goal: at most 3 s);
//   - load generator: credex-ci's generator against autocannon (the seed's
//     tool), side by side in one run against the same local server process:
//     requests/s (goal: at least autocannon's), requests per CPU-second of the
//     generator process (goal: at least 1.5× autocannon's) and its peak RSS
//     (goal: at most 50 MB);
//   - the deploy graph: internal/deploy with simulated stages taking the seed
//     pipeline's typical times, scaled down: its wall time against its
//     critical path (goal: at most 1.1×), next to the serial sums.
//
// Both generators run as child processes measured the same way (user+sys CPU
// time and max RSS from the kernel's rusage), each pinned to its own core with
// the server on the other (see docs/benchmarks.md).
//
// Usage:
//
//	go run ./cmd/credex-bench [-duration=10s] [-connections=50] [-only=load|detection|deploy]
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
	deployRuns    int
	deployScale   float64
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
	flag.StringVar(&c.only, "only", "", `run one part only: "load", "detection" or "deploy"`)
	flag.IntVar(&c.deployRuns, "deploy-runs", 5, "simulated deploys measured (the worst is reported)")
	flag.Float64Var(&c.deployScale, "deploy-scale", 100, "the seed's stage times are divided by this (100: a second becomes 10 ms)")
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
	if c.only != "" && c.only != "load" && c.only != "detection" && c.only != "deploy" {
		fmt.Fprintf(os.Stderr, "credex-bench: -only=%q: use -only=load, -only=detection or -only=deploy\n", c.only)
		return 2
	}
	if c.deployRuns < 1 || c.deployScale <= 0 {
		fmt.Fprintln(os.Stderr, "credex-bench: -deploy-runs must be at least 1 and -deploy-scale positive")
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
	if c.only == "" || c.only == "deploy" {
		ok, err := benchDeploy(ctx, c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "credex-bench: deploy graph:", err)
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
