package deploy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/rollout"
)

// FailedStage names the stage that failed first ("" when none did).
func (r *Result) FailedStage() string {
	var se *StageError
	if errors.As(r.Err, &se) {
		return se.Stage
	}
	return ""
}

// RolledBack reports whether a rollback applied the previous image and its
// rollout completed.
func (r *Result) RolledBack() bool {
	return r.Rollback.Do && r.Timeline.Outcome(StageRollbackApply) == Passed && r.Timeline.Outcome(StageRollbackVerify) == Passed
}

// Changes says what this deploy changed outside the run (ECR, the
// Terraform stack, the ECS service) and what it left as it was, from the
// stages' outcomes: what a person needs when a deploy stops half-way.
func (r *Result) Changes() (changed, unchanged []string) {
	t := r.Timeline
	if t == nil {
		return nil, []string{"Nothing was changed: refused before anything started."}
	}
	if r.OnDemand {
		return r.rollbackChanges(nil, nil)
	}
	switch t.Outcome(StageRegistry) {
	case Passed:
		changed = append(changed, fmt.Sprintf("ECR repository `%s` is in place (the registry stack was applied; a no-op when it already existed).", r.Repository))
	case Failed, Cancelled:
		changed = append(changed, "The registry stack's apply did not complete: see the registry stage's error for what it changed; run `registry --env="+r.Env.Name+"` again (a no-op for what is done).")
	default:
		unchanged = append(unchanged, "The ECR repository was not touched.")
	}
	switch t.Outcome(StagePublish) {
	case Passed:
		changed = append(changed, fmt.Sprintf("Image published to ECR: `%s`, tagged `%s` and `%s` (a revision already there is not pushed again).", r.Image, r.Revision, r.Env.TerraformEnv))
	case Failed, Cancelled:
		unchanged = append(unchanged, "No image was published for this revision (publish did not complete; layers it uploaded are untagged and referenced by nothing).")
	default:
		unchanged = append(unchanged, "No image was pushed.")
	}
	switch t.Outcome(StageApply) {
	case Passed:
		changed = append(changed, fmt.Sprintf("Terraform applied (%s): the service runs task definition `%s` with `%s`.", r.Plan.Summary, taskDef(r.Applied), r.Image))
	case Skipped:
		unchanged = append(unchanged, fmt.Sprintf("Terraform: nothing to apply; the plan had no changes (the stack already deploys `%s`).", r.Image))
	case Failed, Cancelled:
		changed = append(changed, "Terraform apply stopped part-way: each resource its output reports complete was changed in AWS and recorded in the state; the rest of the plan was not applied. Run plan again to see what is left.")
	default:
		unchanged = append(unchanged, "Terraform was not applied: the ECS service, its task definition and the rest of the stack are as they were"+previously(r.Previous)+".")
	}
	if !r.Rollback.Do {
		if r.Rollback.Reason != "" {
			unchanged = append(unchanged, "Rollback: "+r.Rollback.Reason+".")
		}
		return changed, unchanged
	}
	return r.rollbackChanges(changed, unchanged)
}

// rollbackChanges adds what a rollback changed.
func (r *Result) rollbackChanges(changed, unchanged []string) ([]string, []string) {
	t := r.Timeline
	again := "`" + RollbackCommand(r.Env, r.Rollback.Image) + "`"
	switch {
	case t.Outcome(StageRollbackApply) == Skipped:
		unchanged = append(unchanged, fmt.Sprintf("Rollback: the stack already deployed `%s`; nothing to apply.", r.Rollback.Image))
	case t.Outcome(StageRollbackVerify) == Passed:
		changed = append(changed, fmt.Sprintf("Rolled back: Terraform applied the previous image `%s` (task definition `%s`) and its rollout completed; state and AWS agree.", r.Rollback.Image, taskDef(r.RollbackApplied)))
	case t.Outcome(StageRollbackApply) == Passed:
		changed = append(changed, fmt.Sprintf("Rollback applied (the previous image `%s`, task definition `%s`), but its verification failed: see the rollback report.", r.Rollback.Image, taskDef(r.RollbackApplied)))
	case t.Outcome(StageRollbackApply) == Failed || t.Outcome(StageRollbackApply) == Cancelled:
		changed = append(changed, "The rollback's apply stopped part-way: each resource its output reports complete was changed; run "+again+" once the error is fixed.")
	case t.Outcome(StageRollbackPlan) == Failed:
		unchanged = append(unchanged, "The rollback was not applied (its plan failed): the service still runs "+orThe(r.stillRuns())+"; run "+again+" once the error is fixed.")
	default:
		unchanged = append(unchanged, "Nothing was rolled back: the service still runs "+orThe(r.stillRuns())+".")
	}
	return changed, unchanged
}

// stillRuns is the image the service runs when a rollback did not apply.
func (r *Result) stillRuns() string {
	if !r.OnDemand && r.Image != "" && r.Timeline.Outcome(StageApply) == Passed {
		return r.Image
	}
	return r.Previous.Image
}

func orThe(image string) string {
	if image == "" {
		return "the image it ran before"
	}
	return "`" + image + "`"
}

func previously(p Deployed) string {
	if p.Image == "" {
		return ""
	}
	return fmt.Sprintf(" (still `%s`)", p.Image)
}

func taskDef(a *Applied) string {
	if a == nil || a.TaskDefinition == "" {
		return "–"
	}
	return rollout.ShortTaskDefinition(a.TaskDefinition)
}

var outcomeIcons = map[Outcome]string{Passed: "✅", Failed: "❌", Skipped: "↷", Cancelled: "■", NotRun: "–"}

// Headline is the summary's first line, without Markdown.
func (r *Result) Headline() string {
	env := fmt.Sprintf("%s (%s)", r.Env.Name, r.Env.TerraformEnv)
	if r.OnDemand {
		switch {
		case r.OK():
			return "Rolled back " + env + " to " + r.Rollback.Image
		case r.Timeline == nil:
			return "Rollback of " + env + " refused"
		}
		return "Rollback of " + env + " failed at " + r.FailedStage()
	}
	switch {
	case r.OK():
		return "Deployed to " + env
	case r.Timeline == nil:
		return "Deploy to " + env + " refused"
	case r.RolledBack():
		return "Deploy to " + env + " failed at " + r.FailedStage() + " and was rolled back"
	}
	return "Deploy to " + env + " failed at " + r.FailedStage()
}

// Markdown renders the deploy for people (and GitHub's step summary): the
// headline, what was deployed, the stages with their timings and the
// critical path, what changed and what did not, the failed stage's error,
// then the verification report and the rollback's. Credentials are masked.
func (r *Result) Markdown() string {
	var b strings.Builder
	icon := "✅"
	if !r.OK() {
		icon = "❌"
	}
	fmt.Fprintf(&b, "## %s %s\n\n", icon, r.Headline())
	if r.Timeline == nil {
		fmt.Fprintf(&b, "%s\n", r.mask(r.Err.Error()))
		return b.String()
	}

	b.WriteString("| Deploy | |\n| --- | --- |\n")
	applied := r.Applied
	if applied == nil && r.Timeline.Outcome(StageApply) == Skipped {
		applied = &Applied{TaskDefinition: r.Previous.TaskDefinition, URL: r.Previous.URL}
	}
	url := r.Previous.URL
	if applied != nil && applied.URL != "" {
		url = applied.URL
	}
	rows := [][2]string{
		{"Image", code(r.Image)}, {"Revision", code(r.Revision)},
		{"Task definition", code(taskDefOrEmpty(applied))}, {"URL", url},
		{"Previous image", code(r.Previous.Image)}, {"Plan", planSummary(r.Plan)},
		{"Account", code(r.Env.AccountID)}, {"Deployed by", code(r.Caller)},
	}
	if r.OnDemand {
		rows = [][2]string{
			{"Image", code(r.Rollback.Image)}, {"Image from", r.RollbackFrom},
			{"Task definition", code(taskDefOrEmpty(r.RollbackApplied))}, {"URL", url},
			{"Rolled back from", code(r.Previous.Image)}, {"Plan", planSummary(r.RollbackPlan)},
			{"Account", code(r.Env.AccountID)}, {"Rolled back by", code(r.Caller)},
		}
	}
	for _, row := range rows {
		if row[1] != "" {
			fmt.Fprintf(&b, "| %s | %s |\n", row[0], report.Cell(r.mask(row[1])))
		}
	}
	path, critical := r.Timeline.CriticalPath()
	fmt.Fprintf(&b, "| Took | %s (critical path %s; one stage after another it would take %s) |\n\n",
		round(r.Timeline.Wall), round(critical), round(r.Timeline.SerialSum()))

	b.WriteString("### Stages\n\n| Stage | Needs | Outcome | Started | Took | |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, s := range r.Timeline.Stages {
		started, took := "–", "–"
		if s.Outcome.Ran() {
			started, took = "+"+round(s.Start), round(s.Duration())
		}
		mark, detail := "", ""
		if s.Outcome.Ran() && slices.Contains(path, s.Name) {
			mark = "★ critical path"
		}
		switch {
		case s.Outcome == Skipped:
			detail = ": " + s.Note
		case s.Outcome == NotRun && s.Err != nil:
			detail = ": " + s.Err.Error()
		}
		needs := strings.Join(s.Needs, ", ")
		if needs == "" {
			needs = "–"
		}
		fmt.Fprintf(&b, "| %s | %s | %s %s%s | %s | %s | %s |\n", s.Name, needs,
			outcomeIcons[s.Outcome], s.Outcome, report.Cell(r.mask(detail)), started, took, mark)
	}
	fmt.Fprintf(&b, "\nCritical path: %s (%s).\n", strings.Join(path, " → "), round(critical))

	changed, unchanged := r.Changes()
	b.WriteString("\n### What changed\n\n")
	if len(changed) == 0 {
		b.WriteString("Nothing was changed in AWS.\n")
	}
	for _, c := range changed {
		fmt.Fprintf(&b, "- %s\n", r.mask(c))
	}
	if len(unchanged) > 0 {
		b.WriteString("\n### What did not change\n\n")
		for _, c := range unchanged {
			fmt.Fprintf(&b, "- %s\n", r.mask(c))
		}
	}

	for _, p := range []struct {
		title string
		plan  *Plan
	}{{"Plan", r.Plan}, {"Rollback plan", r.RollbackPlan}} {
		if p.plan != nil && p.plan.Changes > 0 && p.plan.Markdown != "" {
			fmt.Fprintf(&b, "\n### %s\n\n%s", p.title, strings.TrimRight(r.mask(p.plan.Markdown), "\n")+"\n")
		}
	}
	for _, s := range r.Timeline.Stages {
		if s.Outcome == Failed && s.Name != StageVerify && s.Name != StageRollbackVerify {
			fmt.Fprintf(&b, "\n### ❌ %s failed\n\n```text\n%s\n```\n", s.Name, strings.ReplaceAll(r.mask(s.Err.Error()), "```", "'''"))
		}
	}
	if r.Report != nil {
		b.WriteString("\n" + demote(r.Report.Markdown(), 1))
	}
	switch {
	case r.RollbackReport != nil && r.OnDemand:
		b.WriteString("\n" + demote(r.RollbackReport.Markdown(), 1))
	case r.RollbackReport != nil:
		b.WriteString("\n### ↩️ Rollback to the previous image\n\n" + demote(r.RollbackReport.Markdown(), 2))
	}
	return b.String()
}

// demote turns the verification report's headings levels down, under the
// deploy's ("## " becomes "### " one level down), leaving fenced evidence
// as it is.
func demote(md string, levels int) string {
	lines := strings.Split(md, "\n")
	fenced := false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "```"):
			fenced = !fenced
		case !fenced && strings.HasPrefix(l, "#"):
			lines[i] = strings.Repeat("#", levels) + l
		}
	}
	return strings.Join(lines, "\n")
}

func planSummary(p *Plan) string {
	if p == nil {
		return ""
	}
	if p.Changes == 0 {
		return "no changes"
	}
	return p.Summary
}

func taskDefOrEmpty(a *Applied) string {
	if a == nil {
		return ""
	}
	return rollout.ShortTaskDefinition(a.TaskDefinition)
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// round prints a duration a person reads: ms below a second, tenths of a
// second below a minute, then seconds.
func round(d time.Duration) string {
	unit := time.Second
	if d < time.Second {
		unit = time.Millisecond
	} else if d < time.Minute {
		unit = 100 * time.Millisecond
	}
	return max(d, 0).Round(unit).String()
}
