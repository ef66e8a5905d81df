package verify

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOverridesReplaceOnlyWhatIsGiven(t *testing.T) {
	p, _ := PolicyFor("stage")
	cfg := Config{Policy: p}
	o := Overrides{HealthPath: "/v1/health", BenchPaths: " /v1/health, /v1/ledger ,", RolloutTimeout: 3 * time.Minute, HealthAttempts: 4}
	if err := o.Apply(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.HealthPath != "/v1/health" || !slices.Equal(cfg.BenchPaths, []string{"/v1/health", "/v1/ledger"}) {
		t.Errorf("paths %q %q", cfg.HealthPath, cfg.BenchPaths)
	}
	if cfg.Policy.RolloutTimeout != 3*time.Minute || cfg.Policy.HealthAttempts != 4 {
		t.Errorf("policy %+v", cfg.Policy)
	}
	if cfg.Policy.BenchDuration != p.BenchDuration || cfg.Policy.BenchRate != p.BenchRate {
		t.Errorf("unset values changed the policy: %+v", cfg.Policy)
	}
}

func TestOverridesRefuseWhatIsNotASetting(t *testing.T) {
	for o, want := range map[Overrides]string{
		{BenchRate: -1}:                        "must be positive",
		{HealthPath: "https://api.example/h"}:  "is not a path of the API",
		{BenchPaths: "/health,/v1/ledger x"}:   "is not a path of the API",
		{HealthAttempts: -2, HealthPath: "/h"}: "must be positive",
	} {
		if err := o.Apply(&Config{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: err = %v, want %q", o, err, want)
		}
	}
}

func TestParseDurationNamesTheFlag(t *testing.T) {
	if d, err := ParseDuration("rollout-timeout", " 90s "); err != nil || d != 90*time.Second {
		t.Errorf("%s %v", d, err)
	}
	if d, err := ParseDuration("bench-duration", ""); err != nil || d != 0 {
		t.Errorf("%s %v", d, err)
	}
	if _, err := ParseDuration("rollout-timeout", "20"); err == nil || !strings.Contains(err.Error(), "--rollout-timeout=\"20\" is not a duration: pass e.g. --rollout-timeout=30s") {
		t.Errorf("err = %v", err)
	}
}

func TestAnAPIOnYourMachineIsAServiceInDagger(t *testing.T) {
	if err := CheckAPIURL("http://127.0.0.1:5055", false); err != nil {
		t.Errorf("the CLI runs on your machine: %v", err)
	}
	err := CheckAPIURL("http://ci:hunter2pass@localhost:5055/", true)
	if err == nil || !strings.Contains(err.Error(), "pass the API as a service instead, --api=tcp://localhost:5055") || strings.Contains(err.Error(), "hunter2pass") {
		t.Errorf("err = %v", err)
	}
	if err := CheckAPIURL("https://api.stage.example", true); err != nil {
		t.Error(err)
	}
	if err := CheckAPIURL("api.stage.example", true); err == nil || !strings.Contains(err.Error(), "is not an http(s) URL") {
		t.Errorf("err = %v", err)
	}
}
