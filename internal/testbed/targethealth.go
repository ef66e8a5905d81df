package testbed

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strconv"
)

// kumo reports every registered target "healthy": it runs no health
// checks. To test what an operator sees when the ALB's health checks fail,
// the bed answers DescribeTargetHealth for target groups marked with
// SetTargetHealth itself: it asks kumo for the registered targets and
// rewrites their state, keeping ELBv2's XML shape.

// TargetHealth is a target state the bed reports for a whole target group.
type TargetHealth struct {
	// State is an ELBv2 target state: "unhealthy", "draining", "initial"...
	State string
	// Reason and Description are ELBv2's, e.g. "Target.FailedHealthChecks"
	// and "Health checks failed with these codes: [500]".
	Reason, Description string
}

// SetTargetHealth makes every target of a target group report h; a zero h
// restores kumo's "healthy".
func (b *Bed) SetTargetHealth(targetGroupARN string, h TargetHealth) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h.State == "" {
		delete(b.unhealthy, targetGroupARN)
		return
	}
	b.unhealthy[targetGroupARN] = h
}

type targetHealthResponse struct {
	XMLName xml.Name `xml:"DescribeTargetHealthResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Descriptions struct {
			Members []struct {
				Target struct {
					ID   string `xml:"Id"`
					Port int    `xml:"Port"`
				} `xml:"Target"`
				Health struct {
					State       string `xml:"State"`
					Reason      string `xml:"Reason,omitempty"`
					Description string `xml:"Description,omitempty"`
				} `xml:"TargetHealth"`
			} `xml:"member"`
		} `xml:"TargetHealthDescriptions"`
	} `xml:"DescribeTargetHealthResult"`
	Metadata struct {
		RequestID string `xml:"RequestId"`
	} `xml:"ResponseMetadata"`
}

// serveTargetHealth answers DescribeTargetHealth for a marked target group
// and reports whether it did.
func (b *Bed) serveTargetHealth(w http.ResponseWriter, r *http.Request) bool {
	form, ok := queryForm(r)
	if !ok || form.Get("Action") != "DescribeTargetHealth" {
		return false
	}
	b.mu.Lock()
	h, marked := b.unhealthy[form.Get("TargetGroupArn")]
	b.mu.Unlock()
	if !marked {
		return false
	}
	rec := httptest.NewRecorder()
	b.proxy.ServeHTTP(rec, r)
	var resp targetHealthResponse
	if rec.Code != http.StatusOK || xml.Unmarshal(rec.Body.Bytes(), &resp) != nil {
		copyResponse(w, rec)
		return true
	}
	for i := range resp.Result.Descriptions.Members {
		m := &resp.Result.Descriptions.Members[i]
		if m.Health.State == "healthy" {
			m.Health.State, m.Health.Reason, m.Health.Description = h.State, h.Reason, h.Description
		}
	}
	out, err := xml.Marshal(resp)
	if err != nil {
		copyResponse(w, rec)
		return true
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
	return true
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
