package publish

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
)

// Repository is an environment's ECR repository.
type Repository struct {
	Name string
	// URI is <account>.dkr.ecr.<region>.amazonaws.com/<name>.
	URI        string
	RegistryID string
	// Mutability is ECR's imageTagMutability (IMMUTABLE for the registry
	// stack's repositories).
	Mutability types.ImageTagMutability
}

// Host is the registry host of the repository URI.
func (r Repository) Host() string {
	host, _, _ := strings.Cut(r.URI, "/")
	return host
}

// Image is the repository's image of a digest: <URI>@<digest>.
func (r Repository) Image(digest string) string { return r.URI + "@" + digest }

// ErrNoRepository is returned (wrapped) when the environment's repository
// does not exist.
var ErrNoRepository = errors.New("no ECR repository")

// Repository looks the environment's repository up (DescribeRepositories).
// A missing one gets an error naming the function that creates it.
func (p *Publisher) Repository(ctx context.Context) (Repository, error) {
	name := p.Env.RepositoryName()
	out, err := p.ECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{
		RepositoryNames: []string{name},
		RegistryId:      registryID(p.Env.AccountID),
	})
	var notFound *types.RepositoryNotFoundException
	if errors.As(err, &notFound) || (err == nil && len(out.Repositories) == 0) {
		return Repository{}, fmt.Errorf("%w %s in account %s (%s): create it with `dagger call registry --env=%s` (terraform/registry), then publish again; nothing was pushed",
			ErrNoRepository, name, p.Env.AccountID, p.Env.Region, p.Env.Name)
	}
	if err != nil {
		return Repository{}, fmt.Errorf("looking up the ECR repository %s: %w; nothing was pushed", name, awsconf.Concise(err))
	}
	r := out.Repositories[0]
	return Repository{
		Name: aws.ToString(r.RepositoryName), URI: aws.ToString(r.RepositoryUri),
		RegistryID: aws.ToString(r.RegistryId), Mutability: r.ImageTagMutability,
	}, nil
}

// registryID is the registry of an account, nil (the caller's) when unknown.
func registryID(account string) *string {
	if account == "" {
		return nil
	}
	return aws.String(account)
}

// Login asks ECR for a registry password (GetAuthorizationToken). The
// token is base64 of "AWS:<password>", valid for 12 hours.
func (p *Publisher) Login(ctx context.Context, repo Repository) (Login, error) {
	out, err := p.ECR.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Login{}, fmt.Errorf("logging in to ECR: %w", awsconf.Concise(err))
	}
	if len(out.AuthorizationData) == 0 {
		return Login{}, errors.New("logging in to ECR: GetAuthorizationToken returned no authorization data")
	}
	data := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(data.AuthorizationToken))
	user, password, ok := strings.Cut(string(raw), ":")
	if err != nil || !ok || user == "" || password == "" {
		// Never echo the token: it is the password.
		return Login{}, errors.New("logging in to ECR: the authorization token is not base64 of user:password")
	}
	host := repo.Host()
	if p.PushHost != "" {
		host = p.PushHost
	}
	return Login{Host: host, Username: user, Password: password, ExpiresAt: aws.ToTime(data.ExpiresAt)}, nil
}

// manifestMediaTypes are the manifests BatchGetImage may return as they
// were pushed (without it, ECR would convert an OCI manifest to Docker's).
var manifestMediaTypes = []string{
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v1+json",
}

// image is one image as BatchGetImage returns it.
type image struct {
	digest, manifest, mediaType string
}

// find returns the image a tag (or a digest, "sha256:...") is on, nil
// when there is none (BatchGetImage).
func (p *Publisher) find(ctx context.Context, repo Repository, ref string) (*image, error) {
	id := types.ImageIdentifier{ImageTag: aws.String(ref)}
	if strings.HasPrefix(ref, "sha256:") {
		id = types.ImageIdentifier{ImageDigest: aws.String(ref)}
	}
	out, err := p.ECR.BatchGetImage(ctx, &ecr.BatchGetImageInput{
		RepositoryName: aws.String(repo.Name), RegistryId: aws.String(repo.RegistryID),
		ImageIds: []types.ImageIdentifier{id}, AcceptedMediaTypes: manifestMediaTypes,
	})
	if err != nil {
		return nil, awsconf.Concise(err)
	}
	for _, f := range out.Failures {
		if f.FailureCode == types.ImageFailureCodeImageNotFound || f.FailureCode == types.ImageFailureCodeImageTagDoesNotMatchDigest {
			continue
		}
		return nil, fmt.Errorf("ecr:BatchGetImage of %s: %s: %s", ref, f.FailureCode, aws.ToString(f.FailureReason))
	}
	if len(out.Images) == 0 {
		return nil, nil
	}
	img := out.Images[0]
	return &image{
		digest: aws.ToString(img.ImageId.ImageDigest), manifest: aws.ToString(img.ImageManifest),
		mediaType: aws.ToString(img.ImageManifestMediaType),
	}, nil
}

// tags lists every tag of an image (DescribeImages).
func (p *Publisher) tags(ctx context.Context, repo Repository, digest string) ([]string, error) {
	out, err := p.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(repo.Name), RegistryId: aws.String(repo.RegistryID),
		ImageIds: []types.ImageIdentifier{{ImageDigest: aws.String(digest)}},
	})
	if err != nil {
		return nil, fmt.Errorf("the tags of %s: %w", digest, awsconf.Concise(err))
	}
	for _, d := range out.ImageDetails {
		if aws.ToString(d.ImageDigest) == digest {
			return d.ImageTags, nil
		}
	}
	return nil, nil
}

// tagEnv puts the environment tag on digest. It returns the digest the tag
// was moved from (empty if it was new), or unchanged when it was already
// there.
func (p *Publisher) tagEnv(ctx context.Context, repo Repository, digest, tag string) (movedFrom string, unchanged bool, err error) {
	current, err := p.find(ctx, repo, tag)
	if err != nil {
		return "", false, err
	}
	if current != nil && current.digest == digest {
		p.logf("tag %s is already on %s", tag, digest)
		return "", true, nil
	}
	img, err := p.find(ctx, repo, digest)
	if err != nil {
		return "", false, err
	}
	if img == nil {
		return "", false, fmt.Errorf("ECR has no image %s in %s", digest, repo.Name)
	}
	untagged := false
	if current != nil && repo.Mutability != types.ImageTagMutabilityMutable {
		// A push or PutImage cannot move a tag of an immutable repository:
		// take it off the image it is on first.
		others, err := p.tags(ctx, repo, current.digest)
		if err != nil {
			return "", false, err
		}
		others = slices.DeleteFunc(others, func(t string) bool { return t == tag })
		if len(others) == 0 {
			return "", false, fmt.Errorf("tag %s is on %s, which has no other tag: taking the tag off would delete that image (ECR deletes an image with its last tag), "+
				"and a running task may still pull it; tag it first (aws ecr put-image --repository-name %s --image-tag <a tag> --image-manifest \"$(aws ecr batch-get-image --repository-name %s --image-ids imageDigest=%s --query 'images[0].imageManifest' --output text)\"), then publish again",
				tag, current.digest, repo.Name, repo.Name, current.digest)
		}
		out, err := p.ECR.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{
			RepositoryName: aws.String(repo.Name), RegistryId: aws.String(repo.RegistryID),
			ImageIds: []types.ImageIdentifier{{ImageTag: aws.String(tag)}},
		})
		if err != nil {
			return "", false, fmt.Errorf("taking tag %s off %s: %w; no tag was changed", tag, current.digest, awsconf.Concise(err))
		}
		for _, f := range out.Failures {
			if f.FailureCode != types.ImageFailureCodeImageNotFound {
				return "", false, fmt.Errorf("taking tag %s off %s (ecr:BatchDeleteImage): %s: %s; no tag was changed", tag, current.digest, f.FailureCode, aws.ToString(f.FailureReason))
			}
		}
		untagged = true
		p.logf("took tag %s off %s (it keeps %s)", tag, current.digest, strings.Join(others, ", "))
	}
	_, err = p.ECR.PutImage(ctx, &ecr.PutImageInput{
		RepositoryName: aws.String(repo.Name), RegistryId: aws.String(repo.RegistryID),
		ImageManifest: aws.String(img.manifest), ImageManifestMediaType: aws.String(img.mediaType),
		ImageDigest: aws.String(digest), ImageTag: aws.String(tag),
	})
	var exists *types.ImageAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		if untagged {
			return "", false, fmt.Errorf("putting tag %s on %s: %w; the tag was taken off %s, so no image is tagged %s now", tag, digest, awsconf.Concise(err), current.digest, tag)
		}
		return "", false, fmt.Errorf("putting tag %s on %s: %w", tag, digest, awsconf.Concise(err))
	}
	if current != nil {
		p.logf("moved tag %s from %s to %s", tag, current.digest, digest)
		return current.digest, false, nil
	}
	p.logf("tagged %s %s", digest, tag)
	return "", false, nil
}
