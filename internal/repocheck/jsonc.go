package repocheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// JSONC turns JSON with comments (devcontainer.json's format: // and /* */
// comments, trailing commas) into plain JSON. Comments become spaces and
// removed commas a space, so every byte keeps its offset and a JSON error's
// offset is still the line and column in the original.
func JSONC(src []byte) ([]byte, error) {
	out := []byte(string(src))
	inString := false
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			end := strings.Index(string(out[i+2:]), "*/")
			if end < 0 {
				line, col := position(src, i)
				return nil, fmt.Errorf("%d:%d: a /* comment is never closed", line, col)
			}
			for j := i; j < i+2+end+2; j++ {
				if out[j] != '\n' {
					out[j] = ' '
				}
			}
			i += 2 + end + 1
		case c == ',':
			// A trailing comma: the next significant byte closes the
			// object or array (comments are blanked before we get there).
			j := i + 1
			for j < len(out) && isSpaceOrComment(out, &j) {
			}
			if j < len(out) && (out[j] == '}' || out[j] == ']') {
				out[i] = ' '
			}
		}
	}
	if inString {
		return nil, errors.New("a string is never closed")
	}
	return out, nil
}

// isSpaceOrComment advances *j past one space or one comment and reports
// whether it did.
func isSpaceOrComment(b []byte, j *int) bool {
	i := *j
	switch {
	case b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r':
		*j = i + 1
		return true
	case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
		for i < len(b) && b[i] != '\n' {
			i++
		}
		*j = i
		return true
	case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
		end := strings.Index(string(b[i+2:]), "*/")
		if end < 0 {
			*j = len(b)
		} else {
			*j = i + 2 + end + 2
		}
		return true
	}
	return false
}

// UnmarshalJSONC decodes JSON with comments into v; a syntax error names
// the line and column of the original text.
func UnmarshalJSONC(src []byte, v any) error {
	plain, err := JSONC(src)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			line, col := position(src, int(syntax.Offset)-1)
			return fmt.Errorf("%d:%d: %v", line, col, err)
		}
		return err
	}
	return nil
}

// position is the 1-based line and column of byte offset off in src.
func position(src []byte, off int) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > len(src) {
		off = len(src)
	}
	line = 1 + strings.Count(string(src[:off]), "\n")
	col = off - strings.LastIndex(string(src[:off]), "\n")
	return line, col
}
