package testbed

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// What the stack's registry apply needs from KMS that kumo lacks: automatic
// key rotation (EnableKeyRotation, DisableKeyRotation, and
// GetKeyRotationStatus reporting it), which the AWS provider sets on every
// aws_kms_key with enable_key_rotation and then waits to see. Keys, aliases
// and policies are kumo's.

const kmsTarget = "TrentService."

// kmsRotation is a key's rotation as EnableKeyRotation set it.
type kmsRotation struct {
	periodDays int
	enabledAt  time.Time
}

// serveKMS answers the KMS actions the bed adds and reports whether it did.
func (b *Bed) serveKMS(w http.ResponseWriter, r *http.Request) bool {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), kmsTarget)
	if !ok || (op != "EnableKeyRotation" && op != "DisableKeyRotation" && op != "GetKeyRotationStatus") {
		return false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeAWSJSONError(w, http.StatusBadRequest, "ValidationException", err.Error())
		return true
	}
	var in struct {
		KeyID                string `json:"KeyId"`
		RotationPeriodInDays *int   `json:"RotationPeriodInDays"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.KeyID == "" {
		writeAWSJSONError(w, http.StatusBadRequest, "ValidationException", "KeyId is required")
		return true
	}
	// The key as kumo knows it (an ID, ARN or alias resolves to its ID).
	var described struct {
		KeyMetadata struct {
			KeyID string `json:"KeyId"`
			Arn   string `json:"Arn"`
		} `json:"KeyMetadata"`
	}
	if status, err := b.callKumo(r.Context(), kmsTarget+"DescribeKey", map[string]string{"KeyId": in.KeyID}, &described); err != nil {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, err.Error())
		return true
	}
	id := described.KeyMetadata.KeyID
	b.mu.Lock()
	defer b.mu.Unlock()
	switch op {
	case "EnableKeyRotation":
		period := 365
		if in.RotationPeriodInDays != nil {
			period = *in.RotationPeriodInDays
		}
		if period < 90 || period > 2560 {
			writeAWSJSONError(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf("RotationPeriodInDays must be between 90 and 2560, got %d", period))
			return true
		}
		b.rotations[id] = kmsRotation{periodDays: period, enabledAt: time.Now().UTC()}
		writeAWSJSON(w, struct{}{})
	case "DisableKeyRotation":
		delete(b.rotations, id)
		writeAWSJSON(w, struct{}{})
	default:
		out := map[string]any{"KeyId": described.KeyMetadata.Arn, "KeyRotationEnabled": false}
		if rot, ok := b.rotations[id]; ok {
			out["KeyRotationEnabled"] = true
			out["RotationPeriodInDays"] = rot.periodDays
			out["NextRotationDate"] = float64(rot.enabledAt.AddDate(0, 0, rot.periodDays).Unix())
		}
		writeAWSJSON(w, out)
	}
	return true
}

// KeyRotation reports whether automatic rotation is on for a key (by ID)
// and its period in days.
func (b *Bed) KeyRotation(keyID string) (enabled bool, periodDays int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rot, ok := b.rotations[keyID]
	return ok, rot.periodDays
}

// writeAWSJSON writes one of the bed's own answers in the AWS JSON 1.1
// protocol (ECR's, KMS's).
func writeAWSJSON(w http.ResponseWriter, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeAWSJSONError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = w.Write(data)
}

// writeAWSJSONError writes an AWS JSON 1.1 error as the SDK decodes it.
func writeAWSJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	data, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	_, _ = w.Write(data)
}
