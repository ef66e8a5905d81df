package tfpolicy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// CharSet is a character set AWS documents for a description field. Neither
// the provider nor a plan checks most of them: EC2 refuses a security group
// rule description with an apostrophe only on apply, half-way through the
// first deploy.
type CharSet struct {
	// Name says whose set it is, for messages.
	Name string
	// Allowed lists the characters allowed besides ASCII letters, digits
	// and space, as AWS documents them.
	Allowed string
	// Letters reports whether ASCII letters and digits are allowed (all
	// sets here allow them).
	Letters bool
	// Space reports whether the space is allowed.
	Space bool
	// Latin1 allows every printable ASCII and Latin-1 character, tab, LF
	// and CR instead of Allowed (IAM's [\t\n\r\x20-\x7E\xA1-\xFF]).
	Latin1 bool
	// Max is the longest description AWS accepts, in characters.
	Max int
}

// Allows reports whether r is in the set.
func (s CharSet) Allows(r rune) bool {
	switch {
	case s.Latin1:
		return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7e) || (r >= 0xa1 && r <= 0xff)
	case r == ' ':
		return s.Space
	case s.Letters && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
		return true
	}
	return strings.ContainsRune(s.Allowed, r)
}

// Describe is the set as written in AWS's documentation.
func (s CharSet) Describe() string {
	if s.Latin1 {
		return "printable ASCII and Latin-1 characters, tab and newlines"
	}
	return "a-z, A-Z, 0-9, space and " + s.Allowed
}

// The documented sets (EC2 API reference: CreateSecurityGroup, IpRange,
// UserIdGroupPair, PrefixListId; DLM API reference: CreateLifecyclePolicy;
// IAM API reference: CreateRole, CreatePolicy).
var (
	// SecurityGroupDescription: a security group's own description.
	SecurityGroupDescription = CharSet{Name: "a security group description", Allowed: "._-:/()#,@[]+=&;{}!$*", Letters: true, Space: true, Max: 255}
	// SecurityGroupRuleDescription: a rule's description. AWS allows '&'
	// for a rule on a CIDR block but not for one that references a security
	// group or a prefix list, so the rule is held to the set both accept.
	SecurityGroupRuleDescription = CharSet{Name: "a security group rule description", Allowed: "._-:/()#,@[]+=;{}!$*", Letters: true, Space: true, Max: 255}
	// DLMDescription: a DLM lifecycle policy's description (^[0-9A-Za-z _-]+$).
	DLMDescription = CharSet{Name: "a DLM lifecycle policy description", Allowed: "_-", Letters: true, Space: true, Max: 500}
	// IAMDescription: an IAM role's or policy's description.
	IAMDescription = CharSet{Name: "an IAM description", Latin1: true, Max: 1000}
)

// describedField is one description argument with a documented set.
type describedField struct {
	resource string
	// blocks are the nested blocks holding the field ("" is the resource's
	// own body; "ingress" also covers dynamic "ingress" { content { ... } }).
	blocks []string
	attr   string
	set    CharSet
}

// DescribedFields are the resource types and arguments the description rule
// checks.
var describedFields = []describedField{
	{"aws_security_group", []string{""}, "description", SecurityGroupDescription},
	{"aws_security_group", []string{"ingress", "egress"}, "description", SecurityGroupRuleDescription},
	{"aws_default_security_group", []string{"ingress", "egress"}, "description", SecurityGroupRuleDescription},
	{"aws_security_group_rule", []string{""}, "description", SecurityGroupRuleDescription},
	{"aws_vpc_security_group_ingress_rule", []string{""}, "description", SecurityGroupRuleDescription},
	{"aws_vpc_security_group_egress_rule", []string{""}, "description", SecurityGroupRuleDescription},
	{"aws_dlm_lifecycle_policy", []string{""}, "description", DLMDescription},
	{"aws_iam_role", []string{""}, "description", IAMDescription},
	{"aws_iam_policy", []string{""}, "description", IAMDescription},
}

// checkDescriptions holds every description with a documented character set
// to that set (and its length limit), so a description AWS would refuse is
// caught without AWS.
//
// A description is often a template ("Load balancer of ${var.service_name}").
// Its literal parts are always checked. An interpolation is checked too when
// its value is known from the configuration alone: constants and the string
// functions over them, locals of the same module that are themselves known,
// and each.key / each.value over a literal for_each (every element is
// checked). Any other interpolation (var.*, a resource's attribute) takes
// its value from outside the module or from AWS: it is skipped, and counts
// as empty towards the length limit. Both arms of a conditional are checked.
func checkDescriptions(c *checker, s *stack) {
	for _, f := range describedFields {
		for _, b := range s.blocks("resource", f.resource) {
			scope := s.scope(b)
			for _, fb := range fieldBodies(b.Body, f.blocks) {
				a, ok := fb.body.Attributes[f.attr]
				if !ok {
					continue
				}
				where := f.attr
				if fb.block != "" {
					where = fmt.Sprintf("the %s of an %s block", f.attr, fb.block)
				}
				if msg := scope.checkText(a.Expr, f.set); msg != "" {
					c.report(RuleDescriptionCharset, a.Expr.Range(), "%s: %s %s", b.name(), where, msg)
				}
			}
		}
	}
}

type fieldBody struct {
	block string // "" for the resource's own body
	body  *hclsyntax.Body
}

// fieldBodies are the bodies named by blocks: the resource's own ("") and
// its nested blocks of those types, static or dynamic.
func fieldBodies(resource *hclsyntax.Body, blocks []string) []fieldBody {
	var out []fieldBody
	for _, typ := range blocks {
		if typ == "" {
			out = append(out, fieldBody{"", resource})
			continue
		}
		for _, n := range nested(resource, typ) {
			out = append(out, fieldBody{typ, n.Body})
		}
		for _, d := range nested(resource, "dynamic") {
			if len(d.Labels) == 1 && d.Labels[0] == typ {
				for _, content := range nested(d.Body, "content") {
					out = append(out, fieldBody{typ, content.Body})
				}
			}
		}
	}
	return out
}

// scope is what an expression in one resource can be evaluated with: the
// module's known locals and the resource's for_each elements.
type scope struct {
	locals map[string]cty.Value
	// each holds one {key, value} object per for_each element; nil without
	// a known for_each.
	each []cty.Value
}

func (s *stack) scope(b fileBlock) scope {
	sc := scope{locals: s.knownLocals(b.file.dir)}
	fe, ok := b.Body.Attributes["for_each"]
	if !ok {
		return sc
	}
	v := sc.value(fe.Expr, cty.NilVal)
	if v == cty.NilVal || !v.CanIterateElements() {
		return sc
	}
	for it := v.ElementIterator(); it.Next(); {
		k, val := it.Element()
		if v.Type().IsSetType() || v.Type().IsListType() || v.Type().IsTupleType() {
			k = val
		}
		sc.each = append(sc.each, cty.ObjectVal(map[string]cty.Value{"key": k, "value": val}))
	}
	return sc
}

// knownLocals evaluates the locals of the module in dir whose values follow
// from the configuration alone.
func (s *stack) knownLocals(dir string) map[string]cty.Value {
	exprs := map[string]hclsyntax.Expression{}
	for _, b := range s.blocks("locals", "") {
		if b.file.dir != dir {
			continue
		}
		for name, a := range b.Body.Attributes {
			exprs[name] = a.Expr
		}
	}
	known := map[string]cty.Value{}
	for progress := true; progress; {
		progress = false
		for name, e := range exprs {
			if v := (scope{locals: known}).value(e, cty.NilVal); v != cty.NilVal {
				known[name] = v
				delete(exprs, name)
				progress = true
			}
		}
	}
	return known
}

// functions are the string and collection functions a known value may be
// built with.
var functions = map[string]function.Function{
	"join": stdlib.JoinFunc, "format": stdlib.FormatFunc, "upper": stdlib.UpperFunc, "lower": stdlib.LowerFunc,
	"replace": stdlib.ReplaceFunc, "trimspace": stdlib.TrimSpaceFunc, "concat": stdlib.ConcatFunc,
	"merge": stdlib.MergeFunc, "keys": stdlib.KeysFunc,
	"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)), "tostring": stdlib.MakeToFunc(cty.String),
}

// value evaluates e when every reference in it is known (each being the
// current for_each element, or NilVal); NilVal when it is not.
func (sc scope) value(e hclsyntax.Expression, each cty.Value) cty.Value {
	vars := map[string]cty.Value{}
	locals := map[string]cty.Value{}
	for _, t := range e.Variables() {
		switch root := t.RootName(); root {
		case "local":
			if len(t) < 2 {
				return cty.NilVal
			}
			attr, ok := t[1].(hcl.TraverseAttr)
			if !ok {
				return cty.NilVal
			}
			v, ok := sc.locals[attr.Name]
			if !ok {
				return cty.NilVal
			}
			locals[attr.Name] = v
		case "each":
			if each == cty.NilVal {
				return cty.NilVal
			}
			vars["each"] = each
		default:
			return cty.NilVal
		}
	}
	if len(locals) > 0 {
		vars["local"] = cty.ObjectVal(locals)
	}
	v, diags := e.Value(&hcl.EvalContext{Variables: vars, Functions: functions})
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return cty.NilVal
	}
	return v
}

// checkText checks a string expression against set and returns what is
// wrong with it ("" when nothing is).
func (sc scope) checkText(e hclsyntax.Expression, set CharSet) string {
	var bad []rune
	seen := map[rune]bool{}
	add := func(text string) {
		for _, r := range text {
			if !set.Allows(r) && !seen[r] {
				seen[r] = true
				bad = append(bad, r)
			}
		}
	}
	var walk func(e hclsyntax.Expression) int
	// walk checks the text e can produce and returns its shortest known
	// length.
	walk = func(e hclsyntax.Expression) int {
		switch e := e.(type) {
		case *hclsyntax.TemplateExpr:
			n := 0
			for _, p := range e.Parts {
				n += walk(p)
			}
			return n
		case *hclsyntax.TemplateWrapExpr:
			return walk(e.Wrapped)
		case *hclsyntax.ParenthesesExpr:
			return walk(e.Expression)
		case *hclsyntax.ConditionalExpr:
			return min(walk(e.TrueResult), walk(e.FalseResult))
		}
		values := sc.values(e)
		shortest := -1
		for _, v := range values {
			if v, err := convertString(v); err == nil {
				add(v)
				if shortest < 0 || len([]rune(v)) < shortest {
					shortest = len([]rune(v))
				}
			}
		}
		return max(shortest, 0)
	}
	length := walk(e)
	var problems []string
	if len(bad) > 0 {
		sort.Slice(bad, func(i, j int) bool { return bad[i] < bad[j] })
		q := make([]string, len(bad))
		for i, r := range bad {
			q[i] = strconv.Quote(string(r))
		}
		problems = append(problems, fmt.Sprintf("has %s, which AWS refuses in %s (allowed: %s); reword it without %s",
			strings.Join(q, ", "), set.Name, set.Describe(), plural(len(bad), "that character", "those characters")))
	}
	if set.Max > 0 && length > set.Max {
		problems = append(problems, fmt.Sprintf("is at least %d characters long; AWS accepts at most %d in %s", length, set.Max, set.Name))
	}
	return strings.Join(problems, "; ")
}

// values are the known values of e: one, or one per for_each element when
// it refers to each; none when unknown.
func (sc scope) values(e hclsyntax.Expression) []cty.Value {
	usesEach := false
	for _, t := range e.Variables() {
		usesEach = usesEach || t.RootName() == "each"
	}
	if !usesEach {
		if v := sc.value(e, cty.NilVal); v != cty.NilVal {
			return []cty.Value{v}
		}
		return nil
	}
	var out []cty.Value
	for _, each := range sc.each {
		if v := sc.value(e, each); v != cty.NilVal {
			out = append(out, v)
		}
	}
	return out
}

func convertString(v cty.Value) (string, error) {
	s, err := stdlib.MakeToFunc(cty.String).Call([]cty.Value{v})
	if err != nil {
		return "", err
	}
	return s.AsString(), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
