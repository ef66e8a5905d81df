package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// benchDetection measures how long after the ECS simulator settles a rollout
// the watcher reports it, over the test bed's scenarios, and prints the figures.
func benchDetection(ctx context.Context, c config) (bool, error) {
	fmt.Fprintf(os.Stderr, "outcome detection: %d run(s) per scenario on the local test bed\n", c.detectionRuns)
	samples, err := testbed.MeasureOutcomeDetection(ctx, testbed.DetectionOptions{Runs: c.detectionRuns})
	if err != nil {
		return false, err
	}
	if len(samples) == 0 {
		return false, fmt.Errorf("the test bed returned no sample")
	}
	byScenario := map[string][]time.Duration{}
	var order []string
	var all []time.Duration
	for _, s := range samples {
		if _, seen := byScenario[s.Scenario]; !seen {
			order = append(order, s.Scenario)
		}
		byScenario[s.Scenario] = append(byScenario[s.Scenario], s.Latency)
		all = append(all, s.Latency)
	}
	slices.Sort(order)
	fmt.Printf("\n## Outcome detection\n\n")
	fmt.Printf("Time from the ECS simulator settling a rollout to credex-ci reporting it (the AWS CLI waiter polls every 15 s).\n\n")
	fmt.Println("| scenario | outcome | runs | median | max |")
	fmt.Println("| --- | --- | ---: | ---: | ---: |")
	outcome := map[string]string{}
	for _, s := range samples {
		outcome[s.Scenario] = s.Outcome
	}
	for _, name := range order {
		d := byScenario[name]
		fmt.Printf("| %s | %s | %d | %s | %s |\n", name, outcome[name], len(d), ms(median(d)), ms(slices.Max(d)))
	}
	worst := slices.Max(all)
	ok := worst <= testbed.DetectionGoal
	fmt.Printf("\n| goal | measured | verdict |\n| --- | --- | --- |\n")
	fmt.Printf("| outcome reported ≤ %s after it settles | max %s, median %s over %d rollouts | %s |\n",
		testbed.DetectionGoal, ms(worst), ms(median(all)), len(all), verdict(ok))
	return ok, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
