package verify

import (
	"context"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/integration"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// Each check's error names its context once: the URL, the service, the
// AWS call, the command. Here nothing answers: the AWS endpoint is a test
// bed that was closed (the real SDK over HTTP meets a refused connection),
// the API's port is closed too, and the suite's command does not exist.
func TestEachErrorNamesItsContextOnce(t *testing.T) {
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bed.Close()
	gone := strings.TrimPrefix(bed.URL, "http://")
	awsCfg, err := awsconf.Load(t.Context(), awsconf.Options{
		Region: envs.DefaultRegion, EndpointURL: bed.URL, MaxAttempts: 2, MaxBackoff: time.Millisecond,
		Static: &awsconf.StaticCredentials{AccessKeyID: testbed.AccessKeyID, SecretAccessKey: testbed.SecretAccessKey},
	})
	if err != nil {
		t.Fatal(err)
	}
	stage, _ := envs.Lookup("stage")
	p, _ := PolicyFor("stage")
	p.HealthAttempts, p.HealthMaxBackoff, p.BenchDuration, p.BenchRate = 2, time.Millisecond, 300*time.Millisecond, 20
	dir := t.TempDir()
	cfg := Config{
		Env: stage, AWS: awsCfg, Policy: p,
		Target:      report.Target{Cluster: "credex-cluster-staging", Service: "credex-core-service-staging", TaskDefinition: "credex-core-staging:7", URL: "http://" + gone},
		Integration: integration.CommandRunner{Dir: dir, Command: []string{"no-such-runner", "--ci"}},
	}.withDefaults()
	v := &verification{cfg: cfg, progress: report.NewProgress(nil, func(s string) string { return s })}
	q := regexp.QuoteMeta
	for _, tc := range []struct {
		step    step
		verdict report.Verdict
		summary string // a regular expression for the whole summary
	}{
		{step{CheckPreflight, time.Minute, v.preflight}, report.Fail,
			q("asking who the credentials from StaticCredentials are: STS GetCallerIdentity failed after 2 attempts: dial tcp "+gone+": connect: connection refused; check the credentials are valid and not expired, or provide AWS credentials in one of these ways: ") + ".*"},
		{step{CheckRollout, time.Minute, v.rollout}, report.Error,
			q("service credex-core-service-staging in cluster credex-cluster-staging: ECS DescribeServices failed after 2 attempts: dial tcp " + gone + ": connect: connection refused (check the AWS credentials, region and endpoint)")},
		{v.step(CheckStatus), report.Error,
			q("service credex-core-service-staging in cluster credex-cluster-staging: ECS DescribeServices failed after 2 attempts: dial tcp " + gone + ": connect: connection refused (check the AWS credentials, region and endpoint)")},
		{v.step(CheckHealth), report.Fail,
			q("GET http://"+gone+"/health: dial tcp "+gone+": connect: connection refused; unhealthy after 2 attempt(s) over ") + `\d+ms` + q(" (attempt limit reached: to wait longer, pass --health-attempts with more than 2)")},
		{v.step(CheckIntegration), report.Error,
			q(`integration tests: running "no-such-runner --ci" in ` + dir + `: executable file not found in $PATH (is it installed, and the app's dependencies with npm ci?)`)},
		{v.step(CheckBench), report.Fail,
			q("error rate 100.00% (6 of 6 requests) exceeds the 5.00% limit; throughput 0.0 req/s is below the 16.0 req/s minimum")},
	} {
		c := runStep(context.Background(), nil, tc.step)
		if c.Verdict != tc.verdict || !regexp.MustCompile("^"+tc.summary+"$").MatchString(c.Summary) {
			t.Errorf("%s: %s: %s\nwant %s: %s", c.Name, c.Verdict, c.Summary, tc.verdict, tc.summary)
		}
		if c.Name == CheckBench && (len(c.Evidence) < 2 || c.Evidence[1] != "6 × dial tcp "+gone+": connect: connection refused") {
			t.Errorf("bench evidence %q lacks the requests' error", c.Evidence)
		}
	}
}

// A benchmark cut short (here the run's context ends while every request
// waits on an API that never answers) stops at once rather than after the
// requests' 10 s timeout, says the check ran out of time, and counts what
// it abandoned.
func TestBenchCutShortStopsAtOnceAndSaysSo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	stage, _ := envs.Lookup("stage")
	p, _ := PolicyFor("stage")
	p.BenchDuration, p.BenchRate, p.BenchRequestTimeout = time.Minute, 20, 10*time.Second
	v := &verification{cfg: Config{Env: stage, Policy: p, Target: report.Target{URL: "http://" + ln.Addr().String()}}.withDefaults(), progress: report.NewProgress(nil, func(s string) string { return s })}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	c := runStep(ctx, v.progress, v.step(CheckBench))
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the bench check returned after %s, want it soon after the 300 ms cut (the requests' timeout is 10 s)", took)
	}
	if c.Verdict != report.Fail || !c.TimedOut || !slices.ContainsFunc(c.Evidence, func(e string) bool {
		return regexp.MustCompile(`^\d+ request\(s\) in flight were abandoned when the benchmark was cut short \(not counted\)$`).MatchString(e)
	}) {
		t.Fatalf("%s (timed out %v): %s\n%q", c.Verdict, c.TimedOut, c.Summary, c.Evidence)
	}
}
