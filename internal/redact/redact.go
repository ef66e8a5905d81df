// Package redact is the one place secret values are taken out of text
// before a person or a log sees it: the verification report, the local
// stack's table, a test run's output.
package redact

import (
	"slices"
	"strings"
)

// Mask is what a secret value is replaced by.
const Mask = "***"

// MinLength is the shortest value masked: shorter ones ("", "a", "db")
// would blank out ordinary text and protect nothing.
const MinLength = 4

// Values are secret values that must never be printed. The zero value is
// ready to use; it is not safe for concurrent Add.
type Values struct {
	values []string
}

// Add registers values, skipping those shorter than MinLength. The longest
// are replaced first, so a secret that contains another is never left half
// shown.
func (v *Values) Add(values ...string) {
	for _, s := range values {
		if len(s) >= MinLength && !slices.Contains(v.values, s) {
			v.values = append(v.values, s)
		}
	}
	slices.SortStableFunc(v.values, func(a, b string) int { return len(b) - len(a) })
}

// Replace returns text with every registered value replaced by Mask.
func (v *Values) Replace(text string) string {
	for _, s := range v.values {
		text = strings.ReplaceAll(text, s, Mask)
	}
	return text
}
