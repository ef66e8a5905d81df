package tfscripts

import (
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The Bolt certificate the boot script makes (scripts/bolt-tls.sh), with
// the real openssl: a key Neo4j can read (unencrypted PKCS#8 PEM), owner
// only; a certificate for the instance's name and private IP matching the
// key; the fingerprint it logs is the certificate's; and a second boot keeps
// both.
func TestBoltCertificate(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	s, err := NewSandbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := s.Path("certificates", "bolt")
	makeCert := `bolt_certificate "` + dir + `" ledgerspace.credex-staging.neo4j 10.40.10.5`
	r, err := s.Run(t.Context(), []string{"bolt-tls.sh"}, makeCert)
	if err != nil || r.ExitCode != 0 {
		t.Fatalf("exit %d, %v\n%s", r.ExitCode, err, r.Stderr)
	}

	pair, err := tls.LoadX509KeyPair(dir+"/public.crt", dir+"/private.key")
	if err != nil {
		t.Fatalf("the key and certificate do not make a pair: %v", err)
	}
	cert := pair.Leaf
	if cert.Subject.CommonName != "ledgerspace.credex-staging.neo4j" || !cert.IPAddresses[0].Equal(net.ParseIP("10.40.10.5")) || cert.DNSNames[0] != "ledgerspace.credex-staging.neo4j" {
		t.Errorf("certificate names: CN %q, IPs %v, DNS %v", cert.Subject.CommonName, cert.IPAddresses, cert.DNSNames)
	}
	if days := cert.NotAfter.Sub(cert.NotBefore).Hours() / 24; days < 3649 {
		t.Errorf("the certificate is valid %.0f days, want 3650", days)
	}
	key, _ := os.ReadFile(dir + "/private.key")
	if !strings.HasPrefix(string(key), "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("the key is not unencrypted PKCS#8 PEM, which Neo4j reads: %.40q", key)
	}
	if st, _ := os.Stat(dir + "/private.key"); st.Mode().Perm() != 0o600 {
		t.Errorf("private.key mode %v, want 0600", st.Mode().Perm())
	}
	for _, d := range []string{"trusted", "revoked"} {
		if st, err := os.Stat(dir + "/" + d); err != nil || !st.IsDir() {
			t.Errorf("no %s directory, which Neo4j's SSL policy expects", d)
		}
	}
	sum := sha256.Sum256(cert.Raw)
	want := strings.ToUpper(strings.Join(strings.Fields(fmt.Sprintf("% x", sum[:])), ":"))
	if got := strings.TrimSpace(r.Stdout); !strings.HasSuffix(got, "="+want) {
		t.Errorf("logged %q, want the certificate's SHA-256 fingerprint %s", got, want)
	}

	// A reboot, or the volume on a new instance: the same key and certificate.
	again, err := s.Run(t.Context(), []string{"bolt-tls.sh"}, makeCert)
	if err != nil || again.ExitCode != 0 {
		t.Fatalf("exit %d, %v\n%s", again.ExitCode, err, again.Stderr)
	}
	if again.Stdout != r.Stdout {
		t.Errorf("a second run made a new certificate: %s then %s", r.Stdout, again.Stdout)
	}
}
