package testbed

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// RandomImage is a small image of random layers with OCI media types, as
// Dagger pushes them: something real to push to the bed's registry.
func RandomImage() (v1.Image, error) {
	img, err := random.Image(512, 2)
	if err != nil {
		return nil, fmt.Errorf("test bed: a random image: %w", err)
	}
	return mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.OCIConfigJSON), nil
}

// PushImage pushes img to ref (e.g. localhost:<port>/<repository>:<tag>)
// over the distribution API with Basic auth, as docker push does, and
// returns ref@<digest> like Dagger's Container.Publish.
func PushImage(ctx context.Context, ref, user, password string, img v1.Image) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("test bed: push address %q: %w", ref, err)
	}
	if err := remote.Write(r, img, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: user, Password: password})); err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return ref + "@" + d.String(), nil
}

// PullDigest is the digest a tag of the registry resolves to for a client
// pulling it (HEAD of the manifest).
func PullDigest(ctx context.Context, ref, user, password string) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("test bed: pull address %q: %w", ref, err)
	}
	desc, err := remote.Head(r, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: user, Password: password}))
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

// PullConfig is the image config (platform, labels) a client pulling ref
// gets.
func PullConfig(ctx context.Context, ref, user, password string) (*v1.ConfigFile, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("test bed: pull address %q: %w", ref, err)
	}
	img, err := remote.Image(r, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: user, Password: password}))
	if err != nil {
		return nil, err
	}
	return img.ConfigFile()
}
