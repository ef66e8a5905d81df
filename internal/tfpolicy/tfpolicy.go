// Package tfpolicy checks the credex-core Terraform stack against the
// policies a production stack must keep, by parsing its HCL (no provider, no
// init): the ECS deployment circuit breaker with rollback, autoscaling that
// owns the task count, no secret-looking
// names in a container's plain environment, prevent_destroy on whatever
// holds data (the types the plan guard protects), encryption, database ingress only from a security
// group, a digest-pinned image variable, typed and described variables,
// tfvars files that set every required variable, descriptions within the
// character sets AWS documents for them, and no secret value (a generated
// password, a Secrets Manager value) kept in the state; Bolt over TLS only; versioned buckets; in production, HTTPS
// with a TLS 1.3 policy, someone subscribed to the alarms, a NAT gateway per
// zone and backups copied to another region.
//
// Each broken policy is a Violation that names the file, the line and the fix.
package tfpolicy

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Rule names, as reported in Violation.Rule.
const (
	RuleCircuitBreaker      = "circuit-breaker"
	RuleSecretInEnvironment = "secret-in-environment"
	RulePreventDestroy      = "prevent-destroy"
	RuleEncryption          = "encryption"
	RuleDatabaseIngress     = "database-ingress"
	RuleImageDigest         = "image-digest"
	RuleVariableDocumented  = "variable-documented"
	RuleTFVarsComplete      = "tfvars-complete"
	RuleSecretOutput        = "secret-output"
	RuleDescriptionCharset  = "description-charset"
	RulePasswordInState     = "password-in-state"
	RuleTLS                 = "tls"
	RuleAlarmSubscriber     = "alarm-subscriber"
	RuleBoltTLS             = "bolt-tls"
	RuleZoneRedundancy      = "zone-redundancy"
	RuleAutoscaling         = "autoscaling"
	RuleConfusedDeputy      = "confused-deputy"
	RuleNetwork             = "network"
	RuleBackups             = "backups"
)

// PipelineVariables are required variables the pipeline passes on the command
// line rather than the tfvars files: image is the digest it just pushed.
var PipelineVariables = map[string]bool{"image": true}

// Violation is one broken policy.
type Violation struct {
	Rule string `json:"rule"`
	// File is relative to the checked directory, with forward slashes.
	File string `json:"file"`
	Line int    `json:"line"`
	// Message says what is wrong and how to fix it.
	Message string `json:"message"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s:%d: [%s] %s", v.File, v.Line, v.Rule, v.Message)
}

// Check checks the Terraform directory dir (the repository's terraform/).
func Check(dir string) ([]Violation, error) {
	return CheckFS(os.DirFS(dir))
}

// CheckFS checks a Terraform directory given as a file system whose root is
// the terraform/ directory. Violations are sorted by file and line. The error
// is for files that cannot be read or parsed, not for broken policies.
func CheckFS(fsys fs.FS) ([]Violation, error) {
	stack, err := load(fsys)
	if err != nil {
		return nil, err
	}
	var c checker
	for _, rule := range rules {
		rule(&c, stack)
	}
	sort.SliceStable(c.out, func(i, j int) bool {
		if c.out[i].File != c.out[j].File {
			return c.out[i].File < c.out[j].File
		}
		return c.out[i].Line < c.out[j].Line
	})
	return c.out, nil
}

var rules = []func(*checker, *stack){
	checkCircuitBreaker,
	checkContainerEnvironment,
	checkPreventDestroy,
	checkEncryption,
	checkDatabaseIngress,
	checkImageDigest,
	checkVariablesDocumented,
	checkTFVars,
	checkSecretOutputs,
	checkDescriptions,
	checkPasswordsInState,
	checkTLS,
	checkAlarmSubscribers,
	checkBoltTLS,
	checkZoneRedundancy,
	checkAutoscaling,
	checkConfusedDeputy,
	checkNetwork,
	checkBackups,
}

type checker struct{ out []Violation }

func (c *checker) report(rule string, r hcl.Range, format string, args ...any) {
	c.out = append(c.out, Violation{Rule: rule, File: r.Filename, Line: r.Start.Line, Message: fmt.Sprintf(format, args...)})
}

// stack is every parsed .tf file under the root, and the tfvars files.
type stack struct {
	fsys   fs.FS
	files  []*file // .tf files, sorted by name
	tfvars map[string]*file
}

type file struct {
	name string // relative, slash-separated
	dir  string
	src  []byte
	body *hclsyntax.Body
}

func load(fsys fs.FS) (*stack, error) {
	s := &stack{fsys: fsys, tfvars: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir // .terraform and friends
			}
			return nil
		}
		ext := path.Ext(p)
		if ext != ".tf" && ext != ".tfvars" {
			return nil
		}
		f, err := parse(fsys, p)
		if err != nil {
			return err
		}
		if ext == ".tf" {
			s.files = append(s.files, f)
		} else {
			s.tfvars[p] = f
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(s.files) == 0 {
		return nil, fmt.Errorf("no .tf files found: point the check at the terraform/ directory")
	}
	return s, nil
}

func parse(fsys fs.FS, name string) (*file, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parsing %s: %s", name, diags.Error())
	}
	return &file{name: name, dir: path.Dir(name), src: src, body: f.Body.(*hclsyntax.Body)}, nil
}

// blocks returns the top-level blocks of one type ("resource", "variable")
// whose first label is label ("" for any), in file order.
func (s *stack) blocks(typ, label string) []fileBlock {
	var out []fileBlock
	for _, f := range s.files {
		for _, b := range f.body.Blocks {
			if b.Type == typ && (label == "" || (len(b.Labels) > 0 && b.Labels[0] == label)) {
				out = append(out, fileBlock{f, b})
			}
		}
	}
	return out
}

type fileBlock struct {
	file *file
	*hclsyntax.Block
}

// name is how a block is named in messages: resource "aws_instance" "this".
func (b fileBlock) name() string {
	q := make([]string, len(b.Labels))
	for i, l := range b.Labels {
		q[i] = fmt.Sprintf("%q", l)
	}
	return b.Type + " " + strings.Join(q, " ")
}

// nested returns the nested blocks of one type.
func nested(b *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, n := range b.Blocks {
		if n.Type == typ {
			out = append(out, n)
		}
	}
	return out
}

// referrers are the resources of type typ in to's module whose attribute
// attr refers to it: the versioning of a bucket (bucket =
// aws_s3_bucket.x.id), the flow log of a VPC (vpc_id = aws_vpc.x.id).
func (s *stack) referrers(typ, attr string, to fileBlock) []fileBlock {
	var out []fileBlock
	for _, r := range s.blocks("resource", typ) {
		if a, ok := r.Body.Attributes[attr]; ok && r.file.dir == to.file.dir && references(a.Expr, to.Labels[0], to.Labels[1]) {
			out = append(out, r)
		}
	}
	return out
}

// literal is the value of an expression that refers to nothing (a
// constant, not null); ok is false for any other.
func literal(e hclsyntax.Expression) (v cty.Value, ok bool) {
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return cty.NilVal, false
	}
	return v, true
}

// attrValue is an attribute's literal value; ok is false when it is not
// set, null or not a literal.
func attrValue(b *hclsyntax.Body, name string) (cty.Value, bool) {
	a, ok := b.Attributes[name]
	if !ok {
		return cty.NilVal, false
	}
	return literal(a.Expr)
}

// literalTrue reports whether the attribute is the literal true.
func literalTrue(b *hclsyntax.Body, name string) bool {
	v, ok := attrValue(b, name)
	return ok && v.Type().Equals(cty.Bool) && v.True()
}

// attrString is an attribute's literal string value ("" when it is not
// one).
func attrString(b *hclsyntax.Body, name string) string {
	a, ok := b.Attributes[name]
	if !ok {
		return ""
	}
	return key(a.Expr)
}

// key is an expression's literal string value, e.g. an object item's key
// ("" when it is computed).
func key(e hclsyntax.Expression) string {
	if v, ok := literal(e); ok && v.Type().Equals(cty.String) {
		return v.AsString()
	}
	return ""
}

// source is the text of an expression as written.
func (f *file) source(r hcl.Range) string {
	return string(r.SliceBytes(f.src))
}
