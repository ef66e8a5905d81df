package source

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// ErrInvalidDockerfile is wrapped by ParseDockerfile when BuildKit's parser
// refuses a Dockerfile.
var ErrInvalidDockerfile = errors.New("invalid Dockerfile")

// Dockerfile is a parsed Dockerfile: its global ARGs (before the first FROM)
// and its stages, each with its instructions and their line numbers. It is
// parsed by BuildKit's own parser (github.com/moby/buildkit's
// frontend/dockerfile/parser), so continuation lines, the escape directive,
// heredocs, JSON and shell forms read exactly as `docker build` reads them.
type Dockerfile struct {
	// Name says which Dockerfile it is in messages: "the source's
	// Dockerfile" or "credex-ci's reference Dockerfile".
	Name string
	// Own is true for the source's own Dockerfile.
	Own bool
	// MetaArgs are the ARGs declared before the first FROM, which FROM
	// lines may use.
	MetaArgs []Instruction
	Stages   []Stage

	escape rune
}

// Stage is one FROM and the instructions up to the next.
type Stage struct {
	// Name is the stage's name (FROM ... AS name) lower-cased as Docker
	// treats it; empty for an unnamed stage.
	Name string
	// Index is the stage's position, from 0; `COPY --from=1` names it.
	Index int
	// From is the FROM instruction; its first argument is the base.
	From         Instruction
	Instructions []Instruction
}

// Base is the stage's base as written in its FROM line (image reference,
// stage name, or either through ${ARG}s).
func (s Stage) Base() string { return s.From.Arg(0) }

// label names the stage in messages: its name, or its index.
func (s Stage) label() string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprintf("#%d (unnamed)", s.Index)
}

// Instruction is one Dockerfile instruction.
type Instruction struct {
	// Command is the instruction's keyword, lower-cased: "from", "copy", ...
	Command string
	// Args are its arguments after the flags: for the shell form of RUN and
	// CMD, the whole command line as one string; for ENV and LABEL, key and
	// value pairs in order.
	Args []string
	// Flags are its --flags as written, e.g. "--from=build".
	Flags []string
	// JSON is true for the exec (JSON array) form of RUN, CMD and ENTRYPOINT.
	JSON bool
	// Heredocs are the contents of its here-documents, if any.
	Heredocs []string
	// Original is the instruction as written (continuation lines joined).
	Original string
	// Line and EndLine are its first and last lines, from 1.
	Line, EndLine int
}

// Arg returns the i-th argument, "" when there is none.
func (in Instruction) Arg(i int) string {
	if i < len(in.Args) {
		return in.Args[i]
	}
	return ""
}

// Flag returns the value of --name=value, and whether the flag is present.
func (in Instruction) Flag(name string) (string, bool) {
	for _, f := range in.Flags {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// Text is the instruction as a person reads it: the original text with
// runs of blanks (from continuation lines) folded into one space.
func (in Instruction) Text() string {
	return strings.Join(strings.Fields(in.Original), " ")
}

// ParseDockerfile parses a Dockerfile with BuildKit's parser. name says
// which Dockerfile it is in messages.
func ParseDockerfile(name string, own bool, data []byte) (*Dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v: fix it so `docker build` accepts it", ErrInvalidDockerfile, name, err)
	}
	df := &Dockerfile{Name: name, Own: own, escape: res.EscapeToken}
	for _, node := range res.AST.Children {
		in := instruction(node)
		if in.Command == "from" {
			st := Stage{Index: len(df.Stages), From: in}
			if len(in.Args) >= 3 && strings.EqualFold(in.Args[1], "as") {
				st.Name = strings.ToLower(in.Args[2])
			}
			df.Stages = append(df.Stages, st)
			continue
		}
		if len(df.Stages) == 0 {
			if in.Command == "arg" {
				df.MetaArgs = append(df.MetaArgs, in)
			}
			continue
		}
		last := &df.Stages[len(df.Stages)-1]
		last.Instructions = append(last.Instructions, in)
	}
	if len(df.Stages) == 0 {
		return nil, fmt.Errorf("%w: %s has no FROM instruction: a Dockerfile starts a build stage with FROM <image>", ErrInvalidDockerfile, name)
	}
	return df, nil
}

func instruction(node *parser.Node) Instruction {
	in := Instruction{
		Command:  strings.ToLower(node.Value),
		Flags:    node.Flags,
		JSON:     node.Attributes["json"],
		Original: node.Original,
		Line:     node.StartLine,
		EndLine:  node.EndLine,
	}
	for n := node.Next; n != nil; n = n.Next {
		in.Args = append(in.Args, n.Value)
	}
	for _, h := range node.Heredocs {
		in.Heredocs = append(in.Heredocs, h.Content)
	}
	return in
}

// Stage returns the stage a build target or `--from` names: a stage name
// (case-insensitive) or an index.
func (df *Dockerfile) Stage(name string) (*Stage, bool) {
	for i := range df.Stages {
		s := &df.Stages[i]
		if (s.Name != "" && strings.EqualFold(s.Name, name)) || fmt.Sprint(s.Index) == name {
			return s, true
		}
	}
	return nil, false
}

// StageNames returns the names of the named stages, in order.
func (df *Dockerfile) StageNames() []string {
	var names []string
	for _, s := range df.Stages {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	return names
}

// Parent returns the stage a stage is built FROM, when its base is an
// earlier stage (not an image).
func (df *Dockerfile) Parent(s *Stage) (*Stage, bool) {
	base := strings.ToLower(df.Expand(s.Base()))
	for i := 0; i < s.Index; i++ {
		if df.Stages[i].Name != "" && df.Stages[i].Name == base {
			return &df.Stages[i], true
		}
	}
	return nil, false
}

// Chain returns a stage and the stages it is built FROM, the stage itself
// first: every layer of its image comes from one of them.
func (df *Dockerfile) Chain(s *Stage) []*Stage {
	chain := []*Stage{s}
	for p, ok := df.Parent(s); ok; p, ok = df.Parent(p) {
		chain = append(chain, p)
	}
	return chain
}

// Expand substitutes the global ARGs' default values in a FROM argument,
// as `docker build` does when no --build-arg overrides them.
func (df *Dockerfile) Expand(word string) string {
	out, _ := df.expand(word)
	return out
}

// expand returns the expanded word and the names of the ARGs it used.
func (df *Dockerfile) expand(word string) (string, []string) {
	var env []string
	for _, a := range df.MetaArgs {
		for _, kv := range a.Args {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env = append(env, k+"="+strings.Trim(v, `"'`))
			} else {
				env = append(env, kv+"=")
			}
		}
	}
	escape := df.escape
	if escape == 0 {
		escape = '\\'
	}
	res, err := shell.NewLex(escape).ProcessWordWithMatches(word, shell.EnvsFromSlice(env))
	if err != nil {
		return word, nil
	}
	var used []string
	for k := range res.Matched {
		used = append(used, k)
	}
	return res.Result, used
}

// MetaArg returns the global ARG declaring name, if any.
func (df *Dockerfile) MetaArg(name string) (Instruction, bool) {
	for _, a := range df.MetaArgs {
		if a.declares(name) {
			return a, true
		}
	}
	return Instruction{}, false
}

// declares reports whether an ARG instruction declares name.
func (in Instruction) declares(name string) bool {
	if in.Command != "arg" {
		return false
	}
	for _, kv := range in.Args {
		if k, _, _ := strings.Cut(kv, "="); k == name {
			return true
		}
	}
	return false
}
