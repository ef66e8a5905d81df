package source

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// EngineError is what the Dagger engine said about a failed Docker build:
// its message and, when a RUN failed, the command and its output.
type EngineError struct {
	// Message is the engine's error text, whole (it can be many KB: the
	// engine includes the IDs of the objects it was loading).
	Message string
	// Cmd, ExitCode, Stdout and Stderr are set when a command failed (a
	// Dagger ExecError).
	Cmd      []string
	ExitCode int
	Stdout   string
	Stderr   string
}

// BuildError is a failed Docker build explained: whose Dockerfile, the stage
// and instruction that failed, and why, with the engine's error kept whole
// after that.
type BuildError struct {
	// Dockerfile names the Dockerfile (the source's own, or credex-ci's
	// reference one).
	Dockerfile string
	// Target is the build target (Dockerfile stage) that was built.
	Target string
	// Stage and Instruction are where the build failed; Stage is "" when the
	// engine's error could not be traced to an instruction.
	Stage       string
	Instruction Instruction
	// Cause is what went wrong, in a line, without engine IDs.
	Cause string
	// Fix is what to do about it, when known.
	Fix string
	// Output is the tail of a failed command's output.
	Output string
	// Engine is the engine's error, whole.
	Engine EngineError
}

// Error puts what a person needs first (where, why, what to do), then the
// failed command's output, then the engine's own error.
func (e *BuildError) Error() string {
	var b strings.Builder
	if e.Stage != "" {
		fmt.Fprintf(&b, "build failed: %s, stage %s, line %d: %s\n", e.Dockerfile, e.Stage, e.Instruction.Line, e.Instruction.Text())
	} else {
		fmt.Fprintf(&b, "build failed: %s, target %s\n", e.Dockerfile, e.Target)
	}
	fmt.Fprintf(&b, "cause: %s\n", e.Cause)
	if e.Fix != "" {
		fmt.Fprintf(&b, "fix: %s\n", e.Fix)
	}
	if e.Output != "" {
		fmt.Fprintf(&b, "\noutput (last lines):\n%s\n", e.Output)
	}
	fmt.Fprintf(&b, "\nengine error (building target %s):\n%s", e.Target, e.Engine.Message)
	return b.String()
}

// outputLines is how many lines of a failed command's output an explained
// build error keeps.
const outputLines = 30

// ExplainBuildError traces a failed Docker build of target back to the
// Dockerfile instruction that failed and says why, without the engine's
// object IDs. df is the Dockerfile that was built.
func ExplainBuildError(df *Dockerfile, target string, e EngineError) *BuildError {
	be := &BuildError{Dockerfile: df.Name, Target: target, Engine: e, Cause: EngineCause(e.Message)}
	needed := df.Needed(target)
	switch {
	case len(e.Cmd) > 0:
		cmd := displayCommand(e.Cmd)
		be.Cause = fmt.Sprintf("`%s` failed with exit code %d", cmd, e.ExitCode)
		be.Output = tail(strings.TrimSpace(strings.TrimSpace(e.Stdout)+"\n"+strings.TrimSpace(e.Stderr)), outputLines)
		if s, in, ok := df.findRun(needed, e.Cmd); ok {
			be.Stage, be.Instruction = s.label(), in
			be.Fix = fmt.Sprintf("run `%s` in the source directory to see the same failure, fix it and build again", cmd)
		}
	case missingPath.MatchString(be.Cause):
		missing := missingPath.FindStringSubmatch(be.Cause)[1]
		if s, in, from, ok := df.findCopy(needed, missing); ok {
			be.Stage, be.Instruction = s.label(), in
			be.Cause, be.Fix = copyCause(df, missing, from)
		}
	default:
		if s, in, ok := df.findMentioned(needed, e.Message); ok {
			be.Stage, be.Instruction = s.label(), in
		}
	}
	return be
}

// displayCommand shows a command as its author wrote it: the shell form's
// `/bin/sh -c "..."` wrapper is dropped.
func displayCommand(cmd []string) string {
	if n := len(cmd); n >= 3 && cmd[n-2] == "-c" {
		return cmd[n-1]
	}
	return strings.Join(cmd, " ")
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// Engine noise: the wrappers the Dagger engine (v0.21) puts around a failed
// Dockerfile build's cause. A load of an object by ID nests once per input.
var (
	engineLoad     = regexp.MustCompile(`load (?:[A-Z][A-Za-z]*@[A-Za-z0-9+/=_-]+|(?:xxh3|sha256|blake3):[0-9a-f]+): (?:(?:inputs|receiver): )?`)
	engineIDs      = regexp.MustCompile(`[A-Z][A-Za-z]*@[A-Za-z0-9+/=_-]{16,}|(?:xxh3|blake3):[0-9a-f]{8,}`)
	engineWrappers = []string{
		"failed to load container from converted ID: ",
		"failed to convert Dockerfile to LLB: ",
		"failed to content hash dockerfile copy: ",
		"failed to copy source directory: ",
		"failed to solve: ",
	}
	missingPath = regexp.MustCompile(`(?:lstat|stat|open) (\S+): no such file or directory`)
)

// EngineCause is the cause of an engine error without its wrappers and
// object IDs: for a COPY of a file that does not exist,
// "lstat /app/config/config.js: no such file or directory".
func EngineCause(msg string) string {
	cause := strings.TrimSpace(msg)
	if loc := engineLoad.FindAllStringIndex(cause, -1); len(loc) > 0 {
		cause = cause[loc[len(loc)-1][1]:]
	}
	for trimmed := true; trimmed; {
		trimmed = false
		for _, w := range engineWrappers {
			if strings.HasPrefix(cause, w) {
				cause, trimmed = strings.TrimPrefix(cause, w), true
			}
		}
	}
	return engineIDs.ReplaceAllString(cause, "<id>")
}

// Needed returns the stages a build of target builds: the target, the
// stages it is built FROM, and those it copies or mounts from, recursively,
// in Dockerfile order.
func (df *Dockerfile) Needed(target string) []*Stage {
	seen := map[int]bool{}
	var visit func(s *Stage)
	visit = func(s *Stage) {
		if seen[s.Index] {
			return
		}
		seen[s.Index] = true
		if p, ok := df.Parent(s); ok {
			visit(p)
		}
		for _, in := range s.Instructions {
			for _, from := range stageRefs(in) {
				if dep, ok := df.Stage(from); ok && dep.Index < s.Index {
					visit(dep)
				}
			}
		}
	}
	if s, ok := df.Stage(target); ok {
		visit(s)
	}
	var out []*Stage
	for i := range df.Stages {
		if seen[i] {
			out = append(out, &df.Stages[i])
		}
	}
	return out
}

// stageRefs are the stages or images an instruction reads from:
// COPY --from=x, RUN --mount=...,from=x.
func stageRefs(in Instruction) []string {
	var refs []string
	if from, ok := in.Flag("from"); ok {
		refs = append(refs, from)
	}
	for _, f := range in.Flags {
		if !strings.HasPrefix(f, "--mount=") {
			continue
		}
		for _, kv := range strings.Split(strings.TrimPrefix(f, "--mount="), ",") {
			if k, v, ok := strings.Cut(kv, "="); ok && k == "from" {
				refs = append(refs, v)
			}
		}
	}
	return refs
}

// findRun finds the RUN instruction that ran cmd, latest stage first (a
// later stage is more likely the one that failed when two run the same).
func (df *Dockerfile) findRun(stages []*Stage, cmd []string) (*Stage, Instruction, bool) {
	shellForm := len(cmd) >= 3 && cmd[len(cmd)-2] == "-c"
	for i := len(stages) - 1; i >= 0; i-- {
		for _, in := range stages[i].Instructions {
			if in.Command != "run" {
				continue
			}
			if in.JSON && slices.Equal(in.Args, cmd) {
				return stages[i], in, true
			}
			if !in.JSON && shellForm && sameCommand(in.Arg(0), cmd[len(cmd)-1]) {
				return stages[i], in, true
			}
		}
	}
	return nil, Instruction{}, false
}

func sameCommand(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// findCopy finds the COPY or ADD whose source is the missing path, and
// returns where it copies from: a stage name, an image, or "" for the build
// context.
func (df *Dockerfile) findCopy(stages []*Stage, missing string) (*Stage, Instruction, string, bool) {
	want := strings.TrimPrefix(path.Clean(missing), "/")
	for i := len(stages) - 1; i >= 0; i-- {
		for _, in := range stages[i].Instructions {
			if (in.Command != "copy" && in.Command != "add") || len(in.Args) < 2 {
				continue
			}
			from, _ := in.Flag("from")
			for _, src := range in.Args[:len(in.Args)-1] {
				for _, src := range []string{src, df.Expand(src)} {
					src = strings.TrimPrefix(path.Clean(src), "/")
					if ok, _ := path.Match(src, want); ok || src == want {
						return stages[i], in, from, true
					}
				}
			}
		}
	}
	return nil, Instruction{}, "", false
}

// copyCause says where a missing COPY source was looked for, and the fix.
func copyCause(df *Dockerfile, missing, from string) (cause, fix string) {
	if from == "" {
		return fmt.Sprintf("%s is not in the build context (--source)", missing),
			"check the path; note that credex-ci leaves " + excludedFromContext() + " out of the build context, so build them in the Dockerfile instead of copying them"
	}
	if s, ok := df.Stage(from); ok {
		return fmt.Sprintf("%s does not exist in stage %s (line %d)", missing, s.label(), s.From.Line),
			fmt.Sprintf("copy a path stage %s creates (check where its build writes, e.g. build/ or dist/), or create %s there", s.label(), missing)
	}
	return fmt.Sprintf("%s does not exist in image %s", missing, from),
		fmt.Sprintf("check the path inside %s, or copy from a stage that creates it", from)
}

// excludedFromContext lists ContextExclusions for a person: "node_modules,
// dist, ... (anywhere) and .git, build (at the root)".
func excludedFromContext() string {
	var anywhere, root []string
	for _, p := range ContextExclusions {
		if rest, ok := strings.CutPrefix(p, "**/"); ok {
			anywhere = append(anywhere, rest)
		} else {
			root = append(root, p)
		}
	}
	return strings.Join(anywhere, ", ") + " (anywhere) and " + strings.Join(root, ", ") + " (at the root)"
}

// findMentioned finds an instruction an engine error names: a "line N" of
// the Dockerfile, or a FROM whose image the error mentions (a failed pull).
func (df *Dockerfile) findMentioned(stages []*Stage, msg string) (*Stage, Instruction, bool) {
	if m := lineRef.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		for i := range df.Stages {
			s := &df.Stages[i]
			for _, in := range append([]Instruction{s.From}, s.Instructions...) {
				if line >= in.Line && line <= in.EndLine {
					return s, in, true
				}
			}
		}
	}
	for _, s := range stages {
		if _, isStage := df.Parent(s); isStage {
			continue
		}
		ref := df.Expand(s.Base())
		if ref != "" && strings.Contains(msg, ref) {
			return s, s.From, true
		}
	}
	return nil, Instruction{}, false
}

var lineRef = regexp.MustCompile(`(?i)dockerfile(?: parse error)? (?:on )?line (\d+)`)
