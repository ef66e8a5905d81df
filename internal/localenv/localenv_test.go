package localenv

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

func localEnv(t *testing.T) envs.Environment {
	t.Helper()
	e, err := envs.Lookup("local")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAppEnvIsCredexCoreWiring(t *testing.T) {
	c := Credentials{Passwords: map[string]string{"LedgerSpace": "ledger-pw", "SearchSpace": "search-pw"}, JWTSecret: "jwt", WhatsAppBotAPIKey: "bot"}
	var got []string
	for _, v := range AppEnv(localEnv(t), c) {
		kind := "plain"
		if v.Secret {
			kind = "secret"
		}
		got = append(got, fmt.Sprintf("%s=%s (%s)", v.Name, v.Value, kind))
	}
	want := []string{
		"NODE_ENV=development (plain)",
		"PORT=5000 (plain)",
		"LOG_LEVEL=debug (plain)",
		"NEO_4J_LEDGER_SPACE_BOLT_URL=bolt://ledgerspace:7687 (plain)",
		"NEO_4J_LEDGER_SPACE_USER=neo4j (plain)",
		"NEO_4J_LEDGER_SPACE_PASS=ledger-pw (secret)",
		"NEO_4J_SEARCH_SPACE_BOLT_URL=bolt://searchspace:7687 (plain)",
		"NEO_4J_SEARCH_SPACE_USER=neo4j (plain)",
		"NEO_4J_SEARCH_SPACE_PASS=search-pw (secret)",
		"JWT_SECRET=jwt (secret)",
		"WHATSAPP_BOT_API_KEY=bot (secret)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("AppEnv:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	auth := Neo4jEnv(SearchSpace, c)[0]
	if auth.Name != "NEO4J_AUTH" || auth.Value != "neo4j/search-pw" || !auth.Secret {
		t.Errorf("Neo4j auth: %+v", auth)
	}
}

func TestCredentialsAreFreshEveryRun(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		c, err := NewCredentials()
		if err != nil {
			t.Fatal(err)
		}
		values := []string{c.Passwords["LedgerSpace"], c.Passwords["SearchSpace"], c.JWTSecret, c.WhatsAppBotAPIKey}
		for _, v := range values {
			if seen[v] {
				t.Fatalf("value repeated across runs or secrets: %q", v)
			}
			seen[v] = true
			if strings.Trim(v, alphabet) != "" {
				t.Errorf("%q has characters outside [A-Za-z0-9]", v)
			}
		}
		if len(values[0]) != 32 || len(c.JWTSecret) != 48 || len(c.WhatsAppBotAPIKey) != 32 {
			t.Errorf("lengths: password %d, JWT secret %d, bot key %d", len(values[0]), len(c.JWTSecret), len(c.WhatsAppBotAPIKey))
		}
	}
	// Every character of the alphabet turns up: the draw is not stuck on a subset.
	all := strings.Join(slices.Collect(func(yield func(string) bool) {
		for v := range seen {
			if !yield(v) {
				return
			}
		}
	}), "")
	for _, r := range alphabet {
		if !strings.ContainsRune(all, r) {
			t.Errorf("%q never drawn in %d characters", r, len(all))
		}
	}
}

// TestWiringMatchesTheTaskDefinition keeps the local wiring and the ECS
// task definition (terraform/modules/service) in step: every variable of the
// container's `environment` is plain locally, every one of its `secrets` is
// a secret locally, and any other is in Omitted with its reason. The names
// are read from the HCL, evaluating the module's locals.
func TestWiringMatchesTheTaskDefinition(t *testing.T) {
	plain, secret := taskDefinitionVariables(t, filepath.Join("..", "..", "terraform", "modules", "service", "main.tf"))
	if len(plain) == 0 || len(secret) == 0 {
		t.Fatalf("read no variables from the task definition: environment %v, secrets %v", plain, secret)
	}
	c, err := NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	local := map[string]Variable{}
	for _, v := range AppEnv(localEnv(t), c) {
		local[v.Name] = v
	}
	check := func(names []string, wantSecret bool, where string) {
		for _, n := range names {
			v, ok := local[n]
			_, omitted := Omitted[n]
			switch {
			case ok && omitted:
				t.Errorf("%s is both set locally and in Omitted", n)
			case !ok && !omitted:
				t.Errorf("the task definition's %s has %s, which local neither sets nor lists in Omitted with a reason", where, n)
			case ok && wantSecret && PlainLocally[n]:
				if v.Secret {
					t.Errorf("%s is listed in PlainLocally but set as a secret", n)
				}
			case ok && v.Secret != wantSecret:
				t.Errorf("%s is in the task definition's %s, but local sets it as secret=%v", n, where, v.Secret)
			}
		}
	}
	check(plain, false, "environment")
	check(secret, true, "secrets")
	for n := range local {
		if !slices.Contains(plain, n) && !slices.Contains(secret, n) {
			t.Errorf("local sets %s, which the task definition does not: add it there or drop it here", n)
		}
	}
	for n := range PlainLocally {
		if !slices.Contains(secret, n) {
			t.Errorf("PlainLocally lists %s, which is not among the task definition's secrets", n)
		}
	}
	for n := range Omitted {
		if !slices.Contains(plain, n) && !slices.Contains(secret, n) {
			t.Errorf("Omitted lists %s, which the task definition does not have", n)
		}
	}
}

// taskDefinitionVariables reads the names in the first container's
// `environment` and `secrets` of the aws_ecs_task_definition in file.
func taskDefinitionVariables(t *testing.T, file string) (plain, secret []string) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	body := f.Body.(*hclsyntax.Body)
	ctx := &hcl.EvalContext{
		// Inputs and other resources are unknown here; names are literals.
		Variables: map[string]cty.Value{"var": cty.DynamicVal, "aws_secretsmanager_secret": cty.DynamicVal},
		Functions: map[string]function.Function{"concat": stdlib.ConcatFunc, "tostring": stdlib.MakeToFunc(cty.String)},
	}
	ctx.Variables["local"] = evalLocals(t, body, ctx)

	for _, b := range body.Blocks {
		if b.Type != "resource" || len(b.Labels) < 1 || b.Labels[0] != "aws_ecs_task_definition" {
			continue
		}
		attr, ok := b.Body.Attributes["container_definitions"]
		if !ok {
			t.Fatalf("%s: aws_ecs_task_definition has no container_definitions", file)
		}
		call, ok := attr.Expr.(*hclsyntax.FunctionCallExpr)
		if !ok || call.Name != "jsonencode" || len(call.Args) != 1 {
			t.Fatalf("%s: container_definitions is not jsonencode([...])", file)
		}
		list, ok := call.Args[0].(*hclsyntax.TupleConsExpr)
		if !ok || len(list.Exprs) == 0 {
			t.Fatalf("%s: container_definitions is not a literal list", file)
		}
		container, ok := list.Exprs[0].(*hclsyntax.ObjectConsExpr)
		if !ok {
			t.Fatalf("%s: the first container is not a literal object", file)
		}
		for _, item := range container.Items {
			key, diags := item.KeyExpr.Value(nil)
			if diags.HasErrors() || key.Type() != cty.String {
				continue
			}
			switch key.AsString() {
			case "environment":
				plain = names(t, item.ValueExpr, ctx)
			case "secrets":
				secret = names(t, item.ValueExpr, ctx)
			}
		}
		return plain, secret
	}
	t.Fatalf("%s has no aws_ecs_task_definition", file)
	return nil, nil
}

// evalLocals evaluates the file's locals, in as many passes as their
// references to one another need.
func evalLocals(t *testing.T, body *hclsyntax.Body, ctx *hcl.EvalContext) cty.Value {
	exprs := map[string]hclsyntax.Expression{}
	for _, b := range body.Blocks {
		if b.Type == "locals" {
			for n, a := range b.Body.Attributes {
				exprs[n] = a.Expr
			}
		}
	}
	values := map[string]cty.Value{}
	for progress := true; progress && len(values) < len(exprs); {
		progress = false
		ctx.Variables["local"] = cty.ObjectVal(values)
		for n, e := range exprs {
			if _, done := values[n]; done {
				continue
			}
			if v, diags := e.Value(ctx); !diags.HasErrors() {
				values[n], progress = v, true
			}
		}
	}
	return cty.ObjectVal(values)
}

// names evaluates a list of { name = ..., ... } objects and returns the names.
func names(t *testing.T, e hclsyntax.Expression, ctx *hcl.EvalContext) []string {
	t.Helper()
	v, diags := e.Value(ctx)
	if diags.HasErrors() {
		t.Fatalf("evaluating %s: %s", e.Range(), diags.Error())
	}
	if !v.CanIterateElements() {
		t.Fatalf("%s is not a list", e.Range())
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, obj := it.Element()
		if !obj.Type().IsObjectType() || !obj.Type().HasAttribute("name") || !obj.GetAttr("name").IsKnown() {
			t.Fatalf("%s: an entry without a literal name: %#v", e.Range(), obj)
		}
		out = append(out, obj.GetAttr("name").AsString())
	}
	sort.Strings(out)
	return out
}

func TestDatabasesRefuseTestSettingsThatSetTheirVariables(t *testing.T) {
	if err := CheckNoDatabaseVariables([]string{"FEATURE_X", "NEO_4J_OTHER"}); err != nil {
		t.Errorf("unrelated names: %v", err)
	}
	err := CheckNoDatabaseVariables([]string{"NEO_4J_SEARCH_SPACE_PASS", "FEATURE_X", "NEO_4J_LEDGER_SPACE_BOLT_URL"})
	want := "--databases sets NEO_4J_LEDGER_SPACE_BOLT_URL, NEO_4J_SEARCH_SPACE_PASS for the databases it starts: drop them from --test-env and --test-secrets, or drop --databases to reach databases of your own"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
