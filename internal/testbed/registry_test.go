package testbed_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/great-sun-group/credex-ci/internal/testbed"
)

const repoName = "credex-core-staging"

// registryBed starts a bed with the stage repository, IMMUTABLE unless
// mutable, and returns its ECR client.
func registryBed(t *testing.T, mutable bool) (*testbed.Bed, *ecr.Client) {
	t.Helper()
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	if err := bed.CreateRepository(t.Context(), repoName, mutable); err != nil {
		t.Fatal(err)
	}
	return bed, ecr.NewFromConfig(bed.Config())
}

// push pushes a new random image to the bed's registry with the bed's
// ECR login and returns its digest.
func push(t *testing.T, bed *testbed.Bed, repository, tag string) (string, error) {
	t.Helper()
	img, err := testbed.RandomImage()
	if err != nil {
		t.Fatal(err)
	}
	user, pw := bed.Registry().Login()
	ref, err := testbed.PushImage(t.Context(), bed.Registry().Ref(repository, tag), user, pw, img)
	if err != nil {
		return "", err
	}
	return ref[strings.LastIndex(ref, "@")+1:], nil
}

func describe(t *testing.T, client *ecr.Client, digest string) []string {
	t.Helper()
	out, err := client.DescribeImages(t.Context(), &ecr.DescribeImagesInput{RepositoryName: aws.String(repoName), ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}}})
	if err != nil {
		t.Fatalf("DescribeImages %s: %v", digest, err)
	}
	if len(out.ImageDetails) != 1 || aws.ToString(out.ImageDetails[0].ImageDigest) != digest || aws.ToInt64(out.ImageDetails[0].ImageSizeInBytes) <= 0 || out.ImageDetails[0].ImagePushedAt == nil {
		t.Fatalf("DescribeImages %s = %+v", digest, out.ImageDetails)
	}
	return out.ImageDetails[0].ImageTags
}

// What a push put in the registry is what the ECR API reports, and a tag
// put through the API is what a client pulls.
func TestRegistryPushesAreWhatECRReports(t *testing.T) {
	bed, client := registryBed(t, false)
	ctx := t.Context()
	digest, err := push(t, bed, repoName, "0123456789abcdef0123456789abcdef01234567")
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.BatchGetImage(ctx, &ecr.BatchGetImageInput{
		RepositoryName: aws.String(repoName), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("0123456789abcdef0123456789abcdef01234567")}, {ImageTag: aws.String("missing")}},
		AcceptedMediaTypes: []string{"application/vnd.oci.image.manifest.v1+json"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Images) != 1 || aws.ToString(got.Images[0].ImageId.ImageDigest) != digest || aws.ToString(got.Images[0].ImageManifestMediaType) != "application/vnd.oci.image.manifest.v1+json" {
		t.Fatalf("BatchGetImage images = %+v", got.Images)
	}
	if len(got.Failures) != 1 || got.Failures[0].FailureCode != ecrtypes.ImageFailureCodeImageNotFound {
		t.Fatalf("BatchGetImage failures = %+v", got.Failures)
	}

	// PutImage of the same manifest under a second tag (ECR's retag).
	_, err = client.PutImage(ctx, &ecr.PutImageInput{
		RepositoryName: aws.String(repoName), ImageManifest: got.Images[0].ImageManifest,
		ImageManifestMediaType: got.Images[0].ImageManifestMediaType, ImageTag: aws.String("staging"), ImageDigest: aws.String(digest),
	})
	if err != nil {
		t.Fatal(err)
	}
	if tags := describe(t, client, digest); !slices.Equal(tags, []string{"0123456789abcdef0123456789abcdef01234567", "staging"}) {
		t.Fatalf("tags = %v", tags)
	}
	user, pw := bed.Registry().Login()
	if pulled, err := testbed.PullDigest(ctx, bed.Registry().Ref(repoName, "staging"), user, pw); err != nil || pulled != digest {
		t.Fatalf("pulling :staging = %s, %v; want %s", pulled, err, digest)
	}
	list, err := client.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String(repoName)})
	if err != nil || len(list.ImageIds) != 2 {
		t.Fatalf("ListImages = %+v, %v", list, err)
	}
	// One tag a page, as the SDK's paginator walks them.
	var paged []string
	pages := ecr.NewListImagesPaginator(client, &ecr.ListImagesInput{RepositoryName: aws.String(repoName), MaxResults: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil || len(page.ImageIds) != 1 {
			t.Fatalf("ListImages page = %+v, %v", page, err)
		}
		paged = append(paged, aws.ToString(page.ImageIds[0].ImageTag))
	}
	if !slices.Equal(paged, []string{"0123456789abcdef0123456789abcdef01234567", "staging"}) {
		t.Fatalf("ListImages one a page = %v", paged)
	}

	// A PutImage that changes nothing is refused, as ECR does.
	_, err = client.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repoName), ImageManifest: got.Images[0].ImageManifest, ImageTag: aws.String("staging")})
	var exists *ecrtypes.ImageAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("PutImage of an existing tag and image: %v, want ImageAlreadyExistsException", err)
	}

	// Deleting a tag keeps an image that has another; deleting its last
	// tag deletes it, in the API and in the registry.
	del, err := client.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repoName), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("staging")}}})
	if err != nil || len(del.ImageIds) != 1 || len(del.Failures) != 0 {
		t.Fatalf("BatchDeleteImage staging = %+v, %v", del, err)
	}
	if tags := describe(t, client, digest); !slices.Equal(tags, []string{"0123456789abcdef0123456789abcdef01234567"}) {
		t.Fatalf("tags after untagging = %v", tags)
	}
	if _, err := testbed.PullDigest(ctx, bed.Registry().Ref(repoName, "staging"), user, pw); err == nil {
		t.Fatal(":staging still pulls after BatchDeleteImage")
	}
	if _, err := client.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repoName), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("0123456789abcdef0123456789abcdef01234567")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = client.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repoName), ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}}})
	var notFound *ecrtypes.ImageNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("DescribeImages of an image whose last tag was deleted: %v, want ImageNotFoundException", err)
	}
}

// ECR's rules: immutable tags, Basic auth with GetAuthorizationToken's
// password, no push to a repository that does not exist.
func TestRegistryKeepsECRsRules(t *testing.T) {
	bed, client := registryBed(t, false)
	ctx := t.Context()
	// The stage repository is IMMUTABLE: a tag cannot be pushed twice,
	// not even with the same image.
	img, err := testbed.RandomImage()
	if err != nil {
		t.Fatal(err)
	}
	user, pw := bed.Registry().Login()
	ref := bed.Registry().Ref(repoName, "v1")
	if _, err := testbed.PushImage(ctx, ref, user, pw, img); err != nil {
		t.Fatal(err)
	}
	if _, err := push(t, bed, repoName, "v1"); err == nil || !strings.Contains(err.Error(), "TAG_INVALID") || !strings.Contains(err.Error(), "cannot be overwritten because the repository is immutable") {
		t.Fatalf("pushing another image as an existing tag: %v, want ECR's TAG_INVALID", err)
	}
	// go-containerregistry skips a manifest the registry has; docker and
	// buildkit PUT it: the same manifest under the same tag is refused too.
	manifest, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+bed.Registry().Host+"/v2/"+repoName+"/manifests/v1", bytes.NewReader(manifest))
	req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	req.SetBasicAuth(user, pw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "TAG_INVALID") {
		t.Fatalf("PUT of the same manifest under an existing tag: %d %s, want 400 TAG_INVALID", resp.StatusCode, body)
	}
	if n := bed.Registry().Pushes(repoName); n != 1 {
		t.Fatalf("Pushes = %d, want 1", n)
	}

	// The password is the one GetAuthorizationToken hands out.
	token, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil || len(token.AuthorizationData) != 1 {
		t.Fatalf("GetAuthorizationToken = %+v, %v", token, err)
	}
	if _, err := testbed.PushImage(ctx, bed.Registry().Ref(repoName, "v2"), "AWS", "wrong", img); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("push with a wrong password: %v, want 401", err)
	}

	if _, err := push(t, bed, "no-such-repository", "v1"); err == nil || !strings.Contains(err.Error(), "NAME_UNKNOWN") {
		t.Fatalf("push to a missing repository: %v, want NAME_UNKNOWN", err)
	}
	_, err = client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"no-such-repository"}})
	var missing *ecrtypes.RepositoryNotFoundException
	if !errors.As(err, &missing) {
		t.Fatalf("DescribeRepositories of a missing repository: %v, want RepositoryNotFoundException", err)
	}

	// Through the API, moving an existing tag of an immutable repository
	// is refused too.
	other, err := push(t, bed, repoName, "v3")
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String(repoName), ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(other)}}})
	if err != nil || len(got.Images) != 1 {
		t.Fatalf("BatchGetImage = %+v, %v", got, err)
	}
	_, err = client.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repoName), ImageManifest: got.Images[0].ImageManifest, ImageTag: aws.String("v1")})
	var immutable *ecrtypes.ImageTagAlreadyExistsException
	if !errors.As(err, &immutable) {
		t.Fatalf("PutImage moving tag v1: %v, want ImageTagAlreadyExistsException", err)
	}
}
