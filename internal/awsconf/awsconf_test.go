package awsconf

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sivchari/kumo"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

// isolate removes every ambient credential source so tests see only what
// they set.
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_REGION",
		"AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func stage(account string) envs.Environment {
	e, _ := envs.Lookup("stage")
	e.AccountID, e.Region = account, "af-south-1"
	return e
}

var static = &StaticCredentials{AccessKeyID: "AKIATESTKEY0001", SecretAccessKey: "s3cr3t-do-not-print"}

func TestPreflightAcceptsTheEnvironmentsAccount(t *testing.T) {
	isolate(t)
	srv := kumo.NewServer()
	defer srv.Close()
	cfg, err := Load(context.Background(), Options{Region: "af-south-1", EndpointURL: srv.URL, Static: static})
	if err != nil {
		t.Fatal(err)
	}
	id, err := Preflight(context.Background(), cfg, stage("000000000000"))
	if err != nil {
		t.Fatalf("preflight: %v", err)
	}
	if id.Account != "000000000000" || id.ARN == "" || id.Region != "af-south-1" {
		t.Errorf("identity = %+v", id)
	}
	if strings.Contains(fmt.Sprintf("%+v", id), static.SecretAccessKey) {
		t.Error("identity leaks the secret")
	}
}

func TestPreflightRefusesAnotherAccountNamingBothAndTheFix(t *testing.T) {
	isolate(t)
	srv := kumo.NewServer()
	defer srv.Close()
	cfg, err := Load(context.Background(), Options{Region: "af-south-1", EndpointURL: srv.URL, Static: static})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Preflight(context.Background(), cfg, stage("111122223333"))
	if !errors.Is(err, ErrWrongAccount) {
		t.Fatalf("want ErrWrongAccount, got %v", err)
	}
	for _, want := range []string{"000000000000", "111122223333", "terraform/environments/staging.tfvars", "AWS_PROFILE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), static.SecretAccessKey) {
		t.Error("error leaks the secret")
	}
}

func TestEndpointFromEnvironmentAndCredentialsFromEnvironment(t *testing.T) {
	isolate(t)
	srv := kumo.NewServer()
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	cfg, err := Load(context.Background(), Options{Region: "af-south-1"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != srv.URL {
		t.Fatalf("endpoint = %v, want %s", cfg.BaseEndpoint, srv.URL)
	}
	id, err := Preflight(context.Background(), cfg, stage("000000000000"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(id.Source, "Env") {
		t.Errorf("source = %q, want the environment provider", id.Source)
	}
}

func TestNoCredentialsSaysHowToProvideThem(t *testing.T) {
	isolate(t)
	srv := kumo.NewServer()
	defer srv.Close()
	cfg, err := Load(context.Background(), Options{Region: "af-south-1", EndpointURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Preflight(context.Background(), cfg, stage("000000000000"))
	if !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("want ErrNoCredentials, got %v", err)
	}
	for _, want := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "OIDC"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestBadInputIsRefusedBeforeAnyCall(t *testing.T) {
	isolate(t)
	if _, err := Load(context.Background(), Options{Region: "af-south-1", EndpointURL: "127.0.0.1:4566"}); err == nil || !strings.Contains(err.Error(), "--aws-endpoint-url=http://") {
		t.Errorf("bad endpoint: %v", err)
	}
	if _, err := Load(context.Background(), Options{Region: "af-south-1", Static: &StaticCredentials{AccessKeyID: "AKIA"}}); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("half credentials: %v", err)
	}
	if _, err := Load(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("no region: %v", err)
	}
}

func TestRemoteEndpointRefusesLoopbackWithTheDaggerFix(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:4566", "http://localhost:4566/", "http://[::1]:4566", "http://user:pw@127.0.0.2:4566"} {
		err := CheckRemoteEndpoint(u)
		if err == nil || !strings.Contains(err.Error(), "--aws-endpoint=tcp://localhost:4566") || strings.Contains(err.Error(), "pw@") {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"https://emulator.internal.example:4566", "http://10.0.0.5:4566"} {
		if err := CheckRemoteEndpoint(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if err := CheckRemoteEndpoint("ftp://x"); err == nil || !strings.Contains(err.Error(), "--aws-endpoint=tcp://localhost:4566") {
		t.Errorf("ftp: %v", err)
	}
}

func TestStaticCredentialsNeverPrintTheSecret(t *testing.T) {
	c := StaticCredentials{AccessKeyID: "AKIAABCDEFGH1234", SecretAccessKey: "topsecret", SessionToken: "tok"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprint(&c)} {
		if strings.Contains(s, "topsecret") || strings.Contains(s, "tok)") || strings.Contains(s, "AKIAABCDEFGH") {
			t.Errorf("printed %q", s)
		}
	}
}
