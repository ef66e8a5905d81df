package publish_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sivchari/kumo"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/publish"
	"github.com/great-sun-group/credex-ci/internal/testbed"
)

const (
	sha1 = "1111111111111111111111111111111111111111"
	sha2 = "2222222222222222222222222222222222222222"
)

// env is an environment of the bed's account.
func env(t *testing.T, name string) envs.Environment {
	t.Helper()
	e, err := envs.FromTFVars(name, []byte(fmt.Sprintf("aws_account_id = %q\n", testbed.AccountID)))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// bed starts a test bed holding the environment's repository (IMMUTABLE,
// as the registry stack makes it, unless mutable) and returns a publisher
// pushing to the bed's registry.
func bed(t *testing.T, name string, mutable bool) (*testbed.Bed, *publish.Publisher, *bytes.Buffer) {
	t.Helper()
	b, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	e := env(t, name)
	if err := b.CreateRepository(t.Context(), e.RepositoryName(), mutable); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	p := &publish.Publisher{ECR: ecr.NewFromConfig(b.Config()), Env: e, PushHost: "localhost:" + b.Registry().Port, Progress: &progress}
	return b, p, &progress
}

// pusher pushes img with go-containerregistry, as docker push would, with
// the login publish got from ECR; it counts its calls.
func pusher(t *testing.T, img v1.Image, calls *int) publish.Pusher {
	return func(ctx context.Context, ref string, login publish.Login) (string, error) {
		*calls++
		if login.Username != "AWS" || login.Password == "" || login.ExpiresAt.IsZero() {
			t.Errorf("login = %#v", login)
		}
		return testbed.PushImage(ctx, ref, login.Username, login.Password, img)
	}
}

func randomImage(t *testing.T) (v1.Image, string) {
	t.Helper()
	img, err := testbed.RandomImage()
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return img, d.String()
}

func tagsOf(t *testing.T, p *publish.Publisher, digest string) []string {
	t.Helper()
	out, err := p.ECR.DescribeImages(t.Context(), &ecr.DescribeImagesInput{
		RepositoryName: aws.String(p.Env.RepositoryName()), ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}},
	})
	if err != nil || len(out.ImageDetails) != 1 {
		t.Fatalf("DescribeImages %s = %+v, %v", digest, out, err)
	}
	return out.ImageDetails[0].ImageTags
}

// pulled is the digest a client pulling repository:tag from the bed's
// registry gets.
func pulled(t *testing.T, b *testbed.Bed, p *publish.Publisher, tag string) string {
	t.Helper()
	user, pw := b.Registry().Login()
	d, err := testbed.PullDigest(t.Context(), b.Registry().Ref(p.Env.RepositoryName(), tag), user, pw)
	if err != nil {
		t.Fatalf("pulling :%s: %v", tag, err)
	}
	return d
}

// A first publish pushes the image tagged with the revision and the
// environment; publishing the revision again pushes nothing and returns
// the same digest; a new revision takes the environment tag, and the
// image before keeps its revision tag.
func TestPublishThenRepublishIsANoOpAndTheEnvTagFollows(t *testing.T) {
	b, p, progress := bed(t, "stage", false)
	ctx := t.Context()
	img, digest := randomImage(t)
	calls := 0
	res, err := p.Publish(ctx, sha1, pusher(t, img, &calls))
	if err != nil {
		t.Fatal(err)
	}
	// The URI is the repository's, as DescribeRepositories reports it (kumo
	// names its own region there, not the caller's).
	repoURI := res.Repository.URI
	if !strings.HasPrefix(repoURI, testbed.AccountID+".dkr.ecr.") || !strings.HasSuffix(repoURI, ".amazonaws.com/credex-core-staging") {
		t.Fatalf("repository URI = %s", repoURI)
	}
	if res.Image != repoURI+"@"+digest || res.Digest != digest || !res.Pushed || calls != 1 || res.EnvTag != "staging" || res.EnvTagMovedFrom != "" || res.EnvTagUnchanged {
		t.Fatalf("first publish = %+v (calls %d), want %s@%s pushed once", res, calls, repoURI, digest)
	}
	if tags := tagsOf(t, p, digest); !slices.Equal(tags, []string{sha1, "staging"}) {
		t.Fatalf("tags = %v, want [%s staging]", tags, sha1)
	}
	if got := pulled(t, b, p, "staging"); got != digest {
		t.Fatalf(":staging pulls %s, want %s", got, digest)
	}

	// Again, even with another build of the same revision: no push, the
	// digest of the first.
	other, _ := randomImage(t)
	again, err := p.Publish(ctx, sha1, pusher(t, other, &calls))
	if err != nil {
		t.Fatal(err)
	}
	if again.Image != res.Image || again.Pushed || calls != 1 || !again.EnvTagUnchanged || b.Registry().Pushes("credex-core-staging") != 1 {
		t.Fatalf("re-publish = %+v (calls %d, pushes %d), want the same image and no push", again, calls, b.Registry().Pushes("credex-core-staging"))
	}
	if !strings.Contains(again.Summary(), "no push") || !strings.Contains(progress.String(), "nothing to push") {
		t.Errorf("summary / progress do not say nothing was pushed:\n%s\n%s", again.Summary(), progress.String())
	}
	// Progress lines as the deploy's and the verification's.
	line := regexp.MustCompile(`^\d\d:\d\d:\d\d publish     \S`)
	for _, l := range strings.Split(strings.TrimSpace(progress.String()), "\n") {
		if !line.MatchString(l) {
			t.Errorf("progress line %q is not a report.Progress line", l)
		}
	}

	// A new revision: the staging tag moves to it.
	img2, digest2 := randomImage(t)
	res2, err := p.Publish(ctx, sha2, pusher(t, img2, &calls))
	if err != nil {
		t.Fatal(err)
	}
	if res2.Image != repoURI+"@"+digest2 || !res2.Pushed || res2.EnvTagMovedFrom != digest {
		t.Fatalf("second revision = %+v", res2)
	}
	if tags := tagsOf(t, p, digest); !slices.Equal(tags, []string{sha1}) {
		t.Fatalf("first image's tags = %v, want [%s]", tags, sha1)
	}
	if tags := tagsOf(t, p, digest2); !slices.Equal(tags, []string{sha2, "staging"}) {
		t.Fatalf("second image's tags = %v", tags)
	}
	if got := pulled(t, b, p, "staging"); got != digest2 {
		t.Fatalf(":staging pulls %s, want %s", got, digest2)
	}
	if !strings.Contains(res2.Summary(), "moved here from "+digest) {
		t.Errorf("summary:\n%s", res2.Summary())
	}

	// Republishing the older revision gives it the tag back.
	back, err := p.Publish(ctx, sha1, pusher(t, img, &calls))
	if err != nil || back.Pushed || back.Digest != digest || back.EnvTagMovedFrom != digest2 {
		t.Fatalf("re-publishing %s = %+v, %v", sha1, back, err)
	}
	if got := pulled(t, b, p, "staging"); got != digest {
		t.Fatalf(":staging pulls %s after re-publishing %s, want %s", got, sha1, digest)
	}
}

// In a MUTABLE repository the environment tag is moved by PutImage alone.
func TestPublishToAMutableRepositoryMovesTheTag(t *testing.T) {
	b, p, _ := bed(t, "prod", true)
	calls := 0
	img1, d1 := randomImage(t)
	img2, d2 := randomImage(t)
	if _, err := p.Publish(t.Context(), sha1, pusher(t, img1, &calls)); err != nil {
		t.Fatal(err)
	}
	res, err := p.Publish(t.Context(), sha2, pusher(t, img2, &calls))
	if err != nil || res.EnvTag != "production" || res.EnvTagMovedFrom != d1 {
		t.Fatalf("publish = %+v, %v", res, err)
	}
	if got := pulled(t, b, p, "production"); got != d2 {
		t.Fatalf(":production pulls %s, want %s", got, d2)
	}
}

// Another run pushing the same revision between the look-up and the push:
// the push fails on the immutable tag, and publish uses what is there.
func TestPublishRacingAnotherRunUsesItsImage(t *testing.T) {
	b, p, _ := bed(t, "stage", false)
	theirs, theirDigest := randomImage(t)
	ours, _ := randomImage(t)
	res, err := p.Publish(t.Context(), sha1, func(ctx context.Context, ref string, login publish.Login) (string, error) {
		if _, err := testbed.PushImage(ctx, ref, login.Username, login.Password, theirs); err != nil {
			t.Fatalf("the other run's push: %v", err)
		}
		return testbed.PushImage(ctx, ref, login.Username, login.Password, ours)
	})
	if err != nil || res.Digest != theirDigest || res.Pushed {
		t.Fatalf("publish = %+v, %v; want the other run's %s", res, err, theirDigest)
	}
	if got := pulled(t, b, p, "staging"); got != theirDigest {
		t.Fatalf(":staging = %s", got)
	}
}

// A missing repository is refused before any push, naming the fix.
func TestPublishWithoutTheRepositoryNamesRegistry(t *testing.T) {
	_, p, _ := bed(t, "stage", false)
	p.Env = env(t, "prod")
	if _, err := p.ECR.DeleteRepository(t.Context(), &ecr.DeleteRepositoryInput{RepositoryName: aws.String("credex-core-production"), Force: true}); err != nil {
		var nf *ecrtypes.RepositoryNotFoundException
		if !errors.As(err, &nf) {
			t.Fatal(err)
		}
	}
	calls := 0
	img, _ := randomImage(t)
	_, err := p.Publish(t.Context(), sha1, pusher(t, img, &calls))
	if !errors.Is(err, publish.ErrNoRepository) || !strings.Contains(err.Error(), "dagger call registry --env=prod") || !strings.Contains(err.Error(), "credex-core-production") || calls != 0 {
		t.Fatalf("err = %v (pushes %d), want one naming `dagger call registry --env=prod`", err, calls)
	}
}

// Anything but a full git SHA is refused before AWS is called (the nil
// client would panic if it were).
func TestPublishRefusesARevisionThatIsNotAFullSHA(t *testing.T) {
	p := &publish.Publisher{Env: env(t, "stage")}
	for _, rev := range []string{"", "main", "1111111", strings.Repeat("AB", 20), sha1 + "0", "v1.2.3"} {
		_, err := p.Publish(t.Context(), rev, func(context.Context, string, publish.Login) (string, error) {
			t.Fatal("pushed")
			return "", nil
		})
		if err == nil || !strings.Contains(err.Error(), "--revision=$(git rev-parse HEAD)") {
			t.Errorf("revision %q: err = %v, want the fix", rev, err)
		}
	}
}

// The environment tag is never taken off an image that has no other tag:
// that would delete the image. The new image is pushed, and the error
// says so and how to finish.
func TestPublishNeverDeletesAnImageByMovingTheEnvTag(t *testing.T) {
	b, p, _ := bed(t, "stage", false)
	img, _ := randomImage(t)
	user, pw := b.Registry().Login()
	onlyStaging, err := testbed.PushImage(t.Context(), b.Registry().Ref("credex-core-staging", "staging"), user, pw, img)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	img2, d2 := randomImage(t)
	_, err = p.Publish(t.Context(), sha1, pusher(t, img2, &calls))
	if err == nil || !strings.Contains(err.Error(), "no other tag") || !strings.Contains(err.Error(), "was pushed") || !strings.Contains(err.Error(), "run publish again") {
		t.Fatalf("err = %v", err)
	}
	if d, _ := publish.DigestOf(onlyStaging); pulled(t, b, p, "staging") != d {
		t.Fatal("the staging tag left the image it was the only tag of")
	}
	if tags := tagsOf(t, p, d2); !slices.Equal(tags, []string{sha1}) {
		t.Fatalf("new image's tags = %v", tags)
	}
}

// The login never prints its password.
func TestLoginNeverPrintsThePassword(t *testing.T) {
	b, p, _ := bed(t, "stage", false)
	repo, err := p.Repository(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	login, err := p.Login(t.Context(), repo)
	if err != nil {
		t.Fatal(err)
	}
	if _, pw := b.Registry().Login(); login.Password != pw || login.Host != p.PushHost {
		t.Fatalf("login = %s, want the bed's password for %s", login, p.PushHost)
	}
	for _, s := range []string{fmt.Sprint(login), fmt.Sprintf("%v %+v %#v %s", login, login, login, login)} {
		if strings.Contains(s, login.Password) {
			t.Fatalf("printed the password: %s", s)
		}
	}
}

func TestDigestOf(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for in, want := range map[string]string{
		"localhost:5000/credex-core-staging:" + sha1 + "@" + d: d,
		d:                      d,
		"localhost:5000/x:tag": "",
		"x@sha256:abc":         "",
	} {
		got, err := publish.DigestOf(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("DigestOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// Against kumo's own ECR (not the bed's answers): the repository look-up
// reads kumo's empty answer for a missing repository as missing too, and
// the login decodes kumo's token.
func TestRepositoryAndLoginAgainstKumo(t *testing.T) {
	server := kumo.NewServer()
	t.Cleanup(server.Close)
	cfg := aws.Config{Region: "af-south-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), BaseEndpoint: aws.String(server.URL)}
	p := &publish.Publisher{ECR: ecr.NewFromConfig(cfg), Env: env(t, "stage")}
	name := p.Env.RepositoryName()
	_, _ = p.ECR.DeleteRepository(t.Context(), &ecr.DeleteRepositoryInput{RepositoryName: aws.String(name), Force: true})
	if _, err := p.Repository(t.Context()); !errors.Is(err, publish.ErrNoRepository) || !strings.Contains(err.Error(), "dagger call registry --env=stage") {
		t.Fatalf("missing repository: %v", err)
	}
	if _, err := p.ECR.CreateRepository(t.Context(), &ecr.CreateRepositoryInput{RepositoryName: aws.String(name), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = p.ECR.DeleteRepository(context.Background(), &ecr.DeleteRepositoryInput{RepositoryName: aws.String(name), Force: true})
	})
	repo, err := p.Repository(t.Context())
	if err != nil || repo.Name != name || repo.Mutability != ecrtypes.ImageTagMutabilityImmutable || repo.Host() == "" || !strings.HasSuffix(repo.URI, "/"+name) {
		t.Fatalf("repository = %+v, %v", repo, err)
	}
	login, err := p.Login(t.Context(), repo)
	if err != nil || login.Username != "AWS" || login.Password == "" || login.Host != repo.Host() {
		t.Fatalf("login = %s, %v", login, err)
	}
}

// An ECR that does not answer: the error names the repository, the call
// (once, not the SDK's layers) and the cause, and says nothing was pushed.
func TestAnUnreachableECRSaysWhatFailedAndThatNothingWasPushed(t *testing.T) {
	server := kumo.NewServer()
	url := server.URL
	server.Close() // nothing listens there now
	cfg := aws.Config{Region: "af-south-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), BaseEndpoint: aws.String(url), RetryMaxAttempts: 1}
	p := &publish.Publisher{ECR: ecr.NewFromConfig(cfg), Env: env(t, "stage")}
	calls := 0
	_, err := p.Publish(t.Context(), sha1, func(context.Context, string, publish.Login) (string, error) { calls++; return "", nil })
	want := "looking up the ECR repository credex-core-staging: ECR DescribeRepositories"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "connection refused") ||
		!strings.HasSuffix(err.Error(), "; nothing was pushed") || strings.Contains(err.Error(), "operation error") || calls != 0 {
		t.Fatalf("err = %v\nwant %q…connection refused…; nothing was pushed", err, want)
	}
}
