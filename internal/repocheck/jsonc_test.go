package repocheck

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONCReadsCommentsAndTrailingCommas(t *testing.T) {
	src := `// a leading comment
{
  "name": "credex-ci", /* inline */
  "url": "https://example.com/a//b", // not a comment inside a string
  "quote": "a \" and // still a string",
  "list": [1, 2, /* c */ 3,
    // a comment before the close
  ],
  "obj": {"a": "x",},
}
`
	var got map[string]any
	if err := UnmarshalJSONC([]byte(src), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "credex-ci", "url": "https://example.com/a//b", "quote": "a \" and // still a string",
		"list": []any{1.0, 2.0, 3.0}, "obj": map[string]any{"a": "x"}}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("got %s, want %s", g, w)
	}
}

func TestJSONCErrorsNameTheLine(t *testing.T) {
	for src, want := range map[string]string{
		"{\n  // fine\n  \"a\": 1\n  \"b\": 2\n}": "4:3",
		"{\n  \"a\": 1 /* never closed\n}":        "2:10: a /* comment is never closed",
		"{\n  \"a\": \"never closed\n}":           "a string is never closed",
		"{\n  \"a\": 1,\n  // trailing\n  ,\n}":   "5:1",
	} {
		var v any
		err := UnmarshalJSONC([]byte(src), &v)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to hold %q", src, err, want)
		}
	}
}
