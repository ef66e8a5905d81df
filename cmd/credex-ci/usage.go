package main

import (
	"fmt"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

var subcommands = []subcommand{
	{name: "verify", summary: "run every check: preflight, rollout, then status, health, integration tests and benchmark concurrently",
		needs: needs{taskDefinition: true, url: true}},
	{name: "watch", summary: "watch the rollout of a task definition until it completes, fails or is rolled back",
		checks: []string{verify.CheckRollout}, needs: needs{taskDefinition: true}},
	{name: "status", summary: "check running == desired, every task RUNNING and HEALTHY, the load balancer's targets healthy",
		checks: []string{verify.CheckStatus}},
	{name: "health", summary: "GET the health endpoint with retries; check the build it reports",
		checks: []string{verify.CheckHealth}, needs: needs{url: true}},
	{name: "bench", summary: "load-test the API at the environment's rate and hold it to its latency and error thresholds",
		checks: []string{verify.CheckBench}, needs: needs{url: true}},
}

func usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, `credex-ci verifies a deployment of credex-core on ECS.

Usage:
  credex-ci <command> --env=%s [flags]
  credex-ci <command> --help

Commands:
`, strings.Join(envs.Names(), "|"))
	for _, sc := range subcommands {
		fmt.Fprintf(&b, "  %-8s %s\n", sc.name, sc.summary)
	}
	fmt.Fprintf(&b, "  %-8s %s\n", "testbed", testbedSummary)
	b.WriteString(`
Examples:
  # verify what was just deployed to staging (names from Terraform's outputs)
  terraform -chdir=terraform output -json > outputs.json
  credex-ci verify --env=stage --terraform-outputs=outputs.json \
      --task-definition=credex-core-staging:42 --revision=$(git rev-parse HEAD) \
      --integration-dir=. --report-md=verify.md

  # try it locally, no AWS: serve a test bed, then run the command it prints
  credex-ci testbed --scenario=rollback

Exit codes:
  0  verified: every check passed
  1  verification failed: a check failed or could not decide (see the report)
  2  usage: bad flags or input; nothing was called
  3  preflight refused: no AWS credentials, or credentials of another account; nothing was checked
  4  timed out: the only failures are checks that ran out of time
  5  superseded: a newer deployment replaced the one verified before it settled (someone
     else deployed); verify the newer task definition the report names, or deploy again;
     do not roll back, that would undo the newer deployment

Policy per environment (timeouts, benchmark load and thresholds):
`)
	for _, name := range envs.Names() {
		p, _ := verify.PolicyFor(name)
		fmt.Fprintf(&b, "  %-6s %s\n", name, p)
	}
	b.WriteString("\nDocumentation: docs/verify.md\n")
	return b.String()
}
