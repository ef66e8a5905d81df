package localenv

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGatewayForwardsEachPort runs `up`'s gateway with node against two
// TCP servers on 127.0.0.1 and talks to both through it; a connection to a
// target that is down is closed, and the gateway keeps serving.
func TestGatewayForwardsEachPort(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	echo := func(prefix string) int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					line, _ := bufio.NewReader(c).ReadString('\n')
					io.WriteString(c, prefix+line)
				}()
			}
		}()
		return ln.Addr().(*net.TCPAddr).Port
	}
	free := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	a, b, down := echo("a:"), echo("b:"), free()
	la, lb, ld := free(), free(), free()
	script := filepath.Join(t.TempDir(), "gateway.js")
	if err := os.WriteFile(script, []byte(GatewayScript), 0o644); err != nil {
		t.Fatal(err)
	}
	fw := func(listen, port int) string {
		return Forward{Listen: listen, Host: "127.0.0.1", Port: port}.String()
	}
	cmd := exec.Command(node, script, fw(la, a), fw(lb, b), fw(ld, down))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	for range 3 {
		if !lines.Scan() || !strings.HasPrefix(lines.Text(), "forwarding :") {
			t.Fatalf("the gateway did not announce its forwards: %q", lines.Text())
		}
	}
	talk := func(port int, msg string) (string, error) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 2*time.Second)
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, msg+"\n")
		reply, err := bufio.NewReader(c).ReadString('\n')
		return strings.TrimSpace(reply), err
	}
	if got, err := talk(ld, "nobody"); err == nil {
		t.Errorf("a forward to a closed port answered %q", got)
	}
	for port, want := range map[int]string{la: "a:hello", lb: "b:hello"} {
		if got, err := talk(port, "hello"); err != nil || got != want {
			t.Errorf("through :%d got %q (%v), want %q", port, got, err, want)
		}
	}
}
