package testbed

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
)

// Secrets Manager's GetRandomPassword is kumo's; the bed passes it through
// and remembers every password it returned, so a test can prove that none
// of them reached a plan, a state or a log.

const getRandomPassword = "secretsmanager.GetRandomPassword"

func (b *Bed) recordRandomPassword(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	b.proxy.ServeHTTP(rec, r)
	var out struct {
		RandomPassword string `json:"RandomPassword"`
	}
	if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &out) == nil && out.RandomPassword != "" {
		b.mu.Lock()
		b.passwords = append(b.passwords, out.RandomPassword)
		b.mu.Unlock()
	}
	copyResponse(w, rec)
}

// GeneratedPasswords are the passwords GetRandomPassword has returned, in
// order.
func (b *Bed) GeneratedPasswords() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.passwords...)
}
