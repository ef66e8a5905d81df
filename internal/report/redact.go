package report

import (
	"regexp"
	"slices"
)

// Patterns of credentials that may show up in evidence (an application
// logging its environment, an error echoing a header) and are masked even
// when nobody registered them with Redact.
var secretPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`), "***"},
	{regexp.MustCompile(`(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}`), "${1}***"},
	{regexp.MustCompile(`(?i)(\b[a-z0-9_]*(?:secret|token|password|passwd|pwd|api[_-]?key)[a-z0-9_]*["']?\s*[:=]\s*["']?)[^\s"',;&]+`), "${1}***"},
	{regexp.MustCompile(`(?i)(://[^/\s:@]+:)[^@\s/]+@`), "${1}***@"},
}

// Mask returns s with the values registered with Redact and anything that
// looks like a credential (access keys, bearer tokens, password= pairs,
// passwords in URLs) replaced by "***", as every rendering of the report does.
func (r *Report) Mask(s string) string {
	s = r.secrets.Replace(s)
	for _, p := range secretPatterns {
		s = p.re.ReplaceAllString(s, p.repl)
	}
	return s
}

// redacted returns a deep copy of the report with every free-text field
// passed through redact.
func (r *Report) redacted() Report {
	c := *r
	c.Verdict = r.overall()
	c.Target = Target{
		Cluster: r.Mask(r.Target.Cluster), Service: r.Mask(r.Target.Service),
		TaskDefinition: r.Mask(r.Target.TaskDefinition), URL: r.Mask(r.Target.URL),
		Revision: r.Mask(r.Target.Revision), Account: r.Target.Account, Region: r.Target.Region,
	}
	c.Checks = make([]Check, len(r.Checks))
	for i, ch := range r.Checks {
		ch.Summary = r.Mask(ch.Summary)
		ch.Evidence = slices.Clone(ch.Evidence)
		for j := range ch.Evidence {
			ch.Evidence[j] = r.Mask(ch.Evidence[j])
		}
		ch.Notes = slices.Clone(ch.Notes)
		for j := range ch.Notes {
			ch.Notes[j] = r.Mask(ch.Notes[j])
		}
		if ch.Tests != nil {
			t := *ch.Tests
			t.Failures = slices.Clone(t.Failures)
			for j := range t.Failures {
				t.Failures[j].Name = r.Mask(t.Failures[j].Name)
				t.Failures[j].Message = r.Mask(t.Failures[j].Message)
			}
			ch.Tests = &t
		}
		c.Checks[i] = ch
	}
	return c
}
