//go:build e2e

package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// publishBed is the AWS test bed with the staging repository (IMMUTABLE, as
// `registry --env=stage` makes it) and a terraform directory naming the
// bed's account, plus the flags that point publish at both and at the
// bed's registry (--registry, standing in for ECR's).
func publishBed(t *testing.T) (*awsTestbed, []string) {
	t.Helper()
	bed := startTestbed(t)
	if err := bed.CreateRepository(t.Context(), "credex-core-staging", false); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := testbed.WriteTerraformDir(dir, testbed.AccountID, bed.Region); err != nil {
		t.Fatal(err)
	}
	flags := append(append([]string{}, bed.Flags...), example, "--terraform="+dir, "--registry="+bed.Registry().Service())
	return bed, flags
}

// `publish --env=stage` pushes the build to the test bed's registry through
// a real engine, tagged <sha> and staging, and prints
// <repository>@sha256:<digest>: the digest ECR reports for the tag, of a
// linux/amd64 image labelled with the revision. Publishing again pushes
// nothing and prints the same.
func TestPublishThenRepublishIsANoOp(t *testing.T) {
	bed, flags := publishBed(t)
	args := append(flags, "publish", "--env=stage", "--revision="+revision, "--created="+created)
	first := callWith(t, opts{Env: bed.Env}, args...)
	if first.ExitCode != 0 {
		t.Fatalf("publish:\n%s", first)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := ecr.NewFromConfig(bed.Config())
	got, err := client.BatchGetImage(ctx, &ecr.BatchGetImageInput{
		RepositoryName: aws.String("credex-core-staging"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(revision)}},
		AcceptedMediaTypes: []string{"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"},
	})
	if err != nil || len(got.Images) != 1 {
		t.Fatalf("ECR has no image tagged %s: %+v, %v\n%s", revision, got, err, first)
	}
	digest := aws.ToString(got.Images[0].ImageId.ImageDigest)
	repos, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"credex-core-staging"}})
	if err != nil || len(repos.Repositories) != 1 {
		t.Fatalf("DescribeRepositories: %+v, %v", repos, err)
	}
	want := aws.ToString(repos.Repositories[0].RepositoryUri) + "@" + digest
	if strings.TrimSpace(first.Stdout) != want {
		t.Fatalf("publish printed %q, want %q\n%s", strings.TrimSpace(first.Stdout), want, first)
	}
	details, err := client.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("credex-core-staging"), ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}}})
	if err != nil || len(details.ImageDetails) != 1 || !slices.Equal(details.ImageDetails[0].ImageTags, []string{revision, "staging"}) {
		t.Fatalf("the image's tags: %+v, %v; want [%s staging]", details, err, revision)
	}
	user, password := bed.Registry().Login()
	config, err := testbed.PullConfig(ctx, bed.Registry().Ref("credex-core-staging", "staging"), user, password)
	if err != nil {
		t.Fatalf("pulling :staging: %v", err)
	}
	if config.OS != "linux" || config.Architecture != "amd64" || config.Config.Labels["org.opencontainers.image.revision"] != revision {
		t.Errorf("pushed image: %s/%s, labels %v; want linux/amd64 labelled revision %s", config.OS, config.Architecture, config.Config.Labels, revision)
	}
	if strings.Contains(first.Output(), password) {
		t.Error("the registry password reached the CLI's output")
	}
	pushes := bed.Registry().Pushes("credex-core-staging")
	if pushes == 0 {
		t.Fatal("no manifest was pushed to the registry")
	}

	again := callWith(t, opts{Env: bed.Env}, args...)
	if again.ExitCode != 0 || strings.TrimSpace(again.Stdout) != want || !strings.Contains(again.Stderr, "nothing to push") {
		t.Fatalf("re-publish: want %s and nothing pushed\n%s", want, again)
	}
	if n := bed.Registry().Pushes("credex-core-staging"); n != pushes {
		t.Fatalf("re-publish pushed again (%d manifest pushes, %d before)", n, pushes)
	}
}

// Without the environment's repository, publish fails before building or
// pushing anything, naming the function that creates it.
func TestPublishWithoutTheRepositoryNamesRegistry(t *testing.T) {
	bed, flags := publishBed(t)
	if _, err := ecr.NewFromConfig(bed.Config()).DeleteRepository(t.Context(), &ecr.DeleteRepositoryInput{RepositoryName: aws.String("credex-core-staging"), Force: true}); err != nil {
		t.Fatal(err)
	}
	r := callWith(t, opts{Env: bed.Env}, append(flags, "publish", "--env=stage", "--revision="+revision)...)
	if r.ExitCode == 0 || !strings.Contains(r.Output(), "dagger call registry --env=stage") || bed.Registry().Pushes("credex-core-staging") != 0 {
		t.Fatalf("want a failure naming `dagger call registry --env=stage` and no push\n%s", r)
	}
}

// A revision that is not a full git SHA is refused before AWS is called.
func TestPublishRefusesAShortRevision(t *testing.T) {
	bed, flags := publishBed(t)
	r := callWith(t, opts{Env: bed.Env}, append(flags, "publish", "--env=stage", "--revision=0123456")...)
	if r.ExitCode == 0 || !strings.Contains(r.Output(), "--revision=$(git rev-parse HEAD)") {
		t.Fatalf("want the revision refused with the fix\n%s", r)
	}
}
