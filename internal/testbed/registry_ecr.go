package testbed

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The bed's answers to ECR's image operations, from what the registry
// holds (registry.go), in ECR's awsJson1_1 protocol. Repositories
// themselves stay kumo's.

// ecrTarget is the X-Amz-Target prefix of ECR requests.
const ecrTarget = "AmazonEC2ContainerRegistry_V20150921."

// ecrImageOp answers one ECR image operation from the registry's record
// (registry.go): the decoded request, its repository's tag mutability and
// what was pushed to it (nil when nothing was), with the registry locked.
type ecrImageOp func(b *Bed, ctx context.Context, in ecrImageRequest, mutability string, rr *registryRepo) (any, *ecrError)

// ecrImageOps are the image operations the bed answers itself; besides
// them it answers GetAuthorizationToken (the registry's password) and
// DescribeRepositories (kumo's, with ECR's error for a missing name).
var ecrImageOps = map[string]ecrImageOp{
	"BatchGetImage":    (*Bed).ecrBatchGetImage,
	"DescribeImages":   (*Bed).ecrDescribeImages,
	"ListImages":       (*Bed).ecrListImages,
	"PutImage":         (*Bed).ecrPutImage,
	"BatchDeleteImage": (*Bed).ecrBatchDeleteImage,
}

// ecrError is an ECR error as the SDK decodes it.
type ecrError struct {
	code, message string
}

func ecrErr(code, format string, args ...any) *ecrError {
	return &ecrError{code: code, message: fmt.Sprintf(format, args...)}
}

// repositoryNotFound is ECR's message for a repository that does not exist.
func repositoryNotFound(name, registryID string) string {
	return fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", name, registryID)
}

// serveECR answers the ECR operations the bed keeps itself; false leaves
// the request to kumo.
func (b *Bed) serveECR(w http.ResponseWriter, r *http.Request) bool {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), ecrTarget)
	imageOp, isImageOp := ecrImageOps[op]
	if !ok || (!isImageOp && op != "GetAuthorizationToken" && op != "DescribeRepositories") {
		return false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeECR(w, nil, ecrErr("ValidationException", "reading the request: %v", err))
		return true
	}
	switch op {
	case "GetAuthorizationToken":
		writeECR(w, b.ecrAuthorizationToken(), nil)
	case "DescribeRepositories":
		b.describeRepositories(w, r, body)
	default:
		out, apiErr := b.serveImageOp(r.Context(), body, imageOp)
		writeECR(w, out, apiErr)
	}
	return true
}

func writeECR(w http.ResponseWriter, out any, e *ecrError) {
	if e != nil {
		writeAWSJSONError(w, http.StatusBadRequest, e.code, e.message)
		return
	}
	writeAWSJSON(w, out)
}

// describeRepositories is kumo's, except that a repository named and
// missing is ECR's RepositoryNotFoundException (kumo leaves it out).
func (b *Bed) describeRepositories(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		RepositoryNames []string `json:"repositoryNames"`
	}
	_ = json.Unmarshal(body, &in)
	for _, name := range in.RepositoryNames {
		m, err := b.repositoryMutability(r.Context(), name)
		if err != nil {
			writeECR(w, nil, ecrErr("ServerException", "%v", err))
			return
		}
		if m == "" {
			writeECR(w, nil, ecrErr("RepositoryNotFoundException", "%s", repositoryNotFound(name, AccountID)))
			return
		}
	}
	rec := httptest.NewRecorder()
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(strings.NewReader(string(body)))
	req.ContentLength = int64(len(body))
	b.proxy.ServeHTTP(rec, req)
	copyResponse(w, rec)
}

func (b *Bed) ecrAuthorizationToken() any {
	user, pw := b.registry.Login()
	return map[string]any{"authorizationData": []map[string]any{{
		"authorizationToken": base64.StdEncoding.EncodeToString([]byte(user + ":" + pw)),
		"expiresAt":          b.registry.expires.Unix(),
		"proxyEndpoint":      fmt.Sprintf("https://%s.dkr.ecr.%s.amazonaws.com", AccountID, b.Region),
	}}}
}

type ecrImageRef struct {
	ImageDigest string `json:"imageDigest,omitempty"`
	ImageTag    string `json:"imageTag,omitempty"`
}

type ecrImageRequest struct {
	RegistryID             string        `json:"registryId"`
	RepositoryName         string        `json:"repositoryName"`
	ImageIDs               []ecrImageRef `json:"imageIds"`
	AcceptedMediaTypes     []string      `json:"acceptedMediaTypes"`
	ImageManifest          string        `json:"imageManifest"`
	ImageManifestMediaType string        `json:"imageManifestMediaType"`
	ImageTag               string        `json:"imageTag"`
	ImageDigest            string        `json:"imageDigest"`
	MaxResults             int           `json:"maxResults"`
	NextToken              string        `json:"nextToken"`
	Filter                 struct {
		TagStatus string `json:"tagStatus"`
	} `json:"filter"`
}

type ecrFailure struct {
	ImageID       ecrImageRef `json:"imageId"`
	FailureCode   string      `json:"failureCode"`
	FailureReason string      `json:"failureReason"`
}

// serveImageOp decodes an image operation's request, finds its repository
// (kumo's) and runs op on what the registry holds for it, locked.
func (b *Bed) serveImageOp(ctx context.Context, body []byte, op ecrImageOp) (any, *ecrError) {
	var in ecrImageRequest
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, ecrErr("SerializationException", "malformed request: %v", err)
	}
	if in.RepositoryName == "" {
		return nil, ecrErr("InvalidParameterException", "repositoryName is required")
	}
	mutability, err := b.repositoryMutability(ctx, in.RepositoryName)
	if err != nil {
		return nil, ecrErr("ServerException", "%v", err)
	}
	if mutability == "" || (in.RegistryID != "" && in.RegistryID != AccountID) {
		return nil, ecrErr("RepositoryNotFoundException", "%s", repositoryNotFound(in.RepositoryName, cmp.Or(in.RegistryID, AccountID)))
	}
	b.registry.mu.Lock()
	defer b.registry.mu.Unlock()
	return op(b, ctx, in, mutability, b.registry.repos[in.RepositoryName])
}

// resolve finds an image by tag and/or digest in rr (which may be nil).
func resolve(rr *registryRepo, id ecrImageRef) (*registryImage, string) {
	if rr == nil {
		return nil, "ImageNotFound"
	}
	digest := id.ImageDigest
	if id.ImageTag != "" {
		d, ok := rr.tags[id.ImageTag]
		if !ok {
			return nil, "ImageNotFound"
		}
		if digest != "" && digest != d {
			return nil, "ImageTagDoesNotMatchDigest"
		}
		digest = d
	}
	if digest == "" {
		return nil, "MissingDigestAndTag"
	}
	img := rr.images[digest]
	if img == nil {
		return nil, "ImageNotFound"
	}
	return img, ""
}

var failureReasons = map[string]string{
	"ImageNotFound":              "Requested image not found",
	"UnsupportedImageType":       "The image's manifest media type is not among the accepted media types",
	"ImageTagDoesNotMatchDigest": "Invalid image digest or tag",
	"MissingDigestAndTag":        "Invalid request parameters: both tag and digest cannot be null",
}

func (b *Bed) ecrBatchGetImage(_ context.Context, in ecrImageRequest, _ string, rr *registryRepo) (any, *ecrError) {
	images, failures := []map[string]any{}, []ecrFailure{}
	for _, id := range in.ImageIDs {
		img, code := resolve(rr, id)
		if img != nil && len(in.AcceptedMediaTypes) > 0 && !slices.Contains(in.AcceptedMediaTypes, img.mediaType) {
			img, code = nil, "UnsupportedImageType"
		}
		if img == nil {
			failures = append(failures, ecrFailure{ImageID: id, FailureCode: code, FailureReason: failureReasons[code]})
			continue
		}
		images = append(images, ecrImage(in.RepositoryName, img, id.ImageTag))
	}
	return map[string]any{"images": images, "failures": failures}, nil
}

// ecrImage is an image as BatchGetImage and PutImage return it.
func ecrImage(repository string, img *registryImage, tag string) map[string]any {
	return map[string]any{
		"registryId": AccountID, "repositoryName": repository,
		"imageId":       ecrImageRef{ImageDigest: img.digest, ImageTag: tag},
		"imageManifest": string(img.manifest), "imageManifestMediaType": img.mediaType,
	}
}

// paged is a list operation's answer: the page of items under key that
// maxResults and nextToken (an offset) ask for, and the next token when
// more remain.
func paged[T any](key string, items []T, in ecrImageRequest) map[string]any {
	maxResults := in.MaxResults
	if maxResults <= 0 || maxResults > 1000 {
		maxResults = 1000
	}
	start, _ := strconv.Atoi(in.NextToken)
	start = min(max(start, 0), len(items))
	end := min(start+maxResults, len(items))
	out := map[string]any{key: items[start:end]}
	if end < len(items) {
		out["nextToken"] = strconv.Itoa(end)
	}
	return out
}

// sortedImages lists a repository's images, most recently pushed first.
func sortedImages(rr *registryRepo) []*registryImage {
	if rr == nil {
		return nil
	}
	var out []*registryImage
	for _, img := range rr.images {
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].pushedAt.Equal(out[j].pushedAt) {
			return out[i].pushedAt.After(out[j].pushedAt)
		}
		return out[i].digest < out[j].digest
	})
	return out
}

func tagStatusMatches(status string, tags []string) bool {
	switch status {
	case "TAGGED":
		return len(tags) > 0
	case "UNTAGGED":
		return len(tags) == 0
	}
	return true
}

func (b *Bed) ecrDescribeImages(_ context.Context, in ecrImageRequest, _ string, rr *registryRepo) (any, *ecrError) {
	var images []*registryImage
	if len(in.ImageIDs) > 0 {
		for _, id := range in.ImageIDs {
			img, _ := resolve(rr, id)
			if img == nil {
				return nil, ecrErr("ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
					nullable(id.ImageDigest), nullable(id.ImageTag), in.RepositoryName, AccountID)
			}
			images = append(images, img)
		}
	} else {
		images = sortedImages(rr)
	}
	details := []map[string]any{}
	for _, img := range images {
		tags := rr.tagsOf(img.digest)
		if len(in.ImageIDs) == 0 && !tagStatusMatches(in.Filter.TagStatus, tags) {
			continue
		}
		d := map[string]any{
			"registryId": AccountID, "repositoryName": in.RepositoryName, "imageDigest": img.digest,
			"imageSizeInBytes": img.size, "imagePushedAt": img.pushedAt.Unix(), "imageManifestMediaType": img.mediaType,
		}
		if len(tags) > 0 {
			d["imageTags"] = tags
		}
		if img.artifactMediaType != "" {
			d["artifactMediaType"] = img.artifactMediaType
		}
		details = append(details, d)
	}
	return paged("imageDetails", details, in), nil
}

func nullable(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func (b *Bed) ecrListImages(_ context.Context, in ecrImageRequest, _ string, rr *registryRepo) (any, *ecrError) {
	ids := []ecrImageRef{}
	for _, img := range sortedImages(rr) {
		tags := rr.tagsOf(img.digest)
		if !tagStatusMatches(in.Filter.TagStatus, tags) {
			continue
		}
		if len(tags) == 0 {
			ids = append(ids, ecrImageRef{ImageDigest: img.digest})
		}
		for _, t := range tags {
			ids = append(ids, ecrImageRef{ImageDigest: img.digest, ImageTag: t})
		}
	}
	return paged("imageIds", ids, in), nil
}

func (b *Bed) ecrPutImage(ctx context.Context, in ecrImageRequest, mutability string, rr *registryRepo) (any, *ecrError) {
	if in.ImageManifest == "" {
		return nil, ecrErr("InvalidParameterException", "imageManifest is required")
	}
	digest := digestOf([]byte(in.ImageManifest))
	// A manifest put by digest alone is put under its own.
	ref := cmp.Or(in.ImageTag, in.ImageDigest, digest)
	if in.ImageTag == "" && rr != nil && rr.images[ref] != nil {
		return nil, ecrErr("ImageAlreadyExistsException", "Image with digest '%s' already exists in the repository with name '%s' in registry with id '%s'", ref, in.RepositoryName, AccountID)
	}
	if in.ImageDigest != "" && in.ImageDigest != digest {
		return nil, ecrErr("ImageDigestDoesNotMatchException", "The provided digest '%s' does not match the digest of the manifest '%s'", in.ImageDigest, digest)
	}
	if in.ImageTag != "" && rr != nil && rr.tags[in.ImageTag] == digest {
		// Even in a MUTABLE repository, ECR refuses a PutImage that changes nothing.
		return nil, ecrErr("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", digest, in.ImageTag, in.RepositoryName, AccountID)
	}
	img, werr := b.registry.writeLocked(ctx, in.RepositoryName, ref, []byte(in.ImageManifest), in.ImageManifestMediaType, mutability)
	if werr != nil {
		return nil, ecrErr(werr.ecrCode, "%s", werr.message)
	}
	return map[string]any{"image": ecrImage(in.RepositoryName, img, in.ImageTag)}, nil
}

// ecrBatchDeleteImage deletes by tag (the tag goes; the image with it
// when it was its last tag) or by digest (the image and all its tags), as
// ECR does.
func (b *Bed) ecrBatchDeleteImage(ctx context.Context, in ecrImageRequest, _ string, rr *registryRepo) (any, *ecrError) {
	reg := b.registry
	deleted, failures := []ecrImageRef{}, []ecrFailure{}
	for _, id := range in.ImageIDs {
		img, code := resolve(rr, id)
		if img == nil {
			failures = append(failures, ecrFailure{ImageID: id, FailureCode: code, FailureReason: failureReasons[code]})
			continue
		}
		var untag []string
		if id.ImageTag != "" {
			untag = []string{id.ImageTag}
		} else {
			untag = rr.tagsOf(img.digest)
		}
		for _, t := range untag {
			delete(rr.tags, t)
			reg.deleteLocked(ctx, in.RepositoryName, t)
			deleted = append(deleted, ecrImageRef{ImageDigest: img.digest, ImageTag: t})
		}
		if len(rr.tagsOf(img.digest)) == 0 {
			delete(rr.images, img.digest)
			reg.deleteLocked(ctx, in.RepositoryName, img.digest)
			if len(untag) == 0 {
				deleted = append(deleted, ecrImageRef{ImageDigest: img.digest})
			}
		}
	}
	return map[string]any{"imageIds": deleted, "failures": failures}, nil
}
