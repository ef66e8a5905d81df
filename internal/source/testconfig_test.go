package source

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseTestEnv(t *testing.T) {
	vars, err := ParseTestEnv([]string{"NEO_4J_LEDGER_SPACE_BOLT_URL=bolt://ledger:7687", "EMPTY=", "URL=http://x/?a=b"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Variable{{"NEO_4J_LEDGER_SPACE_BOLT_URL", "bolt://ledger:7687"}, {"EMPTY", ""}, {"URL", "http://x/?a=b"}}
	if !slices.Equal(vars, want) {
		t.Errorf("got %v, want %v", vars, want)
	}
}

func TestParseTestEnvRefusesEveryProblemAtOnce(t *testing.T) {
	_, err := ParseTestEnv([]string{"NO_EQUALS", "1BAD=x", "JWT-SECRET=typo-hunter2", "JWT_SECRET=hunter2hunter2", "A=1", "A=2", "NEO_4J_SEARCH_SPACE_PASS=pw12345678"})
	if !errors.Is(err, ErrInvalidTestEnv) {
		t.Fatalf("err = %v, want ErrInvalidTestEnv", err)
	}
	mustContain(t, err, `"NO_EQUALS": write NAME=value`, `"1BAD=..."`, `"JWT-SECRET=..."`,
		"JWT_SECRET looks like a secret: pass it in --test-secrets", "NEO_4J_SEARCH_SPACE_PASS looks like a secret",
		"A is given twice")
	for _, secret := range []string{"typo-hunter2", "hunter2hunter2", "pw12345678"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows a secret's value: %v", err)
		}
	}
}

func TestParseDotenv(t *testing.T) {
	vars, err := ParseDotenv("# test secrets\r\n" + `
export JWT_SECRET=jwt-secret-for-tests
NEO_4J_LEDGER_SPACE_PASS = 'single # not a comment'
NEO_4J_SEARCH_SPACE_PASS="double \"quoted\"\nsecond line" # a comment
OPEN_EXCHANGE_RATES_API=oxr-key # trailing comment

EMPTY=
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Variable{
		{"EMPTY", ""},
		{"JWT_SECRET", "jwt-secret-for-tests"},
		{"NEO_4J_LEDGER_SPACE_PASS", "single # not a comment"},
		{"NEO_4J_SEARCH_SPACE_PASS", "double \"quoted\"\nsecond line"},
		{"OPEN_EXCHANGE_RATES_API", "oxr-key"},
	}
	if !slices.Equal(vars, want) {
		t.Errorf("got\n%q\nwant\n%q", vars, want)
	}
}

// The lines of a .env as written, for checks that name file:line (the
// repository's own .env, internal/repocheck).
func TestReadDotenvKeepsOrderAndLines(t *testing.T) {
	lines, err := ReadDotenv("# a comment\n\nSOURCE=examples/ledger-api\nexport DEPLOY_ENV=\"prod\"\n  credexCi_node_image = 'x'\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []DotenvLine{{3, "SOURCE", "examples/ledger-api"}, {4, "DEPLOY_ENV", "prod"}, {5, "credexCi_node_image", "x"}}
	if !slices.Equal(lines, want) {
		t.Errorf("got %+v, want %+v", lines, want)
	}
}

func TestParseDotenvNamesLinesNeverValues(t *testing.T) {
	_, err := ParseDotenv("JWT_SECRET=topsecretvalue\nthis line has topsecretvalue2 in it\nA='unclosed-secret-value\nJWT_SECRET=again-secret\nB=\"x\" trailing-secret\n")
	if !errors.Is(err, ErrInvalidTestSecrets) {
		t.Fatalf("err = %v, want ErrInvalidTestSecrets", err)
	}
	mustContain(t, err, "line 2 is not NAME=value", "line 3 (A): its quote is not closed", "JWT_SECRET is set twice (line 4)", "line 5 (B): text follows the closing quote")
	for _, secret := range []string{"topsecretvalue", "unclosed-secret-value", "again-secret", "trailing-secret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows %q: %v", secret, err)
		}
	}
	_, err = ParseDotenv("# only a comment\n")
	mustContain(t, err, "the file sets no variable")
}

func TestCheckTestConfig(t *testing.T) {
	pkg := &Package{Scripts: map[string]string{"test": "jest", "test:unit": "jest unit", "test:integration": "jest it", "build": "tsc"}}
	if err := CheckTestConfig(pkg, "test:unit", []Variable{{"A", "1"}}, []Variable{{"B", "2"}}); err != nil {
		t.Fatal(err)
	}
	err := CheckTestConfig(pkg, "test:unti", []Variable{{"JWT", "1"}}, []Variable{{"JWT", "2"}})
	if !errors.Is(err, ErrUnknownScript) || !errors.Is(err, ErrInvalidTestEnv) {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, err, `package.json has no "test:unti" script: pass --script=test or --script=test:integration or --script=test:unit`,
		"JWT is in both --test-env and --test-secrets")
}

func TestRedact(t *testing.T) {
	secrets := []Variable{{"A", "jwt-secret"}, {"B", "jwt-secret-longer"}, {"C", "abc"}}
	got := Redact("token jwt-secret-longer and jwt-secret, abc", secrets)
	if got != "token *** and ***, abc" {
		t.Errorf("got %q", got)
	}
}
