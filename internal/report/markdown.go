package report

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

var icons = map[Verdict]string{Pass: "✅", Fail: "❌", Skip: "⏭️", Error: "⚠️", NotApplicable: "➖"}

const supersededIcon = "⏩"

// verdictLabel is a check's verdict as shown: "✅ pass", "❌ fail", or
// "⏩ superseded" for a rollout a newer deployment replaced.
func verdictLabel(ch Check) string {
	if ch.Outcome == Superseded && ch.Verdict.Failed() {
		return supersededIcon + " " + Superseded
	}
	return icons[ch.Verdict] + " " + string(ch.Verdict)
}

// Markdown renders the report for people: a heading with the overall
// verdict, what was verified, a table of checks, the benchmark's figures, and
// a details section per failed check with its evidence. Secrets are redacted.
func (r *Report) Markdown() string {
	c := r.redacted()
	var b strings.Builder
	word := map[Verdict]string{Pass: "passed", Fail: "failed", Error: "errored", Skip: "skipped"}[c.Verdict]
	icon := icons[c.Verdict]
	superseded := c.SupersededBy()
	if superseded != nil {
		icon, word = supersededIcon, Superseded
	}
	fmt.Fprintf(&b, "## %s Verification %s: %s\n\n", icon, word, orDash(c.Environment))
	if superseded != nil {
		fmt.Fprintf(&b, "A newer deployment replaced the one under verification before it settled (see the %s check): nothing is known to be wrong with it, but it is not what runs. Verify the newer one, or deploy again; do not roll back.\n\n", superseded.Name)
	}

	b.WriteString("| Target | |\n| --- | --- |\n")
	for _, row := range [][2]string{
		{"Cluster", c.Target.Cluster}, {"Service", c.Target.Service},
		{"Task definition", c.Target.TaskDefinition}, {"URL", c.Target.URL},
		{"Revision", c.Target.Revision}, {"Account", c.Target.Account}, {"Region", c.Target.Region},
	} {
		if row[1] != "" {
			fmt.Fprintf(&b, "| %s | `%s` |\n", row[0], cell(row[1]))
		}
	}
	if !c.Finished.IsZero() && !c.Started.IsZero() {
		fmt.Fprintf(&b, "| Took | %s |\n", round(c.Finished.Sub(c.Started)))
	}

	b.WriteString("\n| Check | Verdict | Duration | Summary |\n| --- | --- | --- | --- |\n")
	for _, ch := range c.Checks {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", ch.Name, verdictLabel(ch), round(ch.Duration), cell(ch.Summary))
	}

	writeNotes(&b, c.Checks)
	for _, ch := range c.Checks {
		if ch.Benchmark != nil {
			writeBenchmark(&b, ch.Name, ch.Benchmark)
		}
	}
	for _, ch := range c.Checks {
		if ch.Verdict.Failed() {
			writeDetails(&b, ch)
		}
	}
	return b.String()
}

// writeNotes lists every check's notes, whatever its verdict: what was
// expected but worth knowing (targets draining, AWS throttling).
func writeNotes(b *strings.Builder, checks []Check) {
	first := true
	for _, ch := range checks {
		for _, n := range ch.Notes {
			if first {
				b.WriteString("\n### Notes\n\n")
				first = false
			}
			fmt.Fprintf(b, "- **%s**: %s\n", ch.Name, strings.ReplaceAll(n, "\n", " "))
		}
	}
}

func writeBenchmark(b *strings.Builder, name string, m *Benchmark) {
	fmt.Fprintf(b, "\n### Benchmark (%s)\n\n", name)
	b.WriteString("| | p50 | p95 | p99 | max | mean | throughput | error rate | requests |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	fmt.Fprintf(b, "| measured | %s | %s | %s | %s | %s | %.1f req/s | %.2f%% | %d (%d errors) |\n",
		ms(m.P50), ms(m.P95), ms(m.P99), ms(m.Max), ms(m.Mean), m.Throughput, m.ErrorRate*100, m.Requests, m.Errors)
	if t := m.Thresholds; t != nil {
		limit := func(d time.Duration) string {
			if d == 0 {
				return "–"
			}
			return "≤ " + ms(d)
		}
		tp, er := "–", "–"
		if t.MinThroughput > 0 {
			tp = fmt.Sprintf("≥ %.1f req/s", t.MinThroughput)
		}
		if t.MaxErrorRate > 0 {
			er = fmt.Sprintf("≤ %.2f%%", t.MaxErrorRate*100)
		}
		fmt.Fprintf(b, "| threshold | – | %s | %s | – | – | %s | %s | – |\n", limit(t.MaxP95), limit(t.MaxP99), tp, er)
	}
	if m.Rate > 0 {
		fmt.Fprintf(b, "\nConstant rate %.0f req/s for %s.", m.Rate, round(m.Duration))
	}
	if len(m.StatusCodes) > 0 {
		b.WriteString(" Status codes:")
		for _, code := range slices.Sorted(maps.Keys(m.StatusCodes)) {
			label := fmt.Sprint(code)
			if code == 0 {
				label = "no response"
			}
			fmt.Fprintf(b, " %s × %d", label, m.StatusCodes[code])
		}
		b.WriteString(".")
	}
	b.WriteString("\n")
}

func writeDetails(b *strings.Builder, ch Check) {
	icon, word, _ := strings.Cut(verdictLabel(ch), " ")
	fmt.Fprintf(b, "\n### %s %s: %s\n\n%s\n", icon, ch.Name, word, ch.Summary)
	if t := ch.Tests; t != nil {
		fmt.Fprintf(b, "\n%d tests (%s): %d passed, %d failed, %d skipped.\n", t.Total, t.Format, t.Passed, t.Failed, t.Skipped)
		if len(t.Failures) > 0 {
			b.WriteString("\n| Failed test | Message |\n| --- | --- |\n")
			for _, f := range t.Failures {
				fmt.Fprintf(b, "| %s | %s |\n", cell(f.Name), cell(f.Message))
			}
		}
	}
	if len(ch.Evidence) > 0 {
		b.WriteString("\n```text\n")
		for _, e := range ch.Evidence {
			b.WriteString(strings.ReplaceAll(e, "```", "'''"))
			b.WriteString("\n")
		}
		b.WriteString("```\n")
	}
}

// AppendStepSummary appends markdown to the file named by
// $GITHUB_STEP_SUMMARY, as GitHub Actions expects; it does nothing when the
// variable is unset. It reports whether it wrote.
func AppendStepSummary(markdown string) (bool, error) {
	path := os.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return false, nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return false, fmt.Errorf("writing the GitHub step summary: %w", err)
	}
	if _, err := f.WriteString(markdown + "\n"); err != nil {
		f.Close()
		return false, fmt.Errorf("writing the GitHub step summary %s: %w", path, err)
	}
	return true, f.Close()
}

// Cell makes text safe inside a Markdown table cell (for other reports
// that embed this one, such as the deploy summary).
func Cell(s string) string { return cell(s) }

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r\n", "<br>")
	return strings.ReplaceAll(s, "\n", "<br>")
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func round(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
