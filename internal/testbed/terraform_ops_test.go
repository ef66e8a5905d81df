package testbed_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// What the bed adds for Terraform plans of the stack: recorded generated
// passwords, EC2's availability zones and the public AMI parameters.

func startBed(t *testing.T) *testbed.Bed {
	t.Helper()
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	return bed
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
