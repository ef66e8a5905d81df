package tfplan

import (
	"fmt"
	"regexp"
	"strings"
)

// ApplyFailure is what a failed `terraform apply <saved plan>` did, read
// from its output (stdout and stderr), so the operator is told exactly what
// was changed in AWS and what to do next.
type ApplyFailure struct {
	// Stale: Terraform refused the saved plan because the state changed
	// after it was made (another apply ran in between). Nothing was applied.
	Stale bool
	// Completed are the resource changes that finished: done in AWS and
	// recorded in the state.
	Completed []ResourceProgress
	// Unfinished are changes that started and did not finish: they may
	// exist in AWS (a created object is kept in the state as tainted).
	Unfinished []ResourceProgress
}

// ResourceProgress is one resource change seen in apply's output.
type ResourceProgress struct {
	Address string
	// Action is create, update or delete.
	Action Action
}

var (
	// ansi matches terminal colour codes (Terraform colours its output
	// unless given -no-color).
	ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")
	// started and finished match apply's progress lines, e.g.
	//   module.x.aws_vpc.this: Creating...
	//   module.x.aws_vpc.this: Creation complete after 10s [id=vpc-1]
	//   aws_instance.a: Destroying... [id=i-1]
	started  = regexp.MustCompile(`^(.+): (Creating|Modifying|Destroying)\.\.\.(?: .*)?$`)
	finished = regexp.MustCompile(`^(.+): (Creation|Modifications|Destruction) complete after `)
)

var progressActions = map[string]Action{
	"Creating": Create, "Modifying": Update, "Destroying": Delete,
	"Creation": Create, "Modifications": Update, "Destruction": Delete,
}

// staleMessage is Terraform's diagnostic for a saved plan made stale by an
// apply in between.
const staleMessage = "Saved plan is stale"

// ReadApplyFailure reads the output of a failed apply of a saved plan.
func ReadApplyFailure(output string) ApplyFailure {
	var f ApplyFailure
	done := map[string]bool{}
	var begun []ResourceProgress
	for _, line := range strings.Split(ansi.ReplaceAllString(output, ""), "\n") {
		line = strings.TrimSpace(strings.TrimLeft(line, "│╷╵ "))
		if strings.HasPrefix(line, "Error: "+staleMessage) {
			f.Stale = true
		}
		if m := finished.FindStringSubmatch(line); m != nil {
			key := m[1] + "\x00" + string(progressActions[m[2]])
			if !done[key] {
				done[key] = true
				f.Completed = append(f.Completed, ResourceProgress{Address: m[1], Action: progressActions[m[2]]})
			}
			continue
		}
		if m := started.FindStringSubmatch(line); m != nil {
			begun = append(begun, ResourceProgress{Address: m[1], Action: progressActions[m[2]]})
		}
	}
	seen := map[string]bool{}
	for _, p := range begun {
		key := p.Address + "\x00" + string(p.Action)
		if !done[key] && !seen[key] {
			seen[key] = true
			f.Unfinished = append(f.Unfinished, p)
		}
	}
	return f
}

// Changed reports whether the apply changed anything in AWS (or may have).
func (f ApplyFailure) Changed() bool {
	return len(f.Completed) > 0 || len(f.Unfinished) > 0
}

// listLimit is how many resources Explain names per list.
const listLimit = 25

// Explain says what the failed apply changed and what to do next.
func (f ApplyFailure) Explain() string {
	switch {
	case f.Stale && !f.Changed():
		return "Nothing was applied: the saved plan is stale, because the state changed after the plan was made " +
			"(another apply ran in between). Run plan again, review it, and apply the new plan."
	case !f.Changed():
		return "Nothing was applied: Terraform stopped before changing any resource. " +
			"Fix the error above and apply again (run plan again if the stack or AWS changed meanwhile)."
	}
	var b strings.Builder
	b.WriteString("The apply stopped part-way, and the rest of the plan was not applied.\n")
	fmt.Fprintf(&b, "Changed in AWS and recorded in the state (%d):\n%s", len(f.Completed), listProgress(f.Completed))
	if len(f.Unfinished) > 0 {
		fmt.Fprintf(&b, "Started but not finished, so possibly in AWS; the next plan shows them as tainted (replaced) or still to do (%d):\n%s",
			len(f.Unfinished), listProgress(f.Unfinished))
	}
	b.WriteString("That saved plan is now stale: fix the error above, run plan again to see what is left, and apply the new plan.")
	return b.String()
}

func listProgress(ps []ResourceProgress) string {
	if len(ps) == 0 {
		return "  (none)\n"
	}
	var b strings.Builder
	for i, p := range ps {
		if i == listLimit {
			fmt.Fprintf(&b, "  ... and %d more\n", len(ps)-listLimit)
			break
		}
		fmt.Fprintf(&b, "  %s %s\n", p.Action, p.Address)
	}
	return b.String()
}
