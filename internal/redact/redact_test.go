package redact

import "testing"

func TestReplaceMasksLongestFirstAndSkipsShortValues(t *testing.T) {
	var v Values
	v.Add("pass", "password-1234", "db", "", "pass")
	got := v.Replace("user db, password password-1234, pass pass")
	want := "user db, ***word ***, *** ***"
	if got != want {
		t.Errorf("Replace = %q, want %q", got, want)
	}
}
