package repocheck

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// EnvLine is one assignment of a .env file.
type EnvLine struct {
	Line       int
	Key, Value string
}

// ParseDotEnv reads a .env file as Dagger's local defaults do: one KEY=value
// per line, blank lines and # comments skipped, an optional leading
// `export`. Quotes around a value are removed.
func ParseDotEnv(data []byte) ([]EnvLine, error) {
	var lines []EnvLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "export "))
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(key) == "" {
			return nil, fmt.Errorf("line %d: %q is not KEY=value", n, line)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		lines = append(lines, EnvLine{Line: n, Key: strings.TrimSpace(key), Value: value})
	}
	return lines, sc.Err()
}

// SetsModuleDefault reports whether a key of a .env found above the module
// (Dagger searches upward from where it runs) sets a default of the
// credex-ci module: Dagger matches the module's name as a prefix, in lower
// camel case or snake case, ignoring case (credexCi_, CREDEX_CI_).
func SetsModuleDefault(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "credexci_") || strings.HasPrefix(k, "credex_ci_")
}
