package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docs/deploy.md shows the summary of a deploy on the test bed (the
// circuit-breaker rollback). checkDocExample holds it to what
// Result.Markdown prints, but for what differs from run to run (timings,
// ports, ECS's deployment and task IDs, which of two equivalent words the
// watcher saw first) and the evidence, trimmed in the doc.
// CREDEX_UPDATE_DOCS=1 writes the summary into the doc instead.
const (
	docPath          = "../../docs/deploy.md"
	docExampleBegin  = "<!-- the summary example begins: internal/deploy/docexample_test.go writes it -->\n"
	docExampleEnd    = "<!-- the summary example ends -->\n"
	trimmedEvidence  = "```text\n… (service events, each stopped task with its exit code and log lines)\n```"
	docUpdateCommand = "CREDEX_UPDATE_DOCS=1 go test -run CircuitBreakerRollsBack ./internal/deploy"
)

var (
	fenced = regexp.MustCompile("(?s)```text\n.*?\n```")
	// Normalised for the comparison only; the doc keeps real values.
	varying = []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
		{regexp.MustCompile(`ecs-svc/\d+`), "ecs-svc/ID"},
		{regexp.MustCompile(`\b[0-9a-f]{32}\b`), "TASK"},
		{regexp.MustCompile(`\b\d+(?:\.\d+)?(?:h|m|s|ms|µs|ns)(?:\d+(?:\.\d+)?(?:m|s|ms|µs|ns))*\b`), "T"},
		// The watcher names the circuit breaker's reason from the deployment
		// or, when ECS dropped it between two polls, from the service event.
		{regexp.MustCompile(`failed \((?:ECS deployment circuit breaker|service event: [^)]*\) \([^)]*\) deployment failed): tasks failed to start\.\)`), "failed (REASON)"},
	}
)

func normalizeExample(md string) string {
	md = fenced.ReplaceAllString(md, trimmedEvidence)
	for _, v := range varying {
		md = v.re.ReplaceAllString(md, v.with)
	}
	return strings.TrimSpace(md)
}

func checkDocExample(t *testing.T, md string) {
	t.Helper()
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(doc), docExampleBegin)
	example, after, ok2 := strings.Cut(rest, docExampleEnd)
	if !ok || !ok2 {
		t.Fatalf("docs/deploy.md lacks the example's markers %q and %q", docExampleBegin, docExampleEnd)
	}
	generated := strings.TrimSpace(fenced.ReplaceAllString(md, trimmedEvidence)) + "\n"
	if os.Getenv("CREDEX_UPDATE_DOCS") != "" {
		if err := os.WriteFile(docPath, []byte(before+docExampleBegin+"\n"+generated+"\n"+docExampleEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, want := strings.Split(normalizeExample(example), "\n"), strings.Split(normalizeExample(generated), "\n")
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("docs/deploy.md's summary example is not what Result.Markdown prints now (line %d of the example, normalised):\n doc:  %q\n code: %q\nrun `%s` to write it there", i+1, g, w, docUpdateCommand)
			return
		}
	}
}
