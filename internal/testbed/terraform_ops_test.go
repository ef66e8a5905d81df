package testbed_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// The operations a Terraform plan of the stack needs that kumo lacks, through
// the real SDK clients.

func startBed(t *testing.T) *testbed.Bed {
	t.Helper()
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	return bed
}

func manifest(layer int64) string {
	return fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":100,"digest":"sha256:%064x"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":%d,"digest":"sha256:%064x"}]}`, layer, layer, layer+1)
}

func TestDescribeImages(t *testing.T) {
	bed := startBed(t)
	c := ecr.NewFromConfig(bed.Config())
	ctx := t.Context()
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app")})
	if err != nil || len(out.ImageDetails) != 0 {
		t.Fatalf("empty repository: %+v, %v", out, err)
	}
	before := time.Now().Add(-time.Second)
	var digests []string
	for i, tag := range []string{"v1", "v2", "v3"} {
		put, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app"), ImageManifest: aws.String(manifest(int64(1000 * (i + 1)))), ImageTag: aws.String(tag)})
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, aws.ToString(put.Image.ImageId.ImageDigest))
	}
	var all []ecrtypes.ImageDetail
	for p := ecr.NewDescribeImagesPaginator(c, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.ImageDetails...)
	}
	if len(all) != 3 {
		t.Fatalf("want 3 images over two pages, got %d", len(all))
	}
	for _, d := range all {
		i := slices.Index(digests, aws.ToString(d.ImageDigest))
		if i < 0 || len(d.ImageTags) != 1 || d.ImageTags[0] != []string{"v1", "v2", "v3"}[i] {
			t.Errorf("image %+v", d)
		}
		if aws.ToInt64(d.ImageSizeInBytes) != int64(100+1000*(i+1)) || aws.ToString(d.ImageManifestMediaType) != "application/vnd.oci.image.manifest.v1+json" {
			t.Errorf("size/media type of %s: %d %s", d.ImageTags, aws.ToInt64(d.ImageSizeInBytes), aws.ToString(d.ImageManifestMediaType))
		}
		if d.ImagePushedAt == nil || d.ImagePushedAt.Before(before) || d.ImagePushedAt.After(time.Now()) {
			t.Errorf("pushed at %v", d.ImagePushedAt)
		}
	}
	one, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v2")}}})
	if err != nil || len(one.ImageDetails) != 1 || aws.ToString(one.ImageDetails[0].ImageDigest) != digests[1] {
		t.Errorf("by tag: %+v, %v", one, err)
	}
	var notFound *ecrtypes.ImageNotFoundException
	if _, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v9")}}}); !errors.As(err, &notFound) {
		t.Errorf("unknown tag: want ImageNotFoundException, got %v", err)
	}
	var noRepo *ecrtypes.RepositoryNotFoundException
	if _, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("nope")}); !errors.As(err, &noRepo) {
		t.Errorf("unknown repository: want RepositoryNotFoundException, got %v", err)
	}
}

func TestGeneratedPasswordsAreRecorded(t *testing.T) {
	bed := startBed(t)
	c := secretsmanager.NewFromConfig(bed.Config())
	var got []string
	for range 2 {
		out, err := c.GetRandomPassword(t.Context(), &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(24), ExcludePunctuation: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, aws.ToString(out.RandomPassword))
	}
	if rec := bed.GeneratedPasswords(); !slices.Equal(rec, got) || len(got[0]) != 24 {
		t.Errorf("recorded %q, returned %q", rec, got)
	}
}

// DescribeAvailabilityZones speaks EC2's Query protocol; the Terraform plan
// test reads it through the real provider. Here: the filters.
func TestDescribeAvailabilityZones(t *testing.T) {
	bed := startBed(t)
	call := func(form url.Values) (int, string) {
		form.Set("Action", "DescribeAvailabilityZones")
		form.Set("Version", "2016-11-15")
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, bed.URL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/af-south-1/ec2/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, body := call(url.Values{"Filter.1.Name": {"state"}, "Filter.1.Value.1": {"available"}})
	for _, want := range []string{"<zoneName>af-south-1a</zoneName>", "<zoneName>af-south-1c</zoneName>", "<zoneId>afs1-az2</zoneId>"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("want %s in %d %s", want, code, body)
		}
	}
	if code, body = call(url.Values{"ZoneName.1": {"af-south-1b"}}); strings.Count(body, "<item>") != 1 {
		t.Errorf("by name: %d %s", code, body)
	}
	if code, body = call(url.Values{"Filter.1.Name": {"colour"}, "Filter.1.Value.1": {"blue"}}); code != http.StatusBadRequest || !strings.Contains(body, "InvalidParameterValue") {
		t.Errorf("unknown filter: %d %s", code, body)
	}
}

// The public parameter naming Amazon Linux 2023's AMI, which the Neo4j
// module reads, exists as in every AWS account.
func TestPublicAMIParameter(t *testing.T) {
	bed := startBed(t)
	name := "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, bed.URL, strings.NewReader(`{"Name":"`+name+`"}`))
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Parameter struct{ Value string } }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Parameter.Value != testbed.PublicAMIParameters[name] {
		t.Errorf("GetParameter %s: %+v %v", name, out, err)
	}
}
