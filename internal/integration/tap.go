package integration

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	// testPoint matches "ok 1 - name # SKIP reason" and "not ok 2 name".
	testPoint = regexp.MustCompile(`^(not ok|ok)\b(?:\s+\d+)?(?:\s+-)?\s*(.*)$`)
	// directive matches a trailing "# SKIP ..." or "# TODO ...".
	directive  = regexp.MustCompile(`(?i)\s+#\s*(skip|todo)\b.*$`)
	durationMS = regexp.MustCompile(`^#\s*duration_ms\s+([0-9.]+)`)
)

// tapPoint is one test point, as read.
type tapPoint struct {
	indent  int
	ok      bool
	skipped bool // SKIP or TODO
	name    string
	message string
	parent  bool
	failed  bool // counted as a failure (a failing leaf, or a failing parent with no failing child)
}

// tapParser holds the state of a line-by-line TAP read.
type tapParser struct {
	points   []*tapPoint
	subtests []subtest // "# Subtest: name" headings still open, by indent
	yaml     *yamlBlock
	found    bool
	duration time.Duration
	bailOut  string
}

type subtest struct {
	indent int
	name   string
}

// yamlBlock is the diagnostics block after a test point.
type yamlBlock struct {
	indent int
	point  *tapPoint
	lines  []string
}

func parseTAP(raw []byte) (*Suite, bool) {
	p := &tapParser{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		p.line(strings.TrimRight(sc.Text(), "\r"))
	}
	if !p.found {
		return nil, false
	}
	return p.suite(), true
}

func (p *tapParser) line(l string) {
	trimmed := strings.TrimLeft(l, " \t")
	indent := len(l) - len(trimmed)
	if p.yaml != nil {
		if trimmed == "..." && indent <= p.yaml.indent {
			p.yaml.point.message = yamlMessage(p.yaml.lines)
			p.yaml = nil
		} else {
			p.yaml.lines = append(p.yaml.lines, l)
		}
		return
	}
	switch {
	case strings.HasPrefix(trimmed, "TAP version"):
		p.found = true
	case trimmed == "---" && len(p.points) > 0 && indent > p.points[len(p.points)-1].indent:
		p.yaml = &yamlBlock{indent: indent, point: p.points[len(p.points)-1]}
	case strings.HasPrefix(trimmed, "# Subtest:"):
		p.closeSubtests(indent)
		p.subtests = append(p.subtests, subtest{indent, strings.TrimSpace(strings.TrimPrefix(trimmed, "# Subtest:"))})
	case strings.HasPrefix(trimmed, "Bail out!"):
		p.found = true
		p.bailOut = strings.TrimSpace(strings.TrimPrefix(trimmed, "Bail out!"))
		if p.bailOut == "" {
			p.bailOut = "the run was aborted"
		}
	case indent == 0 && durationMS.MatchString(trimmed):
		ms, _ := strconv.ParseFloat(durationMS.FindStringSubmatch(trimmed)[1], 64)
		p.duration = time.Duration(ms * float64(time.Millisecond))
	default:
		if m := testPoint.FindStringSubmatch(trimmed); m != nil {
			p.found = true
			p.point(indent, m[1] == "ok", m[2])
		}
	}
}

// closeSubtests drops the "# Subtest:" headings at or deeper than indent.
func (p *tapParser) closeSubtests(indent int) {
	for len(p.subtests) > 0 && p.subtests[len(p.subtests)-1].indent >= indent {
		p.subtests = p.subtests[:len(p.subtests)-1]
	}
}

func (p *tapParser) point(indent int, ok bool, rest string) {
	tp := &tapPoint{indent: indent, ok: ok, name: rest}
	if loc := directive.FindStringIndex(rest); loc != nil {
		tp.skipped = true
		tp.name = strings.TrimSpace(rest[:loc[0]])
	}
	// Name it by its open "# Subtest:" parents, outermost first.
	p.closeSubtests(indent + 1)
	var path []string
	for _, s := range p.subtests {
		if s.indent < indent {
			path = append(path, s.name)
		}
	}
	tp.name = strings.Join(append(path, tp.name), " > ")
	// Children precede their parent, one level deeper.
	childFailed := false
	for i := len(p.points) - 1; i >= 0 && p.points[i].indent > indent; i-- {
		tp.parent = true
		childFailed = childFailed || p.points[i].failed
	}
	tp.failed = !ok && !tp.skipped && (!tp.parent || !childFailed)
	p.points = append(p.points, tp)
}

func (p *tapParser) suite() *Suite {
	s := &Suite{Format: FormatTAP, Duration: p.duration}
	for _, tp := range p.points {
		switch {
		case tp.failed:
			s.Total++
			s.Failed++
			s.Failures = append(s.Failures, Failure{Name: tp.name, Message: tp.message})
		case tp.parent:
		case tp.skipped:
			s.Total++
			s.Skipped++
		default:
			s.Total++
			s.Passed++
		}
	}
	if p.bailOut != "" {
		s.Total++
		s.Failed++
		s.Failures = append(s.Failures, Failure{Name: "Bail out!", Message: p.bailOut})
	}
	return s
}

// yamlMessage picks the failure message out of a diagnostics block: node's
// "error:" or tap's "message:", a plain or quoted scalar or a block scalar.
func yamlMessage(lines []string) string {
	for _, key := range []string{"error:", "message:"} {
		for i, l := range lines {
			t := strings.TrimLeft(l, " ")
			if !strings.HasPrefix(t, key) {
				continue
			}
			keyIndent := len(l) - len(t)
			v := strings.TrimSpace(strings.TrimPrefix(t, key))
			if v == "" || v[0] == '|' || v[0] == '>' {
				var block []string
				for _, b := range lines[i+1:] {
					bt := strings.TrimLeft(b, " ")
					if bt != "" && len(b)-len(bt) <= keyIndent {
						break
					}
					block = append(block, bt)
				}
				return shortMessage(strings.Join(block, "\n"))
			}
			return shortMessage(unquote(v))
		}
	}
	return ""
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '\'' && v[len(v)-1] == '\'' || v[0] == '"' && v[len(v)-1] == '"') {
		if v[0] == '"' {
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
		}
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	}
	return v
}
