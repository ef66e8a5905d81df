package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/great-sun-group/credex-ci/internal/loadgen"
)

// Goals of the load generator (issue 4).
const (
	minCPUEfficiency = 1.5      // requests per CPU-second, relative to autocannon
	maxRSS           = 50 << 20 // bytes
)

// generatorRun is one generator's figures.
type generatorRun struct {
	Name     string
	Requests int64
	Errors   int64
	Seconds  float64 // measured duration
	P50, P99 float64 // milliseconds
	Usage    usage
}

func (g generatorRun) rate() float64 { return float64(g.Requests) / g.Seconds }

func (g generatorRun) perCPUSecond() float64 {
	if g.Usage.CPU <= 0 {
		return 0
	}
	return float64(g.Requests) / g.Usage.CPU.Seconds()
}

// loadChild is the hidden generator mode: credex-ci's generator in the closed
// model, its Result printed as JSON.
func loadChild(ctx context.Context, c config) int {
	res, err := loadgen.Run(ctx, loadgen.Options{
		Targets:     []loadgen.Target{{URL: c.load}},
		Duration:    c.duration,
		Concurrency: c.connections,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

func runOurs(ctx context.Context, c config, url string) (generatorRun, error) {
	self, err := os.Executable()
	if err != nil {
		return generatorRun{}, err
	}
	argv := pinned(c.pin, 1, []string{self, "-internal-load", url,
		"-duration", c.duration.String(), "-connections", strconv.Itoa(c.connections)})
	out, u, err := measure(ctx, argv)
	if err != nil {
		return generatorRun{}, err
	}
	var res loadgen.Result
	if err := json.Unmarshal(out, &res); err != nil {
		return generatorRun{}, fmt.Errorf("reading the generator's JSON: %w", err)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return generatorRun{
		Name:     "credex-ci loadgen",
		Requests: res.Requests,
		Errors:   res.Errors,
		Seconds:  res.Duration.Seconds(),
		P50:      ms(res.Latency.P50),
		P99:      ms(res.Latency.P99),
		Usage:    u,
	}, nil
}

// benchLoad runs autocannon and credex-ci's generator one after the other
// against one server process, and prints the comparison.
func benchLoad(ctx context.Context, c config) (bool, error) {
	if c.connections < 1 || c.duration < time.Second {
		return false, fmt.Errorf("-connections=%d -duration=%s: use at least 1 connection and 1s (autocannon counts whole seconds)", c.connections, c.duration)
	}
	if err := ensureAutocannon(ctx, c.autocannon); err != nil {
		return false, err
	}
	url, stop, err := startServer(ctx, c.pin)
	if err != nil {
		return false, fmt.Errorf("starting the server: %w", err)
	}
	defer stop()
	fmt.Fprintf(os.Stderr, "server %s; %d connections for %s each; autocannon first, then credex-ci\n", url, c.connections, c.duration)
	ac, err := runAutocannon(ctx, c, url)
	if err != nil {
		return false, err
	}
	ours, err := runOurs(ctx, c, url)
	if err != nil {
		return false, err
	}
	return printLoad(c, ac, ours), nil
}

func printLoad(c config, ac, ours generatorRun) bool {
	pin := "server pinned to CPU 0, generator to CPU 1 (taskset)"
	if len(pinned(c.pin, 1, []string{"x"})) == 1 {
		pin = "not pinned"
	}
	fmt.Printf("\n## Load generator vs autocannon\n\n")
	fmt.Printf("Same local net/http server process (JSON /health), closed model, %d connections, %s each, %s.\n\n", c.connections, c.duration, pin)
	fmt.Println("| generator | requests | errors | requests/s | p50 ms | p99 ms | CPU s (user+sys) | requests per CPU-s | max RSS MB |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, g := range []generatorRun{ac, ours} {
		fmt.Printf("| %s | %d | %d | %.0f | %.2f | %.2f | %.2f | %.0f | %.1f |\n", g.Name, g.Requests, g.Errors, g.rate(),
			g.P50, g.P99, g.Usage.CPU.Seconds(), g.perCPUSecond(), float64(g.Usage.MaxRSS)/(1<<20))
	}
	rateOK := ours.rate() >= ac.rate()
	ratio := ours.perCPUSecond() / ac.perCPUSecond()
	effOK := ratio >= minCPUEfficiency
	rssOK := ours.Usage.MaxRSS <= maxRSS
	errOK := ours.Errors == 0
	fmt.Printf("\n| goal | measured | verdict |\n| --- | --- | --- |\n")
	fmt.Printf("| requests/s ≥ autocannon's | %.0f vs %.0f (%.2f×) | %s |\n", ours.rate(), ac.rate(), ours.rate()/ac.rate(), verdict(rateOK))
	fmt.Printf("| requests per CPU-second ≥ %.1f× autocannon's | %.0f vs %.0f (%.2f×) | %s |\n", minCPUEfficiency, ours.perCPUSecond(), ac.perCPUSecond(), ratio, verdict(effOK))
	fmt.Printf("| max RSS ≤ 50 MB | %.1f MB | %s |\n", float64(ours.Usage.MaxRSS)/(1<<20), verdict(rssOK))
	fmt.Printf("| no request errors | %d | %s |\n", ours.Errors, verdict(errOK))
	return rateOK && effOK && rssOK && errOK
}
