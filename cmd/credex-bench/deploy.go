package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/great-sun-group/credex-ci/internal/deploy/deploybench"
)

// benchDeploy runs the deploy graph with simulated stages taking the seed
// pipeline's typical times, scaled down, and checks its wall time against
// its critical path (goal: at most 1.1×), next to the serial sums.
func benchDeploy(ctx context.Context, c config) (bool, error) {
	times := deploybench.SeedTimes.Scaled(c.deployScale)
	fmt.Fprintf(os.Stderr, "deploy graph: %d simulated deploy(s), the seed's times scaled 1/%g\n", c.deployRuns, c.deployScale)
	var worst deploybench.Figures
	for i := range c.deployRuns {
		f, err := deploybench.Run(ctx, times)
		if err != nil {
			return false, err
		}
		if i == 0 || f.Ratio() > worst.Ratio() {
			worst = f
		}
	}
	seed := func(d time.Duration) string {
		return time.Duration(float64(d) * c.deployScale).Round(time.Second).String()
	}
	fmt.Printf("\n## Deploy graph\n\n")
	fmt.Printf("Simulated stages sleeping the seed pipeline's typical times, scaled 1/%g; the worst of %d deploys.\n\n", c.deployScale, c.deployRuns)
	fmt.Println("| figure | measured | at the seed's scale |")
	fmt.Println("| --- | ---: | ---: |")
	fmt.Printf("| deploy wall time | %s | %s |\n", ms(worst.Wall), seed(worst.Wall))
	fmt.Printf("| critical path (%s) | %s | %s |\n", strings.Join(worst.Path, " → "), ms(worst.Critical), seed(worst.Critical))
	fmt.Printf("| the stages one after another | %s | %s |\n", ms(worst.Serial), seed(worst.Serial))
	fmt.Printf("| the seed's script, one step after another | %s | %s |\n", ms(worst.SeedSerial), seed(worst.SeedSerial))
	ok := worst.Ratio() <= deploybench.Goal
	fmt.Printf("\n| goal | measured | verdict |\n| --- | --- | --- |\n")
	fmt.Printf("| wall time ≤ %.1f× the critical path | %.3f× (the seed's script takes %.2f× the deploy's wall time) | %s |\n",
		deploybench.Goal, worst.Ratio(), float64(worst.SeedSerial)/float64(worst.Wall), verdict(ok))
	return ok, nil
}
