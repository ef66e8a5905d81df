package source

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Severity says what a Dockerfile finding does to `lint` and to a deploy.
type Severity int

const (
	// Warning is reported and fails nothing.
	Warning Severity = iota
	// ProtectedError is a warning in `lint` and for unprotected
	// environments, and stops a deploy to a protected one (production).
	ProtectedError
	// Error fails `lint` and stops every deploy.
	Error
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case ProtectedError:
		return "warning (error for production)"
	default:
		return "warning"
	}
}

// Rules of the Dockerfile check, as named in findings.
const (
	RuleUnpinnedBase     = "base-image-not-pinned"
	RuleNoNodeImageArg   = "no-node-image-arg"
	RuleNoRevisionArg    = "no-revision-arg"
	RuleRunsAsRoot       = "runs-as-root"
	RuleNpmCacheInLayer  = "npm-cache-in-layer"
	RuleExposeMismatch   = "expose-port-mismatch"
	RuleSecretLookingArg = "secret-looking-arg"
)

// Finding is one thing the Dockerfile check found: where, what, and the fix.
type Finding struct {
	Rule     string
	Severity Severity
	// Line is the line of the instruction concerned (0 when it is about
	// something missing from the whole file).
	Line int
	// Instruction is that instruction as written, or "" when none.
	Instruction string
	Problem     string
	Fix         string
}

// Blocks reports whether the finding stops a deploy; protected says whether
// the environment is protected (production). `lint` fails on findings that
// block an unprotected deploy (severity Error).
func (f Finding) Blocks(protected bool) bool {
	return f.Severity == Error || (protected && f.Severity == ProtectedError)
}

// String is the finding in one paragraph: severity, line, instruction,
// problem and fix.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Severity.String())
	if f.Line > 0 {
		fmt.Fprintf(&b, " at line %d", f.Line)
	}
	fmt.Fprintf(&b, " [%s]", f.Rule)
	if f.Instruction != "" {
		fmt.Fprintf(&b, " `%s`", f.Instruction)
	}
	fmt.Fprintf(&b, ": %s\n    fix: %s", f.Problem, f.Fix)
	return b.String()
}

// StackPort is the port the stack's load balancer and task definition use
// for an environment, and where it is set.
type StackPort struct {
	Port int
	// Variable is the Terraform variable, e.g. "container_port".
	Variable string
	// Files are the tfvars files that set it to Port, e.g.
	// "terraform/environments/staging.tfvars".
	Files []string
}

func (sp StackPort) setIn() string {
	return fmt.Sprintf("%s in %s", sp.Variable, strings.Join(sp.Files, " and "))
}

// mergePorts folds the environments that use the same port into one.
func mergePorts(stack []StackPort) []StackPort {
	var out []StackPort
	for _, sp := range stack {
		i := slices.IndexFunc(out, func(o StackPort) bool { return o.Port == sp.Port && o.Variable == sp.Variable })
		if i < 0 {
			out = append(out, StackPort{Port: sp.Port, Variable: sp.Variable, Files: slices.Clone(sp.Files)})
			continue
		}
		out[i].Files = append(out[i].Files, sp.Files...)
	}
	return out
}

// LintOptions configure the Dockerfile check.
type LintOptions struct {
	// Target is the stage deployed (default production).
	Target string
	// Ports are the stacks' container ports the target stage's EXPOSE must
	// match; none skips that rule.
	Ports []StackPort
}

// LintDockerfile checks a Dockerfile for what credex-ci would fix in it:
// an unpinned or non-overridable base image, no REVISION argument, a target
// stage that runs as root, npm's cache left in a layer, an EXPOSE port that
// is not the stack's container port, and secret-looking build arguments.
// Findings are in line order.
func LintDockerfile(df *Dockerfile, o LintOptions) []Finding {
	if o.Target == "" {
		o.Target = TargetProduction
	}
	var out []Finding
	out = append(out, df.lintBaseImages()...)
	out = append(out, df.lintSecretArgs()...)
	if target, ok := df.Stage(o.Target); ok {
		chain := df.Chain(target)
		out = append(out, df.lintRevision(target, chain)...)
		out = append(out, df.lintUser(target, chain)...)
		out = append(out, df.lintNpmCache(chain)...)
		out = append(out, df.lintExpose(target, o.Ports)...)
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return a.Line - b.Line })
	return out
}

var digestRef = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// lintBaseImages reports image bases that are not pinned by digest, and a
// Dockerfile whose bases credex-ci cannot override with --node-image.
func (df *Dockerfile) lintBaseImages() []Finding {
	var out []Finding
	usesNodeImage := false
	var firstImage *Stage
	for i := range df.Stages {
		s := &df.Stages[i]
		if _, isStage := df.Parent(s); isStage {
			continue
		}
		ref, used := df.expand(s.Base())
		if strings.EqualFold(ref, "scratch") {
			continue
		}
		if firstImage == nil {
			firstImage = s
		}
		if slices.Contains(used, ArgNodeImage) {
			// credex-ci passes --node-image (pinned by digest) as NODE_IMAGE.
			usesNodeImage = true
			continue
		}
		if !digestRef.MatchString(ref) {
			out = append(out, Finding{
				Rule: RuleUnpinnedBase, Severity: Warning, Line: s.From.Line, Instruction: s.From.Text(),
				Problem: fmt.Sprintf("base image %s is a tag, not a digest: it changes under you, and two builds of one commit can differ", ref),
				Fix:     fmt.Sprintf("pin it: FROM %s@sha256:<digest> (docker buildx imagetools inspect %s prints the digest), or declare ARG NODE_IMAGE (see %s)", strings.SplitN(ref, "@", 2)[0], ref, RuleNoNodeImageArg),
			})
		}
	}
	if firstImage != nil && !usesNodeImage {
		problem := "no FROM uses ${NODE_IMAGE}, so credex-ci's --node-image (a pinned Node image, or your mirror's) is silently ignored"
		if _, declared := df.MetaArg(ArgNodeImage); !declared {
			problem = "the Dockerfile declares no NODE_IMAGE argument, so credex-ci's --node-image (a pinned Node image, or your mirror's) is silently ignored"
		}
		out = append(out, Finding{
			Rule: RuleNoNodeImageArg, Severity: Warning, Line: firstImage.From.Line, Instruction: firstImage.From.Text(),
			Problem: problem,
			Fix: fmt.Sprintf("before the first FROM declare ARG NODE_IMAGE=%s@sha256:<digest> and write FROM ${NODE_IMAGE} AS %s (and the same in every stage built from Node)",
				strings.SplitN(df.Expand(firstImage.Base()), "@", 2)[0], firstImage.label()),
		})
	}
	return out
}

// secretName matches build argument names that look like secrets.
var secretName = regexp.MustCompile(`(?i)(secret|passw(or)?d|passphrase|token|api_?key|private_?key|credential|(^|_)pass($|_)|(^|_)pwd($|_)|_auth$|^auth_)`)

// lintSecretArgs reports build arguments whose names look like secrets:
// build arguments are recorded in the image's history.
func (df *Dockerfile) lintSecretArgs() []Finding {
	var out []Finding
	check := func(in Instruction) {
		for _, kv := range in.Args {
			name, _, _ := strings.Cut(kv, "=")
			if !secretName.MatchString(name) {
				continue
			}
			out = append(out, Finding{
				Rule: RuleSecretLookingArg, Severity: Error, Line: in.Line, Instruction: "ARG " + name,
				Problem: fmt.Sprintf("build argument %s looks like a secret: build arguments are recorded in the image history, which anyone who can pull the image reads", name),
				Fix:     "remove it: read the secret at run time from the environment (ECS fills it from Secrets Manager), or, if the build needs it, use RUN --mount=type=secret,id=" + strings.ToLower(name) + " (BuildKit secret mounts never reach a layer)",
			})
		}
	}
	for _, a := range df.MetaArgs {
		check(a)
	}
	for _, s := range df.Stages {
		for _, in := range s.Instructions {
			if in.Command == "arg" {
				check(in)
			}
		}
	}
	return out
}

// declaresArg reports whether any stage of chain declares ARG name.
func declaresArg(chain []*Stage, name string) bool {
	for _, s := range chain {
		if slices.ContainsFunc(s.Instructions, func(in Instruction) bool { return in.declares(name) }) {
			return true
		}
	}
	return false
}

// lintRevision reports a target stage without a REVISION argument: the
// image cannot carry the commit it was built from, so GET /health cannot
// report it and a deploy cannot be verified to run the right build.
func (df *Dockerfile) lintRevision(target *Stage, chain []*Stage) []Finding {
	if declaresArg(chain, ArgRevision) {
		return nil
	}
	return []Finding{{
		Rule: RuleNoRevisionArg, Severity: Warning, Line: target.From.Line, Instruction: target.From.Text(),
		Problem: fmt.Sprintf("stage %s declares no REVISION argument, so credex-ci's --revision is ignored: the image does not know which commit it was built from, and GET /health cannot report it", target.label()),
		Fix:     "at the end of the stage add ARG REVISION=\"\" and ARG BUILT_AT=\"\", then ENV APP_REVISION=${REVISION} APP_BUILT_AT=${BUILT_AT}, and report APP_REVISION as `revision` from /health (last, so a new revision rebuilds only that layer)",
	}}
}

// lintUser reports a target stage that runs as root: no USER in it or the
// stages it is built FROM, or a last USER of root.
func (df *Dockerfile) lintUser(target *Stage, chain []*Stage) []Finding {
	for _, s := range chain { // the target first: its last USER wins
		for i := len(s.Instructions) - 1; i >= 0; i-- {
			in := s.Instructions[i]
			if in.Command != "user" {
				continue
			}
			user, _, _ := strings.Cut(in.Arg(0), ":")
			if user != "root" && user != "0" {
				return nil
			}
			return []Finding{rootFinding(target, in.Line, in.Text())}
		}
	}
	return []Finding{rootFinding(target, target.From.Line, target.From.Text())}
}

func rootFinding(target *Stage, line int, text string) Finding {
	return Finding{
		Rule: RuleRunsAsRoot, Severity: ProtectedError, Line: line, Instruction: text,
		Problem: fmt.Sprintf("stage %s runs as root: a compromised process can change the image's files and anything root can reach in the task", target.label()),
		Fix:     "add USER node before CMD (the Node images' unprivileged user); leave the application's files owned by root so it cannot change them",
	}
}

// npmInstall matches a shell command line that installs npm packages.
var npmInstall = regexp.MustCompile(`(^|[;&|(\s])npm\s+(ci|install|i|add)\b`)

// lintNpmCache reports RUN npm ci / npm install in the image's stages that
// neither mount npm's cache nor clean it: the download cache (often tens of
// MB) then stays in a layer of the image.
func (df *Dockerfile) lintNpmCache(chain []*Stage) []Finding {
	var out []Finding
	for _, s := range chain {
		for _, in := range s.Instructions {
			if in.Command != "run" {
				continue
			}
			cmd := strings.Join(append(slices.Clone(in.Args), in.Heredocs...), " ")
			if !npmInstall.MatchString(cmd) || strings.Contains(cmd, "npm cache clean") || mountsNpmCache(in) {
				continue
			}
			out = append(out, Finding{
				Rule: RuleNpmCacheInLayer, Severity: Warning, Line: in.Line, Instruction: in.Text(),
				Problem: fmt.Sprintf("npm's download cache stays in a layer of stage %s, which the deployed image is built from: every pull carries it", s.label()),
				Fix:     "mount it instead: RUN --mount=type=cache,target=/root/.npm " + strings.Join(in.Args, " ") + " (or end the RUN with && npm cache clean --force)",
			})
		}
	}
	return out
}

func mountsNpmCache(in Instruction) bool {
	for _, f := range in.Flags {
		if strings.HasPrefix(f, "--mount=") && strings.Contains(f, "type=cache") && strings.Contains(f, ".npm") {
			return true
		}
	}
	return false
}

// ExposedPorts returns the TCP ports the target stage (and the stages it is
// built FROM) EXPOSE, with the line of the EXPOSE, in order.
func (df *Dockerfile) ExposedPorts(target *Stage) (ports []int, lines []Instruction) {
	chain := df.Chain(target)
	for i := len(chain) - 1; i >= 0; i-- {
		for _, in := range chain[i].Instructions {
			if in.Command != "expose" {
				continue
			}
			for _, a := range in.Args {
				p, proto, _ := strings.Cut(df.Expand(a), "/")
				if proto != "" && !strings.EqualFold(proto, "tcp") {
					continue
				}
				if n, err := strconv.Atoi(p); err == nil {
					ports = append(ports, n)
					lines = append(lines, in)
				}
			}
		}
	}
	return ports, lines
}

// lintExpose reports a target stage that EXPOSEs a port other than an
// environment's container_port.
func (df *Dockerfile) lintExpose(target *Stage, stack []StackPort) []Finding {
	if len(stack) == 0 {
		return nil
	}
	ports, lines := df.ExposedPorts(target)
	if len(ports) == 0 {
		return nil
	}
	var out []Finding
	for _, sp := range mergePorts(stack) {
		if slices.Contains(ports, sp.Port) {
			continue
		}
		out = append(out, portFinding(df, lines[0], ports, sp))
	}
	return out
}

func portFinding(df *Dockerfile, expose Instruction, ports []int, sp StackPort) Finding {
	listed := make([]string, len(ports))
	for i, p := range ports {
		listed[i] = strconv.Itoa(p)
	}
	return Finding{
		Rule: RuleExposeMismatch, Severity: Error, Line: expose.Line, Instruction: expose.Text(),
		Problem: fmt.Sprintf("the image exposes %s but the stack sends traffic and health checks to %d (%s): unless the app listens on $PORT, every task fails its health check and the deploy rolls back",
			strings.Join(listed, ", "), sp.Port, sp.setIn()),
		Fix: fmt.Sprintf("make them agree: set %s = %d in %s if the app listens there, or make the app listen on $PORT (ECS sets PORT=%d) and write EXPOSE %d",
			sp.Variable, ports[0], strings.Join(sp.Files, " and "), sp.Port, sp.Port),
	}
}

// ErrPortMismatch is wrapped by CheckPort.
var ErrPortMismatch = errors.New("the image's port is not the stack's")

// CheckPort checks, before a deploy, that the target stage of a Dockerfile
// EXPOSEs the stack's container port. A Dockerfile with no EXPOSE passes (the
// task definition's PORT decides). own says whether it is the source's own
// Dockerfile or credex-ci's reference one.
func CheckPort(dockerfile []byte, own bool, target string, stack StackPort) error {
	df, err := ParseDockerfile(dockerfileName(own), own, dockerfile)
	if err != nil {
		return err
	}
	stage, ok := df.Stage(target)
	if !ok {
		return CheckStage(dockerfile, own, target)
	}
	ports, lines := df.ExposedPorts(stage)
	if len(ports) == 0 || slices.Contains(ports, stack.Port) {
		return nil
	}
	f := portFinding(df, lines[0], ports, stack)
	return fmt.Errorf("%w: %s, line %d `%s`: %s\nfix: %s", ErrPortMismatch, df.Name, f.Line, f.Instruction, f.Problem, f.Fix)
}

// Report is a Dockerfile check's result as text: one finding a paragraph,
// errors first, then a count.
func Report(df *Dockerfile, findings []Finding) string {
	if len(findings) == 0 {
		return fmt.Sprintf("%s: no findings", df.Name)
	}
	sorted := slices.Clone(findings)
	slices.SortStableFunc(sorted, func(a, b Finding) int { return int(b.Severity) - int(a.Severity) })
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", df.Name, Summary(findings))
	for _, f := range sorted {
		b.WriteString("  ")
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// Summary is a one-line count of findings by severity, with their rules,
// e.g. "1 error (expose-port-mismatch), 3 warnings (runs-as-root, ...)".
func Summary(findings []Finding) string {
	if len(findings) == 0 {
		return "no findings"
	}
	var parts []string
	for _, sev := range []Severity{Error, ProtectedError, Warning} {
		var rules []string
		for _, f := range findings {
			if f.Severity == sev && !slices.Contains(rules, f.Rule) {
				rules = append(rules, f.Rule)
			}
		}
		n := 0
		for _, f := range findings {
			if f.Severity == sev {
				n++
			}
		}
		if n == 0 {
			continue
		}
		word := map[Severity]string{Error: "error", ProtectedError: "error for production", Warning: "warning"}[sev]
		if n > 1 {
			word = map[Severity]string{Error: "errors", ProtectedError: "errors for production", Warning: "warnings"}[sev]
		}
		parts = append(parts, fmt.Sprintf("%d %s (%s)", n, word, strings.Join(rules, ", ")))
	}
	return strings.Join(parts, ", ")
}
