package awsconf_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// The counts come from the SDK itself: a client made from a Load config,
// over HTTP, against the test bed's throttled scenario (ECS answers the
// next 2 DescribeServices with ThrottlingException).
func TestRetriesAreCountedFromTheSDK(t *testing.T) {
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	setup, err := testbed.Preset("throttled", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	d, err := bed.Deploy(t.Context(), setup)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := awsconf.Load(t.Context(), awsconf.Options{
		Region: envs.DefaultRegion, EndpointURL: bed.URL, MaxBackoff: 5 * time.Millisecond,
		Static: &awsconf.StaticCredentials{AccessKeyID: testbed.AccessKeyID, SecretAccessKey: testbed.SecretAccessKey},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Load's adaptive retryer also slows its own calls down after a
	// throttle (its token bucket refills at 0.5/s at worst: 4 s here); the
	// standard one keeps this test fast, and counts the same.
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 5 * time.Millisecond })
	}
	client := ecs.NewFromConfig(cfg)
	describe := func(ctx context.Context) {
		t.Helper()
		if _, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(d.Cluster), Services: []string{d.Service}}); err != nil {
			t.Fatal(err)
		}
	}
	var stats awsconf.RetryStats
	ctx := awsconf.WithRetryStats(t.Context(), &stats)
	describe(ctx) // throttled twice, answered on the third attempt
	describe(ctx)
	if _, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(d.Cluster)}); err != nil {
		t.Fatal(err)
	}
	describe(t.Context()) // not counted: no RetryStats in its context
	r := stats.Snapshot()
	if r.Calls != 3 || r.Retried != 1 || r.Retries != 2 || r.Throttled != 2 || r.ThrottledBy["ECS DescribeServices"] != 2 || len(r.ThrottledBy) != 1 || r.Duration <= 0 {
		t.Fatalf("retries = %+v", r)
	}
	want := "AWS throttled 2 requests (ECS DescribeServices × 2): the SDK retried 1 of 3 calls 2 times, over " + r.Duration.Round(time.Millisecond).String() + " in all"
	if r.String() != want {
		t.Fatalf("String() = %q\nwant       %q", r.String(), want)
	}

	// A config from elsewhere counts once CountRetries is added, once only.
	plain := bed.Config()
	awsconf.CountRetries(&plain)
	awsconf.CountRetries(&plain)
	var again awsconf.RetryStats
	if _, err := ecs.NewFromConfig(plain).DescribeServices(awsconf.WithRetryStats(t.Context(), &again), &ecs.DescribeServicesInput{Cluster: aws.String(d.Cluster), Services: []string{d.Service}}); err != nil {
		t.Fatal(err)
	}
	if r := again.Snapshot(); r.Calls != 1 || r.Any() || r.String() != "" {
		t.Fatalf("retries = %+v (%q)", r, r.String())
	}
}
