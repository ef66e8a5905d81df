// Package publish pushes a built image to an environment's ECR repository
// and tags it, through the ECR API (aws-sdk-go-v2) for everything but the
// push itself, which the caller does (the Dagger module with
// Container.Publish, tests with go-containerregistry).
//
// An image is tagged twice: with the full git SHA it was built from, and
// with the environment's name (staging, production). The repository is
// IMMUTABLE (terraform/modules/registry), so:
//
//   - the SHA tag is looked up first: when it exists, publishing is a no-op
//     that returns the digest already there (a push would fail: ECR refuses
//     to overwrite any tag of an immutable repository, even with the same
//     image);
//   - the environment tag cannot be moved by a push either, so it is moved
//     through the API: the tag is removed from the image it was on
//     (BatchDeleteImage of the tag, which untags an image that keeps other
//     tags) and put on the new image's manifest (PutImage, ECR's documented
//     way to retag). An image whose only tag is the environment's is never
//     untagged, since that would delete it.
//
// Deployments never use the environment tag (the task definition pins the
// digest); it tells a person which image an environment was last given.
package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/source"
)

// Publisher publishes images of one environment.
type Publisher struct {
	// ECR is the client of the environment's account and region.
	ECR *ecr.Client
	// Env is the environment (AccountID and Region loaded).
	Env envs.Environment
	// PushHost, when set, replaces the repository's registry host in the
	// address pushed to: a registry standing in for ECR (e.g.
	// localhost:5000). The published image still names the ECR repository,
	// which is what task definitions pull.
	PushHost string
	// Progress receives one timestamped line per step (report.Progress);
	// nil discards them.
	Progress io.Writer
}

// Login is how to push to the repository's registry. Password is ECR's
// short-lived token: keep it in memory, hand it over only as a secret, and
// never print it (String and GoString leave it out).
type Login struct {
	// Host is the registry host the credentials are for (the push address's).
	Host     string
	Username string
	Password string
	// ExpiresAt is when ECR stops accepting the password.
	ExpiresAt time.Time
}

// String describes the login without its password.
func (l Login) String() string {
	return fmt.Sprintf("registry login %s@%s (password redacted, expires %s)", l.Username, l.Host, l.ExpiresAt.UTC().Format(time.RFC3339))
}

// GoString keeps %#v from printing the password too.
func (l Login) GoString() string { return l.String() }

// Pusher pushes the image to ref (host/repository:tag), logging in with
// login, and returns the pushed manifest's digest (sha256:<64 hex>).
type Pusher func(ctx context.Context, ref string, login Login) (digest string, err error)

// Result is what Publish did.
type Result struct {
	// Image is the published image pinned by digest,
	// <repository URI>@sha256:<digest>: what plan --image takes.
	Image  string
	Digest string
	// Repository is the ECR repository published to.
	Repository Repository
	// Revision is the git SHA the image is tagged with.
	Revision string
	// Pushed is false when the revision was already in the repository
	// (the no-op): Digest is then the image pushed before.
	Pushed bool
	// EnvTag is the environment tag (staging, production) and EnvTag* say
	// what happened to it.
	EnvTag string
	// EnvTagMovedFrom is the digest the environment tag was on before, when
	// it was moved; empty when it was new or already on this image.
	EnvTagMovedFrom string
	// EnvTagUnchanged is true when the tag was already on this image.
	EnvTagUnchanged bool
}

// Summary is the result in a few lines a person reads.
func (r Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "image     %s\n", r.Image)
	if r.Pushed {
		fmt.Fprintf(&b, "pushed    %s:%s\n", r.Repository.URI, r.Revision)
	} else {
		fmt.Fprintf(&b, "no push   %s:%s was already in the repository (tags are immutable)\n", r.Repository.URI, r.Revision)
	}
	switch {
	case r.EnvTagUnchanged:
		fmt.Fprintf(&b, "tag %-5s already on this image\n", r.EnvTag)
	case r.EnvTagMovedFrom != "":
		fmt.Fprintf(&b, "tag %-5s moved here from %s\n", r.EnvTag, r.EnvTagMovedFrom)
	default:
		fmt.Fprintf(&b, "tag %-5s added\n", r.EnvTag)
	}
	return b.String()
}

// ErrNoRevision is returned (wrapped) when publish is given no revision.
var ErrNoRevision = errors.New("no revision to publish")

// CheckRevision refuses anything but a full git commit SHA (40 hex digits,
// or 64 in a SHA-256 repository, lower case as git prints it): the image's
// tag in an immutable repository, so a branch name, a short SHA or a
// mistyped one would stay wrong for good.
func CheckRevision(revision string) error {
	if revision == "" {
		return fmt.Errorf("%w: pass the full git commit SHA the image is built from, --revision=$(git rev-parse HEAD); the image is tagged with it", ErrNoRevision)
	}
	if err := source.ValidateRevision(revision); err != nil {
		return fmt.Errorf("%w (a branch, tag or short SHA is refused: the repository's tags are immutable, so a wrong tag would stay)", err)
	}
	return nil
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// DigestOf returns the digest of a pushed reference as Dagger's
// Container.Publish returns it (host/repository:tag@sha256:<digest>), or
// of a bare digest.
func DigestOf(ref string) (string, error) {
	d := ref
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		d = ref[i+1:]
	}
	if !digestPattern.MatchString(d) {
		return "", fmt.Errorf("the push returned %q, which carries no sha256 digest", ref)
	}
	return d, nil
}

// Publish makes sure the image of revision is in the environment's
// repository, tagged with revision and the environment's name, and
// returns it pinned by digest. push is called only when the revision's tag
// is not in the repository yet.
func (p *Publisher) Publish(ctx context.Context, revision string, push Pusher) (Result, error) {
	if err := CheckRevision(revision); err != nil {
		return Result{}, err
	}
	repo, err := p.Repository(ctx)
	if err != nil {
		return Result{}, err
	}
	res := Result{Repository: repo, Revision: revision, EnvTag: p.Env.TerraformEnv}
	found, err := p.find(ctx, repo, revision)
	if err != nil {
		return res, fmt.Errorf("looking up %s:%s: %w; nothing was pushed", repo.URI, revision, err)
	}
	if found != nil {
		res.Digest = found.digest
		p.logf("%s:%s is already in the repository (%s): nothing to push", repo.URI, revision, found.digest)
	} else if res.Digest, res.Pushed, err = p.push(ctx, repo, revision, push); err != nil {
		return res, err
	}
	res.Image = repo.Image(res.Digest)
	moved, unchanged, err := p.tagEnv(ctx, repo, res.Digest, res.EnvTag)
	if err != nil {
		what := "was already in the repository"
		if res.Pushed {
			what = "was pushed"
		}
		return res, fmt.Errorf("%s (tag %s) %s, but tagging it %s failed: %w; run publish again to finish (it will not push again)", res.Image, revision, what, res.EnvTag, err)
	}
	res.EnvTagMovedFrom, res.EnvTagUnchanged = moved, unchanged
	return res, nil
}

// push logs in and pushes the revision, then checks ECR reports the tag on
// the pushed digest. A push that fails because the tag appeared meanwhile
// (another run published the same revision) is the no-op after all:
// pushed is then false.
func (p *Publisher) push(ctx context.Context, repo Repository, revision string, push Pusher) (digest string, pushed bool, err error) {
	login, err := p.Login(ctx, repo)
	if err != nil {
		return "", false, fmt.Errorf("%w; nothing was pushed", err)
	}
	ref := p.PushRef(repo, revision)
	p.logf("pushing %s", ref)
	out, pushErr := push(ctx, ref, login)
	if pushErr == nil {
		digest, pushErr = DigestOf(out)
	}
	found, err := p.find(ctx, repo, revision)
	if err != nil {
		return "", false, fmt.Errorf("after pushing %s: looking the tag up in ECR: %w (push: %v)", ref, err, pushErr)
	}
	switch {
	case pushErr != nil && found != nil:
		p.logf("the push failed (%v), but %s:%s is in the repository now (%s), pushed by another run: using it", pushErr, repo.URI, revision, found.digest)
		return found.digest, false, nil
	case pushErr != nil:
		return "", false, fmt.Errorf("pushing %s: %w; ECR has no image tagged %s, so nothing was published", ref, pushErr, revision)
	case found == nil:
		return "", false, fmt.Errorf("pushed %s (%s), but ECR reports no image tagged %s in %s: is the push address the repository's registry?", ref, digest, revision, repo.Name)
	case found.digest != digest:
		return "", false, fmt.Errorf("pushed %s as %s, but ECR has %s tagged %s: another run published this revision meanwhile; run publish again to use the image in the repository", ref, digest, found.digest, revision)
	}
	p.logf("pushed %s (%s)", ref, digest)
	return digest, true, nil
}

// PushRef is the address an image tag is pushed to: the repository URI, or
// the PushHost's repository of the same name.
func (p *Publisher) PushRef(repo Repository, tag string) string {
	if p.PushHost != "" {
		return p.PushHost + "/" + repo.Name + ":" + tag
	}
	return repo.URI + ":" + tag
}

// logf writes a progress line as the deploy's and the verification's are
// written ("15:04:05 publish     pushing ...").
func (p *Publisher) logf(format string, args ...any) {
	report.NewProgress(p.Progress, nil).Printf("publish", format, args...)
}
