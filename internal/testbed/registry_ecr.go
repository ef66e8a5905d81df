package testbed

import (
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

// ecrImageOps are the ECR operations the bed answers itself.
var ecrImageOps = map[string]func(b *Bed, ctx context.Context, body []byte) (any, *ecrError){
	"GetAuthorizationToken": (*Bed).ecrGetAuthorizationToken,
	"DescribeRepositories":  nil, // kumo's, but ECR's RepositoryNotFoundException for a missing name
	"BatchGetImage":         (*Bed).ecrBatchGetImage,
	"DescribeImages":        (*Bed).ecrDescribeImages,
	"ListImages":            (*Bed).ecrListImages,
	"PutImage":              (*Bed).ecrPutImage,
	"BatchDeleteImage":      (*Bed).ecrBatchDeleteImage,
}

// ecrError is an ECR error as the SDK decodes it.
type ecrError struct {
	code, message string
}

func (b *Bed) ecrErr(code, format string, args ...any) *ecrError {
	return &ecrError{code: code, message: fmt.Sprintf(format, args...)}
}

// serveECR answers an ECR image operation; false leaves the request to kumo.
func (b *Bed) serveECR(w http.ResponseWriter, r *http.Request) bool {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), ecrTarget)
	if !ok {
		return false
	}
	h, ok := ecrImageOps[op]
	if !ok {
		return false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeECR(w, nil, b.ecrErr("ValidationException", "reading the request: %v", err))
		return true
	}
	if h == nil {
		b.describeRepositories(w, r, body)
		return true
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	out, apiErr := h(b, r.Context(), body)
	writeECR(w, out, apiErr)
	return true
}

func writeECR(w http.ResponseWriter, out any, e *ecrError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if e != nil {
		w.Header().Set("X-Amzn-Errortype", e.code)
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "message": e.message})
		return
	}
	_ = json.NewEncoder(w).Encode(out)
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
			writeECR(w, nil, b.ecrErr("ServerException", "%v", err))
			return
		}
		if m == "" {
			writeECR(w, nil, b.ecrErr("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, AccountID))
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

func (b *Bed) ecrGetAuthorizationToken(ctx context.Context, body []byte) (any, *ecrError) {
	user, pw := b.registry.Login()
	return map[string]any{"authorizationData": []map[string]any{{
		"authorizationToken": base64.StdEncoding.EncodeToString([]byte(user + ":" + pw)),
		"expiresAt":          b.registry.expires.Unix(),
		"proxyEndpoint":      fmt.Sprintf("https://%s.dkr.ecr.%s.amazonaws.com", AccountID, b.Region),
	}}}, nil
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

// repoRequest decodes a request and finds its repository: kumo's, with
// what the registry holds for it (nil when nothing was pushed).
func (b *Bed) repoRequest(ctx context.Context, body []byte) (ecrImageRequest, string, *ecrError) {
	var in ecrImageRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return in, "", b.ecrErr("SerializationException", "malformed request: %v", err)
	}
	if in.RepositoryName == "" {
		return in, "", b.ecrErr("InvalidParameterException", "repositoryName is required")
	}
	mutability, err := b.repositoryMutability(ctx, in.RepositoryName)
	if err != nil {
		return in, "", b.ecrErr("ServerException", "%v", err)
	}
	if mutability == "" || (in.RegistryID != "" && in.RegistryID != AccountID) {
		registry := in.RegistryID
		if registry == "" {
			registry = AccountID
		}
		return in, "", b.ecrErr("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", in.RepositoryName, registry)
	}
	return in, mutability, nil
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
	"ImageTagDoesNotMatchDigest": "Invalid image digest or tag",
	"MissingDigestAndTag":        "Invalid request parameters: both tag and digest cannot be null",
}

func (b *Bed) ecrBatchGetImage(ctx context.Context, body []byte) (any, *ecrError) {
	in, _, apiErr := b.repoRequest(ctx, body)
	if apiErr != nil {
		return nil, apiErr
	}
	reg := b.registry
	reg.mu.Lock()
	defer reg.mu.Unlock()
	rr := reg.repos[in.RepositoryName]
	images, failures := []map[string]any{}, []ecrFailure{}
	for _, id := range in.ImageIDs {
		img, code := resolve(rr, id)
		if img != nil && len(in.AcceptedMediaTypes) > 0 && !slices.Contains(in.AcceptedMediaTypes, img.mediaType) {
			img, code = nil, "UnsupportedImageType"
		}
		if img == nil {
			reason := failureReasons[code]
			if code == "UnsupportedImageType" {
				reason = "The image's manifest media type is not among the accepted media types"
			}
			failures = append(failures, ecrFailure{ImageID: id, FailureCode: code, FailureReason: reason})
			continue
		}
		images = append(images, map[string]any{
			"registryId": AccountID, "repositoryName": in.RepositoryName,
			"imageId":       ecrImageRef{ImageDigest: img.digest, ImageTag: id.ImageTag},
			"imageManifest": string(img.manifest), "imageManifestMediaType": img.mediaType,
		})
	}
	return map[string]any{"images": images, "failures": failures}, nil
}

// page cuts a list for maxResults and nextToken (an offset).
func page[T any](items []T, maxResults int, nextToken string, limit int) ([]T, string) {
	if maxResults <= 0 || maxResults > limit {
		maxResults = limit
	}
	start, _ := strconv.Atoi(nextToken)
	start = min(max(start, 0), len(items))
	end := min(start+maxResults, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next
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

func (b *Bed) ecrDescribeImages(ctx context.Context, body []byte) (any, *ecrError) {
	in, _, apiErr := b.repoRequest(ctx, body)
	if apiErr != nil {
		return nil, apiErr
	}
	reg := b.registry
	reg.mu.Lock()
	defer reg.mu.Unlock()
	rr := reg.repos[in.RepositoryName]
	var images []*registryImage
	if len(in.ImageIDs) > 0 {
		for _, id := range in.ImageIDs {
			img, _ := resolve(rr, id)
			if img == nil {
				return nil, b.ecrErr("ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
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
	details, next := page(details, in.MaxResults, in.NextToken, 1000)
	out := map[string]any{"imageDetails": details}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func nullable(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func (b *Bed) ecrListImages(ctx context.Context, body []byte) (any, *ecrError) {
	in, _, apiErr := b.repoRequest(ctx, body)
	if apiErr != nil {
		return nil, apiErr
	}
	reg := b.registry
	reg.mu.Lock()
	defer reg.mu.Unlock()
	rr := reg.repos[in.RepositoryName]
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
	ids, next := page(ids, in.MaxResults, in.NextToken, 1000)
	out := map[string]any{"imageIds": ids}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (b *Bed) ecrPutImage(ctx context.Context, body []byte) (any, *ecrError) {
	in, mutability, apiErr := b.repoRequest(ctx, body)
	if apiErr != nil {
		return nil, apiErr
	}
	if in.ImageManifest == "" {
		return nil, b.ecrErr("InvalidParameterException", "imageManifest is required")
	}
	reg := b.registry
	reg.mu.Lock()
	defer reg.mu.Unlock()
	ref := in.ImageTag
	if ref == "" {
		ref = in.ImageDigest
	}
	if ref == "" {
		// A manifest put by digest alone: its own.
		ref = digestOf([]byte(in.ImageManifest))
	}
	if in.ImageTag == "" {
		if rr := reg.repos[in.RepositoryName]; rr != nil && rr.images[ref] != nil {
			return nil, b.ecrErr("ImageAlreadyExistsException", "Image with digest '%s' already exists in the repository with name '%s' in registry with id '%s'", ref, in.RepositoryName, AccountID)
		}
	}
	if in.ImageDigest != "" && in.ImageDigest != digestOf([]byte(in.ImageManifest)) {
		return nil, b.ecrErr("ImageDigestDoesNotMatchException", "The provided digest '%s' does not match the digest of the manifest '%s'", in.ImageDigest, digestOf([]byte(in.ImageManifest)))
	}
	if in.ImageTag != "" {
		if rr := reg.repos[in.RepositoryName]; rr != nil && rr.tags[in.ImageTag] == digestOf([]byte(in.ImageManifest)) {
			// Even in a MUTABLE repository, ECR refuses a PutImage that changes nothing.
			return nil, b.ecrErr("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", rr.tags[in.ImageTag], in.ImageTag, in.RepositoryName, AccountID)
		}
	}
	img, werr := reg.writeLocked(ctx, in.RepositoryName, ref, []byte(in.ImageManifest), in.ImageManifestMediaType, mutability)
	if werr != nil {
		return nil, b.ecrErr(werr.ecrCode, "%s", werr.message)
	}
	return map[string]any{"image": map[string]any{
		"registryId": AccountID, "repositoryName": in.RepositoryName,
		"imageId":       ecrImageRef{ImageDigest: img.digest, ImageTag: in.ImageTag},
		"imageManifest": string(img.manifest), "imageManifestMediaType": img.mediaType,
	}}, nil
}

// ecrBatchDeleteImage deletes by tag (the tag goes; the image with it
// when it was its last tag) or by digest (the image and all its tags), as
// ECR does.
func (b *Bed) ecrBatchDeleteImage(ctx context.Context, body []byte) (any, *ecrError) {
	in, _, apiErr := b.repoRequest(ctx, body)
	if apiErr != nil {
		return nil, apiErr
	}
	reg := b.registry
	reg.mu.Lock()
	defer reg.mu.Unlock()
	rr := reg.repos[in.RepositoryName]
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
