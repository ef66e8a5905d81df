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

// kmsCall makes one KMS JSON call to the bed and returns its status and
// decoded body.
func kmsCall(t *testing.T, bed *testbed.Bed, op string, in any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, bed.URL, strings.NewReader(string(body)))
	req.Header.Set("X-Amz-Target", "TrentService."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// Automatic key rotation, which the AWS provider sets on a key with
// enable_key_rotation and waits to see reported (kumo has the keys, the bed
// their rotation).
func TestKMSKeyRotation(t *testing.T) {
	bed := startBed(t)
	code, created := kmsCall(t, bed, "CreateKey", map[string]any{"Description": "test"})
	if code != http.StatusOK {
		t.Fatalf("CreateKey: %d %v", code, created)
	}
	id := created["KeyMetadata"].(map[string]any)["KeyId"].(string)
	if code, _ := kmsCall(t, bed, "CreateAlias", map[string]any{"AliasName": "alias/credex-core-test", "TargetKeyId": id}); code != http.StatusOK {
		t.Fatalf("CreateAlias: %d", code)
	}
	if _, st := kmsCall(t, bed, "GetKeyRotationStatus", map[string]any{"KeyId": id}); st["KeyRotationEnabled"] != false {
		t.Errorf("a new key rotates: %v", st)
	}
	// By alias, as an ID or ARN would do too.
	if code, out := kmsCall(t, bed, "EnableKeyRotation", map[string]any{"KeyId": "alias/credex-core-test", "RotationPeriodInDays": 180}); code != http.StatusOK {
		t.Fatalf("EnableKeyRotation: %d %v", code, out)
	}
	_, st := kmsCall(t, bed, "GetKeyRotationStatus", map[string]any{"KeyId": id})
	if st["KeyRotationEnabled"] != true || st["RotationPeriodInDays"] != float64(180) {
		t.Errorf("after EnableKeyRotation: %v", st)
	}
	if on, days := bed.KeyRotation(id); !on || days != 180 {
		t.Errorf("KeyRotation(%s) = %v, %d", id, on, days)
	}
	if code, out := kmsCall(t, bed, "EnableKeyRotation", map[string]any{"KeyId": id, "RotationPeriodInDays": 30}); code != http.StatusBadRequest || out["__type"] != "ValidationException" {
		t.Errorf("a 30-day period: %d %v", code, out)
	}
	kmsCall(t, bed, "DisableKeyRotation", map[string]any{"KeyId": id})
	if _, st := kmsCall(t, bed, "GetKeyRotationStatus", map[string]any{"KeyId": id}); st["KeyRotationEnabled"] != false {
		t.Errorf("after DisableKeyRotation: %v", st)
	}
	if code, _ := kmsCall(t, bed, "EnableKeyRotation", map[string]any{"KeyId": "00000000-0000-0000-0000-000000000000"}); code == http.StatusOK {
		t.Error("rotation enabled on a key that does not exist")
	}
}
