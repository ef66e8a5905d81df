package testbed

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ggcr "github.com/google/go-containerregistry/pkg/registry"
)

// The bed's container registry stands in for ECR's: a real OCI
// distribution API (go-containerregistry's in-memory registry) on its own
// port, behind ECR's rules:
//
//   - every request needs Basic auth with the password of the bed's
//     GetAuthorizationToken (user AWS), as ECR's does;
//   - a repository must exist (ECR CreateRepository, kept by kumo) before
//     anything is pushed to it;
//   - in a repository whose tags are IMMUTABLE, pushing a tag that exists
//     is refused, even with the same manifest (ECR's TAG_INVALID);
//   - a manifest whose layers or config were not uploaded is refused.
//
// Every manifest written is recorded, and the bed's ECR image operations
// (BatchGetImage, DescribeImages, ListImages, PutImage, BatchDeleteImage)
// answer from that record and write through to the registry: what a push
// did is what the ECR API reports, and a tag put through the API can be
// pulled. See registry_ecr.go.

// Registry is the bed's container registry.
type Registry struct {
	// Host is host:port on 127.0.0.1; push to localhost:<port>/<repository>.
	Host string
	// Port is the port it listens on.
	Port string

	bed      *Bed
	inner    http.Handler
	server   *http.Server
	password string
	expires  time.Time

	mu     sync.Mutex // serialises writes, so a tag check and its write are one step
	repos  map[string]*registryRepo
	pushes map[string]int
}

// registryRepo is what was pushed to one repository.
type registryRepo struct {
	images map[string]*registryImage // by digest
	tags   map[string]string         // tag -> digest
}

// registryImage is one manifest as pushed.
type registryImage struct {
	digest, mediaType, artifactMediaType string
	manifest                             []byte
	size                                 int64
	pushedAt                             time.Time
}

// tagsOf lists an image's tags, sorted.
func (r *registryRepo) tagsOf(digest string) []string {
	var tags []string
	for t, d := range r.tags {
		if d == digest {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	return tags
}

// startRegistry starts the registry on addr (host:port).
func startRegistry(b *Bed, addr string) (*Registry, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("test bed: the registry listening on %s: %w (pick another host:port, or port 0 for a free one)", addr, err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	pw := make([]byte, 24)
	_, _ = rand.Read(pw)
	r := &Registry{
		Host: ln.Addr().String(), Port: port, bed: b,
		inner:    ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0))),
		password: base64.RawURLEncoding.EncodeToString(pw),
		expires:  time.Now().Add(12 * time.Hour),
		repos:    map[string]*registryRepo{},
		pushes:   map[string]int{},
	}
	r.server = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.server.Serve(ln) }()
	return r, nil
}

func (r *Registry) close(ctx context.Context) { _ = r.server.Shutdown(ctx) }

// Ref is the address to push a repository's tag to: localhost:<port>/<repository>:<tag>.
func (r *Registry) Ref(repository, tag string) string {
	return "localhost:" + r.Port + "/" + repository + ":" + tag
}

// Service is the --registry argument of the Dagger module for this
// registry: tcp://localhost:<port>.
func (r *Registry) Service() string { return "tcp://localhost:" + r.Port }

// Login is the registry's user and password, as GetAuthorizationToken
// hands them out.
func (r *Registry) Login() (user, password string) { return "AWS", r.password }

// Pushes counts the manifests pushed to a repository through the
// distribution API (not PutImage), for tests of the no-op re-publish.
func (r *Registry) Pushes(repository string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pushes[repository]
}

// regErr writes a distribution-API error.
func regErr(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": code, "message": message}}})
}

// serve checks ECR's rules, then lets the registry answer.
func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	if !r.authorized(req) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Basic realm="https://%s.dkr.ecr.%s.amazonaws.com/",service="ecr.amazonaws.com"`, AccountID, r.bed.Region))
		regErr(w, http.StatusUnauthorized, "DENIED", "Not Authorized")
		return
	}
	repo, kind, ref := splitRegistryPath(req.URL.Path)
	if repo == "" {
		r.inner.ServeHTTP(w, req)
		return
	}
	mutability, err := r.bed.repositoryMutability(req.Context(), repo)
	if err != nil {
		regErr(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	if mutability == "" {
		regErr(w, http.StatusNotFound, "NAME_UNKNOWN", repositoryNotFound(repo, AccountID))
		return
	}
	switch {
	case kind == "manifests" && req.Method == http.MethodPut:
		r.pushManifest(w, req, repo, ref, mutability)
	case kind == "manifests" && req.Method == http.MethodDelete:
		regErr(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "ECR deletes images through its API (BatchDeleteImage), not the registry")
	default:
		r.inner.ServeHTTP(w, req)
	}
}

// authorized checks Basic auth against the bed's ECR password.
func (r *Registry) authorized(req *http.Request) bool {
	user, pw, ok := req.BasicAuth()
	return ok && user == "AWS" && subtle.ConstantTimeCompare([]byte(pw), []byte(r.password)) == 1 && time.Now().Before(r.expires)
}

// splitRegistryPath splits /v2/<repo>/<kind>/<ref> (kind: manifests, blobs,
// tags); repo is empty for /v2/ and the catalog.
func splitRegistryPath(path string) (repo, kind, ref string) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", "", ""
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	for i := len(parts) - 2; i >= 1; i-- {
		switch parts[i] {
		case "manifests", "blobs", "tags":
			return strings.Join(parts[:i], "/"), parts[i], strings.Join(parts[i+1:], "/")
		}
	}
	return "", "", ""
}

// pushManifest applies ECR's rules to a manifest push, then records it.
func (r *Registry) pushManifest(w http.ResponseWriter, req *http.Request, repo, ref, mutability string) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 4<<20))
	if err != nil {
		regErr(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	img, apiErr := r.writeLocked(req.Context(), repo, ref, body, req.Header.Get("Content-Type"), mutability)
	if apiErr != nil {
		status := http.StatusBadRequest
		if apiErr.registryCode == "NAME_UNKNOWN" {
			status = http.StatusNotFound
		}
		regErr(w, status, apiErr.registryCode, apiErr.message)
		return
	}
	r.pushes[repo]++
	w.Header().Set("Docker-Content-Digest", img.digest)
	w.Header().Set("Location", "/v2/"+repo+"/manifests/"+img.digest)
	w.WriteHeader(http.StatusCreated)
}

// writeError is a refused write, as the registry and the ECR API word it.
type writeError struct {
	registryCode, ecrCode, message string
}

// writeLocked checks and writes a manifest under ref (a tag or its
// digest) into the registry and the record. r.mu is held.
func (r *Registry) writeLocked(ctx context.Context, repo, ref string, manifest []byte, mediaType, mutability string) (*registryImage, *writeError) {
	digest := digestOf(manifest)
	isDigest := strings.HasPrefix(ref, "sha256:")
	if isDigest && ref != digest {
		return nil, &writeError{"DIGEST_INVALID", "ImageDigestDoesNotMatchException", fmt.Sprintf("The provided digest '%s' does not match the digest of the manifest '%s'", ref, digest)}
	}
	var parsed struct {
		MediaType string `json:"mediaType"`
		Config    struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
			Size      int64  `json:"size"`
		} `json:"config"`
		Layers []struct {
			Digest string `json:"digest"`
			Size   int64  `json:"size"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(manifest, &parsed); err != nil {
		return nil, &writeError{"MANIFEST_INVALID", "InvalidParameterException", "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'"}
	}
	if mediaType == "" {
		mediaType = parsed.MediaType
	}
	if mediaType == "" {
		return nil, &writeError{"MANIFEST_INVALID", "InvalidParameterException", "the manifest has no media type"}
	}
	rr := r.repos[repo]
	if rr == nil {
		rr = &registryRepo{images: map[string]*registryImage{}, tags: map[string]string{}}
		r.repos[repo] = rr
	}
	if !isDigest {
		if existing, ok := rr.tags[ref]; ok && mutability != "MUTABLE" {
			if existing == digest {
				return nil, &writeError{"TAG_INVALID", "ImageAlreadyExistsException", fmt.Sprintf("Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", digest, ref, repo, AccountID)}
			}
			return nil, &writeError{"TAG_INVALID", "ImageTagAlreadyExistsException", fmt.Sprintf("The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", ref, repo)}
		}
	}
	size := parsed.Config.Size
	var missing []string
	blobs := []string{}
	if parsed.Config.Digest != "" {
		blobs = append(blobs, parsed.Config.Digest)
	}
	for _, l := range parsed.Layers {
		blobs = append(blobs, l.Digest)
		size += l.Size
	}
	for _, b := range blobs {
		if !r.has(ctx, repo, "blobs", b) {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return nil, &writeError{"MANIFEST_BLOB_UNKNOWN", "LayersNotFoundException", fmt.Sprintf("Layers with digests '%v' required for pushing image into repository with name '%s' in registry with id '%s' do not exist", missing, repo, AccountID)}
	}
	rec := httptest.NewRecorder()
	put := httptest.NewRequestWithContext(ctx, http.MethodPut, "/v2/"+repo+"/manifests/"+ref, bytes.NewReader(manifest))
	put.Header.Set("Content-Type", mediaType)
	r.inner.ServeHTTP(rec, put)
	if rec.Code != http.StatusCreated {
		return nil, &writeError{"MANIFEST_INVALID", "InvalidParameterException", strings.TrimSpace(rec.Body.String())}
	}
	img := rr.images[digest]
	if img == nil {
		img = &registryImage{digest: digest, mediaType: mediaType, artifactMediaType: parsed.Config.MediaType, manifest: manifest, size: size, pushedAt: time.Now()}
		rr.images[digest] = img
	}
	if !isDigest {
		rr.tags[ref] = digest
	}
	return img, nil
}

// digestOf is a manifest's sha256 digest.
func digestOf(manifest []byte) string {
	sum := sha256.Sum256(manifest)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// has reports whether the registry has a blob or manifest.
func (r *Registry) has(ctx context.Context, repo, kind, ref string) bool {
	rec := httptest.NewRecorder()
	r.inner.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodHead, "/v2/"+repo+"/"+kind+"/"+ref, nil))
	return rec.Code == http.StatusOK
}

// deleteLocked removes a tag or manifest from the registry. r.mu is held.
func (r *Registry) deleteLocked(ctx context.Context, repo, ref string) {
	rec := httptest.NewRecorder()
	r.inner.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodDelete, "/v2/"+repo+"/manifests/"+ref, nil))
}

// repositoryMutability is a repository's imageTagMutability as kumo keeps
// it, "" when the repository does not exist.
func (b *Bed) repositoryMutability(ctx context.Context, name string) (string, error) {
	out, err := b.kumoECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	if err != nil {
		return "", fmt.Errorf("test bed: looking up repository %s: %w", name, err)
	}
	for _, repo := range out.Repositories {
		if aws.ToString(repo.RepositoryName) == name {
			if repo.ImageTagMutability == "" {
				return "MUTABLE", nil
			}
			return string(repo.ImageTagMutability), nil
		}
	}
	return "", nil
}

// CreateRepository creates an ECR repository as the registry stack does
// (terraform/modules/registry: IMMUTABLE tags unless mutable), through the
// bed's ECR API. kumo keeps repositories process-wide, so one that exists
// already is emptied and given the asked mutability instead.
func (b *Bed) CreateRepository(ctx context.Context, name string, mutable bool) error {
	mutability := ecrtypes.ImageTagMutabilityImmutable
	if mutable {
		mutability = ecrtypes.ImageTagMutabilityMutable
	}
	_, _ = b.kumoECR.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(name), Force: true})
	if _, err := b.kumoECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name), ImageTagMutability: mutability}); err != nil {
		return fmt.Errorf("test bed: creating repository %s: %w", name, err)
	}
	b.registry.mu.Lock()
	delete(b.registry.repos, name)
	b.registry.mu.Unlock()
	return nil
}
