package tfplan

import (
	"fmt"
	"strings"
)

// Line is one resource in a summary.
type Line struct {
	Action  Action `json:"action"`
	Address string `json:"address"`
	Reason  string `json:"reason,omitempty"`
}

// Summary counts a plan's changes and lists each changed resource.
type Summary struct {
	Add     int    `json:"add"`
	Change  int    `json:"change"`
	Destroy int    `json:"destroy"`
	Replace int    `json:"replace"`
	Lines   []Line `json:"lines"`
	// Drift lists resources changed outside Terraform (the refresh found it).
	Drift []Line `json:"drift,omitempty"`
}

// Summarize counts the plan's managed-resource changes; reads and no-ops are
// left out.
func Summarize(p *Plan) Summary {
	var s Summary
	for _, rc := range p.ResourceChanges {
		if rc.Mode == "data" {
			continue
		}
		switch rc.Action() {
		case NoOp, Read:
			continue
		case Create:
			s.Add++
		case Update:
			s.Change++
		case Delete, Forget:
			s.Destroy++
		case Replace:
			s.Replace++
		}
		s.Lines = append(s.Lines, lineOf(rc))
	}
	s.Drift = driftLines(p)
	return s
}

func driftLines(p *Plan) []Line {
	var out []Line
	for _, rc := range p.ResourceDrift {
		if rc.Mode == "data" || rc.Action() == NoOp {
			continue
		}
		out = append(out, lineOf(rc))
	}
	return out
}

func lineOf(rc ResourceChange) Line {
	return Line{Action: rc.Action(), Address: rc.Address, Reason: reason(rc.ActionReason)}
}

// reason turns Terraform's action_reason into words.
func reason(r string) string {
	switch r {
	case "":
		return ""
	case "replace_because_cannot_update":
		return "an argument that forces replacement changed"
	case "replace_because_tainted":
		return "tainted"
	case "replace_by_request":
		return "replacement requested (-replace)"
	case "replace_by_triggers":
		return "replace_triggered_by"
	case "delete_because_no_resource_config":
		return "removed from the configuration"
	case "delete_because_no_module":
		return "its module was removed"
	case "delete_because_count_index", "delete_because_each_key":
		return "no longer in count / for_each"
	case "delete_because_wrong_repetition":
		return "count / for_each changed"
	}
	return strings.ReplaceAll(r, "_", " ")
}

// Empty reports whether the plan changes nothing.
func (s Summary) Empty() bool { return len(s.Lines) == 0 }

// Headline is Terraform's one-line count, with replacements apart.
func (s Summary) Headline() string {
	if s.Empty() {
		return "No changes: the infrastructure matches the configuration."
	}
	return fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy, %d to replace.", s.Add, s.Change, s.Destroy, s.Replace)
}

var symbols = map[Action]string{Create: "+", Update: "~", Delete: "-", Replace: "-/+", Read: "<=", Forget: "."}

// Text renders the summary for a terminal.
func (s Summary) Text() string {
	var b strings.Builder
	b.WriteString(s.Headline())
	b.WriteByte('\n')
	writeText(&b, s.Lines)
	if len(s.Drift) > 0 {
		b.WriteString("Changed outside Terraform since the last apply:\n")
		writeText(&b, s.Drift)
	}
	return b.String()
}

func writeText(b *strings.Builder, lines []Line) {
	for _, l := range lines {
		fmt.Fprintf(b, "  %-3s %-8s %s", symbols[l.Action], l.Action, l.Address)
		if l.Reason != "" {
			fmt.Fprintf(b, " (%s)", l.Reason)
		}
		b.WriteByte('\n')
	}
}

// Markdown renders the summary as a table, e.g. for a pull request comment or
// a GitHub step summary.
func (s Summary) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n", s.Headline())
	writeTable(&b, s.Lines)
	if len(s.Drift) > 0 {
		b.WriteString("\n**Changed outside Terraform since the last apply:**\n")
		writeTable(&b, s.Drift)
	}
	return b.String()
}

func writeTable(b *strings.Builder, lines []Line) {
	if len(lines) == 0 {
		return
	}
	b.WriteString("\n| Action | Resource | Why |\n| --- | --- | --- |\n")
	for _, l := range lines {
		fmt.Fprintf(b, "| %s %s | `%s` | %s |\n", symbols[l.Action], l.Action, cell(l.Address), cell(l.Reason))
	}
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "`", "'").Replace(s)
}
