package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/publish"
	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// The printed Dagger command names the bed's AWS endpoint and registry as
// services; what publish does through them (the ECR API at the one, the
// push to the other) works, and publishing again pushes nothing.
func TestTestbedServesTheRegistryItPrints(t *testing.T) {
	printed := serveTestbed(t, "healthy", "--with-repository")
	mustContain(t, "instructions", printed, "repository     credex-core-staging (IMMUTABLE)", "dagger call --source=examples/ledger-api", "publish --env=stage --revision=$(git rev-parse HEAD)")
	awsPort := regexp.MustCompile(`--aws-endpoint=tcp://localhost:(\d+)`).FindStringSubmatch(printed)
	registryPort := regexp.MustCompile(`--registry=tcp://localhost:(\d+)`).FindStringSubmatch(printed)
	registryLine := regexp.MustCompile(`registry +localhost:(\d+) stands in for ECR`).FindStringSubmatch(printed)
	if awsPort == nil || registryPort == nil || registryLine == nil || registryPort[1] != registryLine[1] {
		t.Fatalf("no --aws-endpoint / --registry in:\n%s", printed)
	}
	env, err := envs.FromTFVars("stage", []byte(`aws_account_id = "`+testbed.AccountID+`"`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{Region: env.Region, BaseEndpoint: aws.String("http://127.0.0.1:" + awsPort[1]),
		Credentials: credentials.NewStaticCredentialsProvider(testbed.AccessKeyID, testbed.SecretAccessKey, "")}
	p := &publish.Publisher{ECR: ecr.NewFromConfig(cfg), Env: env, PushHost: "localhost:" + registryPort[1]}
	img, err := testbed.RandomImage()
	if err != nil {
		t.Fatal(err)
	}
	pushes := 0
	push := func(ctx context.Context, ref string, login publish.Login) (string, error) {
		pushes++
		return testbed.PushImage(ctx, ref, login.Username, login.Password, img)
	}
	const revision = "0123456789abcdef0123456789abcdef01234567"
	first, err := p.Publish(t.Context(), revision, push)
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Publish(t.Context(), revision, push)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	if first.Digest != d.String() || again.Image != first.Image || pushes != 1 || !strings.HasSuffix(first.Image, "/credex-core-staging@"+d.String()) {
		t.Fatalf("publish = %+v, then %+v (%d pushes); want %s once", first, again, pushes, d)
	}
}
