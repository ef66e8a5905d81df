package integration

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// junitSuite is a <testsuites> or <testsuite> element: node's reporter nests
// suites for describe() blocks and puts top-level tests in <testsuites> directly.
type junitSuite struct {
	XMLName xml.Name
	Name    string       `xml:"name,attr"`
	Time    string       `xml:"time,attr"`
	Suites  []junitSuite `xml:"testsuite"`
	Cases   []junitCase  `xml:"testcase"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Failures  []junitProblem `xml:"failure"`
	Errors    []junitProblem `xml:"error"`
	Skipped   *junitProblem  `xml:"skipped"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func parseJUnit(raw []byte) (*Suite, error) {
	// Drop what follows the report (npm's error lines after a failed run).
	for _, end := range []string{"</testsuites>", "</testsuite>"} {
		if i := bytes.LastIndex(raw, []byte(end)); i >= 0 {
			raw = raw[:i+len(end)]
			break
		}
	}
	var root junitSuite
	if err := xml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("JUnit XML: %w", err)
	}
	s := &Suite{Format: FormatJUnit}
	if d, ok := seconds(root.Time); ok {
		s.Duration = d
	} else {
		for _, child := range root.Suites {
			if d, ok := seconds(child.Time); ok {
				s.Duration += d
			}
		}
	}
	// A <testsuites> name ("jest tests") is not part of the test names; a lone
	// <testsuite>'s is.
	s.addJUnit(root, nil, root.XMLName.Local == "testsuites")
	return s, nil
}

func (s *Suite) addJUnit(js junitSuite, path []string, root bool) {
	if !root && js.Name != "" {
		path = append(path, js.Name)
	}
	for _, c := range js.Cases {
		s.Total++
		problems := append(append([]junitProblem(nil), c.Failures...), c.Errors...)
		switch {
		case len(problems) > 0:
			s.Failed++
			s.Failures = append(s.Failures, Failure{Name: caseName(path, c), Message: problemMessage(problems[0])})
		case c.Skipped != nil:
			s.Skipped++
		default:
			s.Passed++
		}
	}
	for _, child := range js.Suites {
		s.addJUnit(child, path, false)
	}
}

// caseName joins the suite path and the case name, without repeating the
// suite name that jest-junit already puts in front of the case name.
func caseName(path []string, c junitCase) string {
	name := c.Name
	if len(path) > 0 && strings.HasPrefix(name, path[len(path)-1]+" ") {
		path = path[:len(path)-1]
	}
	return strings.Join(append(append([]string(nil), path...), name), " > ")
}

func problemMessage(p junitProblem) string {
	if strings.TrimSpace(p.Text) != "" {
		return shortMessage(p.Text)
	}
	return shortMessage(p.Message)
}

func seconds(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}
