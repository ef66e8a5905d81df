package testbed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ECR's DescribeImages, which kumo lacks (Terraform's aws_ecr_repository
// data source reads it on every plan). The bed answers it from kumo's own
// images (ListImages, BatchGetImage) and the push times it saw go by
// (PutImage through the bed).

const (
	ecrTargetPrefix     = "AmazonEC2ContainerRegistry_V20150921."
	ecrDescribeImages   = ecrTargetPrefix + "DescribeImages"
	ecrPutImage         = ecrTargetPrefix + "PutImage"
	ecrListImages       = ecrTargetPrefix + "ListImages"
	ecrBatchGetImage    = ecrTargetPrefix + "BatchGetImage"
	describeImagesLimit = 1000
)

type ecrImageID struct {
	ImageDigest string `json:"imageDigest,omitempty"`
	ImageTag    string `json:"imageTag,omitempty"`
}

type describeImagesRequest struct {
	RegistryID     string       `json:"registryId,omitempty"`
	RepositoryName string       `json:"repositoryName"`
	ImageIDs       []ecrImageID `json:"imageIds,omitempty"`
	NextToken      string       `json:"nextToken,omitempty"`
	MaxResults     int          `json:"maxResults,omitempty"`
	Filter         *struct {
		TagStatus string `json:"tagStatus,omitempty"`
	} `json:"filter,omitempty"`
}

type ecrImageDetail struct {
	RegistryID             string   `json:"registryId,omitempty"`
	RepositoryName         string   `json:"repositoryName"`
	ImageDigest            string   `json:"imageDigest"`
	ImageTags              []string `json:"imageTags,omitempty"`
	ImageSizeInBytes       int64    `json:"imageSizeInBytes"`
	ImagePushedAt          *float64 `json:"imagePushedAt,omitempty"`
	ImageManifestMediaType string   `json:"imageManifestMediaType,omitempty"`
}

// recordPush passes PutImage to kumo and notes when each image arrived.
func (b *Bed) recordPush(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	b.proxy.ServeHTTP(rec, r)
	var out struct {
		Image struct {
			RepositoryName string     `json:"repositoryName"`
			ImageID        ecrImageID `json:"imageId"`
		} `json:"image"`
	}
	if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &out) == nil && out.Image.ImageID.ImageDigest != "" {
		b.mu.Lock()
		key := out.Image.RepositoryName + "@" + out.Image.ImageID.ImageDigest
		if _, seen := b.pushedAt[key]; !seen {
			b.pushedAt[key] = time.Now()
		}
		b.mu.Unlock()
	}
	copyResponse(w, rec)
}

// describeImages answers ECR DescribeImages: every image of the repository
// (or the imageIds asked for), its tags, push time, manifest media type and
// size, filtered by tag status and paged by maxResults / nextToken.
func (b *Bed) describeImages(w http.ResponseWriter, r *http.Request) {
	var req describeImagesRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.RepositoryName == "" {
		writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", "repositoryName is required")
		return
	}
	if req.MaxResults == 0 {
		req.MaxResults = 100
	}
	if req.MaxResults < 1 || req.MaxResults > describeImagesLimit || (len(req.ImageIDs) > 0 && req.NextToken != "") {
		writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", "maxResults must be between 1 and 1000, and nextToken cannot be used with imageIds")
		return
	}
	images, status, err := b.listImages(r.Context(), req.RepositoryName)
	if err != nil {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, err.Error())
		return
	}
	if len(req.ImageIDs) > 0 {
		var picked []ecrImageDetail
		for _, id := range req.ImageIDs {
			found := false
			for _, d := range images {
				if (id.ImageDigest == "" || id.ImageDigest == d.ImageDigest) && (id.ImageTag == "" || slices.Contains(d.ImageTags, id.ImageTag)) {
					picked, found = append(picked, d), true
					break
				}
			}
			if !found {
				writeJSONError(w, http.StatusBadRequest, "ImageNotFoundException",
					fmt.Sprintf("The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'", id.ImageDigest, id.ImageTag, req.RepositoryName, AccountID))
				return
			}
		}
		images = picked
	}
	if req.Filter != nil {
		var kept []ecrImageDetail
		for _, d := range images {
			tagged := len(d.ImageTags) > 0
			switch req.Filter.TagStatus {
			case "TAGGED":
				if tagged {
					kept = append(kept, d)
				}
			case "UNTAGGED":
				if !tagged {
					kept = append(kept, d)
				}
			default:
				kept = append(kept, d)
			}
		}
		images = kept
	}
	start, _ := strconv.Atoi(req.NextToken)
	if start < 0 || start > len(images) {
		writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", "invalid nextToken")
		return
	}
	out := struct {
		ImageDetails []ecrImageDetail `json:"imageDetails"`
		NextToken    string           `json:"nextToken,omitempty"`
	}{ImageDetails: []ecrImageDetail{}}
	end := min(start+req.MaxResults, len(images))
	out.ImageDetails = append(out.ImageDetails, images[start:end]...)
	if end < len(images) {
		out.NextToken = strconv.Itoa(end)
	}
	writeJSON(w, out)
}

// listImages is every image of a repository as ECR describes it. On a kumo
// error it returns kumo's status and body as the error.
func (b *Bed) listImages(ctx context.Context, repository string) ([]ecrImageDetail, int, error) {
	byDigest := map[string]*ecrImageDetail{}
	var order []string
	for token := ""; ; {
		var page struct {
			ImageIDs  []ecrImageID `json:"imageIds"`
			NextToken string       `json:"nextToken"`
		}
		if status, err := b.callKumo(ctx, ecrListImages, map[string]any{"repositoryName": repository, "nextToken": token}, &page); err != nil {
			return nil, status, err
		}
		for _, id := range page.ImageIDs {
			d, ok := byDigest[id.ImageDigest]
			if !ok {
				d = &ecrImageDetail{RegistryID: AccountID, RepositoryName: repository, ImageDigest: id.ImageDigest}
				byDigest[id.ImageDigest] = d
				order = append(order, id.ImageDigest)
			}
			if id.ImageTag != "" && !slices.Contains(d.ImageTags, id.ImageTag) {
				d.ImageTags = append(d.ImageTags, id.ImageTag)
			}
		}
		if token = page.NextToken; token == "" {
			break
		}
	}
	if len(order) > 0 {
		ids := make([]ecrImageID, len(order))
		for i, dg := range order {
			ids[i] = ecrImageID{ImageDigest: dg}
		}
		var got struct {
			Images []struct {
				ImageID       ecrImageID `json:"imageId"`
				ImageManifest string     `json:"imageManifest"`
			} `json:"images"`
		}
		if status, err := b.callKumo(ctx, ecrBatchGetImage, map[string]any{"repositoryName": repository, "imageIds": ids}, &got); err != nil {
			return nil, status, err
		}
		for _, img := range got.Images {
			if d, ok := byDigest[img.ImageID.ImageDigest]; ok {
				d.ImageManifestMediaType, d.ImageSizeInBytes = manifestFacts(img.ImageManifest)
			}
		}
	}
	out := make([]ecrImageDetail, 0, len(order))
	b.mu.Lock()
	for _, dg := range order {
		d := byDigest[dg]
		sort.Strings(d.ImageTags)
		if t, ok := b.pushedAt[repository+"@"+dg]; ok {
			secs := float64(t.UnixMilli()) / 1000
			d.ImagePushedAt = &secs
		}
		out = append(out, *d)
	}
	b.mu.Unlock()
	return out, http.StatusOK, nil
}

// manifestFacts reads an image manifest's media type and the image's size
// (config plus layers, as ECR reports it).
func manifestFacts(manifest string) (string, int64) {
	var m struct {
		MediaType string `json:"mediaType"`
		Config    struct {
			Size int64 `json:"size"`
		} `json:"config"`
		Layers []struct {
			Size int64 `json:"size"`
		} `json:"layers"`
	}
	if json.Unmarshal([]byte(manifest), &m) != nil {
		return "", 0
	}
	size := m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	return m.MediaType, size
}

// callKumo makes one AWS JSON 1.1 call straight to kumo. On an AWS error it
// returns kumo's status and its JSON error body as the error text.
func (b *Bed) callKumo(ctx context.Context, target string, in, out any) (int, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return http.StatusInternalServerError, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.kumo.URL+"/", bytes.NewReader(body))
	if err != nil {
		return http.StatusInternalServerError, err
	}
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return http.StatusInternalServerError, fmt.Errorf("test bed: %s: %w", target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return http.StatusInternalServerError, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("%s", strings.TrimSpace(string(data)))
	}
	if out == nil {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.Unmarshal(data, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = w.Write(data)
}

// writeJSONError writes an AWS JSON protocol error.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	data, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	_, _ = w.Write(data)
}
