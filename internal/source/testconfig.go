package source

import (
	"github.com/great-sun-group/credex-ci/internal/redact"

	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Errors of a test run's configuration.
var (
	ErrInvalidTestEnv     = errors.New("invalid --test-env")
	ErrInvalidTestSecrets = errors.New("invalid --test-secrets")
	ErrUnknownScript      = errors.New("no such npm script")
)

// Variable is one environment variable of a test run.
type Variable struct {
	Name  string
	Value string
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseTestEnv parses --test-env values, each NAME=value. A name given twice,
// a malformed entry, or a name that looks like a secret (which belongs in
// --test-secrets: plain values reach Dagger's cache and logs) is refused,
// every problem at once.
func ParseTestEnv(values []string) ([]Variable, error) {
	var vars []Variable
	var problems []error
	for _, kv := range values {
		name, value, ok := strings.Cut(kv, "=")
		switch {
		case !ok || !envName.MatchString(name):
			entry := kv
			if ok {
				entry = name + "=..." // the name is what is wrong; the value may be a secret
			}
			problems = append(problems, fmt.Errorf("%w %q: write NAME=value, e.g. --test-env=NEO_4J_LEDGER_SPACE_BOLT_URL=bolt://localhost:7687 (names are letters, digits and _)", ErrInvalidTestEnv, shorten(entry)))
		case secretName.MatchString(name):
			problems = append(problems, fmt.Errorf("%w: %s looks like a secret: pass it in --test-secrets (a NAME=value file, e.g. --test-secrets=file://./test.env), never as --test-env, whose values reach Dagger's cache and logs", ErrInvalidTestEnv, name))
		case slices.ContainsFunc(vars, func(v Variable) bool { return v.Name == name }):
			problems = append(problems, fmt.Errorf("%w: %s is given twice: pass it once", ErrInvalidTestEnv, name))
		default:
			vars = append(vars, Variable{Name: name, Value: value})
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return vars, nil
}

// shorten keeps a malformed --test-env entry readable in an error.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// DotenvLine is one variable of a dotenv file, with its line.
type DotenvLine struct {
	Line        int
	Name, Value string
}

// ReadDotenv reads a dotenv file in order: one NAME=value a line; blank
// lines and # comments are skipped, `export ` is allowed before a name, and
// a value may be quoted with ' or " (a double quoted value reads \n, \" and
// \\ escapes). A name set twice is refused. Errors name the line, never its
// value.
func ReadDotenv(text string) ([]DotenvLine, error) {
	var lines []DotenvLine
	var problems []error
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !envName.MatchString(name) {
			problems = append(problems, fmt.Errorf("line %d is not NAME=value: write one variable a line", i+1))
			continue
		}
		value, err := dotenvValue(strings.TrimSpace(value))
		if err != nil {
			problems = append(problems, fmt.Errorf("line %d (%s): %v", i+1, name, err))
			continue
		}
		if seen[name] {
			problems = append(problems, fmt.Errorf("%s is set twice (line %d): keep one", name, i+1))
			continue
		}
		seen[name] = true
		lines = append(lines, DotenvLine{Line: i + 1, Name: name, Value: value})
	}
	return lines, errors.Join(problems...)
}

// ParseDotenv parses the secrets of a test run, a dotenv file
// (ReadDotenv) that sets at least one variable. Names are returned sorted.
func ParseDotenv(text string) ([]Variable, error) {
	lines, err := ReadDotenv(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidTestSecrets, err)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%w: the file sets no variable: write NAME=value lines, e.g. JWT_SECRET=...", ErrInvalidTestSecrets)
	}
	vars := make([]Variable, len(lines))
	for i, l := range lines {
		vars[i] = Variable{Name: l.Name, Value: l.Value}
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].Name < vars[j].Name })
	return vars, nil
}

func dotenvValue(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch q := v[0]; q {
	case '\'', '"':
		end := strings.LastIndexByte(v, q)
		if end == 0 {
			return "", errors.New("its quote is not closed")
		}
		if rest := strings.TrimSpace(v[end+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
			return "", errors.New("text follows the closing quote")
		}
		inner := v[1:end]
		if q == '"' {
			inner = strings.NewReplacer(`\n`, "\n", `\"`, `"`, `\\`, `\`).Replace(inner)
		}
		return inner, nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, nil
}

// CheckTestConfig checks a test run's configuration together: the script is
// one package.json defines, and no variable is both plain and secret.
func CheckTestConfig(pkg *Package, script string, env, secrets []Variable) error {
	var problems []error
	if !pkg.HasScript(script) {
		problems = append(problems, fmt.Errorf("%w: package.json has no %q script: pass --script=%s, or add %q to its scripts",
			ErrUnknownScript, script, strings.Join(testScripts(pkg), " or --script="), script))
	}
	for _, v := range env {
		if slices.ContainsFunc(secrets, func(s Variable) bool { return s.Name == v.Name }) {
			problems = append(problems, fmt.Errorf("%w: %s is in both --test-env and --test-secrets: keep it in --test-secrets only", ErrInvalidTestEnv, v.Name))
		}
	}
	return errors.Join(problems...)
}

// testScripts lists package.json's scripts that look like test suites.
func testScripts(pkg *Package) []string {
	var names []string
	for name := range pkg.Scripts {
		if name == "test" || strings.HasPrefix(name, "test:") || strings.HasPrefix(name, "test-") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return []string{"test"}
	}
	return names
}

// Redact replaces every secret's value in text with "***", longest first
// (values under 4 characters are left: too short to hide without hiding
// ordinary words). Test output is redacted before it is returned.
func Redact(text string, secrets []Variable) string {
	var values redact.Values
	for _, s := range secrets {
		values.Add(s.Value)
	}
	return values.Replace(text)
}
