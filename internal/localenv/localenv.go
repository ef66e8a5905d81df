// Package localenv is the local environment's wiring: what `deploy
// --env=local` and `up --env=local` start on the Dagger engine instead of
// ECS, wired the way the ECS task definition wires credex-core in AWS
// (terraform/modules/service): the same variable names, the same split
// between plain environment and secrets, with credentials generated per run.
//
// credex-core reaches two Neo4j databases, LedgerSpace and SearchSpace, by
// NEO_4J_<DB>_BOLT_URL, NEO_4J_<DB>_USER and NEO_4J_<DB>_PASS. Locally each
// is a Neo4j 5 service reached by a host name (its Dagger service binding),
// and this package also checks that each answers Bolt with its credentials
// (Wait) before the app starts.
package localenv

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

// Ports of the local stack, as in AWS: the app's PORT, and Neo4j's Bolt and
// HTTP (browser) ports.
const (
	AppPort   = 5000
	BoltPort  = 7687
	HTTPPort  = 7474
	Neo4jUser = "neo4j"
	// LogLevel is the app's LOG_LEVEL locally: debug, as on staging.
	LogLevel = "debug"
)

// Database is one of credex-core's Neo4j databases.
type Database struct {
	// Name is how people call it: "LedgerSpace".
	Name string
	// Host is the host name the app reaches it by locally (its service
	// binding): "ledgerspace".
	Host string
	// EnvPrefix prefixes its _BOLT_URL, _USER and _PASS variables:
	// "NEO_4J_LEDGER_SPACE".
	EnvPrefix string
	// HostBoltPort and HostHTTPPort are where `up` exposes its Bolt and
	// browser ports on the user's machine (7687/7474 and 7688/7475: two
	// databases cannot share one port).
	HostBoltPort, HostHTTPPort int
}

// LedgerSpace and SearchSpace are credex-core's two databases.
var (
	LedgerSpace = Database{Name: "LedgerSpace", Host: "ledgerspace", EnvPrefix: "NEO_4J_LEDGER_SPACE", HostBoltPort: 7687, HostHTTPPort: 7474}
	SearchSpace = Database{Name: "SearchSpace", Host: "searchspace", EnvPrefix: "NEO_4J_SEARCH_SPACE", HostBoltPort: 7688, HostHTTPPort: 7475}
)

// Databases lists both, LedgerSpace first.
func Databases() []Database { return []Database{LedgerSpace, SearchSpace} }

// BoltURL is the URL the app connects to: bolt://ledgerspace:7687.
func (d Database) BoltURL() string { return "bolt://" + d.Host + ":" + strconv.Itoa(BoltPort) }

// Variable is one environment variable of a container. Secret values go to
// containers only as secrets (Dagger's WithSecretVariable), never as plain
// environment, exactly as the task definition puts them in `secrets`.
type Variable struct {
	Name   string
	Value  string
	Secret bool
}

// Credentials are what one run generates: a password per database and the
// app's own secrets. They live only in memory and in Dagger secrets.
type Credentials struct {
	// Passwords of the neo4j user, by database name.
	Passwords map[string]string
	// JWTSecret signs the app's tokens (JWT_SECRET).
	JWTSecret string
	// WhatsAppBotAPIKey is the key the WhatsApp bot calls the API with
	// (WHATSAPP_BOT_API_KEY).
	WhatsAppBotAPIKey string
}

// NewCredentials generates a run's credentials with crypto/rand.
func NewCredentials() (Credentials, error) {
	c := Credentials{Passwords: map[string]string{}}
	for _, d := range Databases() {
		p, err := Password()
		if err != nil {
			return c, err
		}
		c.Passwords[d.Name] = p
	}
	var err error
	if c.JWTSecret, err = token(48); err != nil {
		return c, err
	}
	if c.WhatsAppBotAPIKey, err = token(32); err != nil {
		return c, err
	}
	return c, nil
}

// Password returns a fresh password: 32 letters and digits (about 190 bits),
// safe in NEO4J_AUTH's "user/password" form and in a URL.
func Password() (string, error) { return token(32) }

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// token draws n characters of alphabet from crypto/rand without bias
// (bytes at or above the largest multiple of len(alphabet) are rejected).
func token(n int) (string, error) {
	const limit = 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("generating a local credential: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// PlainLocally names the variables the task definition takes from Secrets
// Manager only because they share one secret with the password, and which
// hold nothing secret locally (the user "neo4j", bolt://ledgerspace:7687).
// Locally they are plain: Dagger scrubs every secret's value from output, so
// as secrets they would turn each "neo4j" and Bolt URL in the app's and the
// suites' logs into ***.
var PlainLocally = map[string]bool{}

func init() {
	for _, d := range Databases() {
		PlainLocally[d.EnvPrefix+"_BOLT_URL"] = true
		PlainLocally[d.EnvPrefix+"_USER"] = true
	}
}

// DatabaseEnv is the NEO_4J_* variables of both databases: what the app and
// any container that talks to the databases (the integration suite, unit
// tests run with --databases) get. The passwords are secrets; the URLs and
// users are plain (PlainLocally).
func DatabaseEnv(c Credentials) []Variable {
	var vs []Variable
	for _, d := range Databases() {
		vs = append(vs,
			Variable{Name: d.EnvPrefix + "_BOLT_URL", Value: d.BoltURL()},
			Variable{Name: d.EnvPrefix + "_USER", Value: Neo4jUser},
			Variable{Name: d.EnvPrefix + "_PASS", Value: c.Passwords[d.Name], Secret: true},
		)
	}
	return vs
}

// CheckNoDatabaseVariables refuses test settings (--test-env,
// --test-secrets) that set a NEO_4J_* variable the databases' own wiring
// sets (--databases), naming them.
func CheckNoDatabaseVariables(names []string) error {
	var clash []string
	for _, v := range DatabaseEnv(Credentials{}) {
		if slices.Contains(names, v.Name) {
			clash = append(clash, v.Name)
		}
	}
	if len(clash) == 0 {
		return nil
	}
	return fmt.Errorf("--databases sets %s for the databases it starts: drop them from --test-env and --test-secrets, or drop --databases to reach databases of your own", strings.Join(clash, ", "))
}

// AppEnv is the app container's environment, as the ECS task definition
// wires it: NODE_ENV, PORT and LOG_LEVEL plain; the Neo4j connection details,
// JWT_SECRET and WHATSAPP_BOT_API_KEY as secrets. Omitted lists what the task
// definition has that is not set locally, and why.
func AppEnv(e envs.Environment, c Credentials) []Variable {
	vs := []Variable{
		{Name: "NODE_ENV", Value: e.NodeEnv()},
		{Name: "PORT", Value: strconv.Itoa(AppPort)},
		{Name: "LOG_LEVEL", Value: LogLevel},
	}
	vs = append(vs, DatabaseEnv(c)...)
	return append(vs,
		Variable{Name: "JWT_SECRET", Value: c.JWTSecret, Secret: true},
		Variable{Name: "WHATSAPP_BOT_API_KEY", Value: c.WhatsAppBotAPIKey, Secret: true},
	)
}

// Omitted are the task definition's variables that are not set locally,
// with the reason. A test keeps AppEnv plus Omitted equal to the task
// definition's names.
var Omitted = map[string]string{
	"OPEN_EXCHANGE_RATES_API": "a third-party key (exchange rates) that cannot be generated; the app must start without it, and rate updates are not exercised locally",
}

// Neo4jEnv is a Neo4j container's environment: NEO4J_AUTH (the secret
// "neo4j/<password>", so auth is on), memory settings small enough for two
// databases and the app on one laptop or CI runner, and the addresses it
// advertises set to where `up` exposes it on the user's machine, so the
// Neo4j Browser there offers the right Bolt URL (the app connects with
// bolt://, which ignores them).
func Neo4jEnv(d Database, c Credentials) []Variable {
	return []Variable{
		{Name: "NEO4J_AUTH", Value: Neo4jUser + "/" + c.Passwords[d.Name], Secret: true},
		{Name: "NEO4J_server_memory_heap_initial__size", Value: "256m"},
		{Name: "NEO4J_server_memory_heap_max__size", Value: "512m"},
		{Name: "NEO4J_server_memory_pagecache_size", Value: "128m"},
		{Name: "NEO4J_server_bolt_advertised__address", Value: "localhost:" + strconv.Itoa(d.HostBoltPort)},
		{Name: "NEO4J_server_http_advertised__address", Value: "localhost:" + strconv.Itoa(d.HostHTTPPort)},
	}
}

// APIHost is the host name containers reach the app by locally (the
// integration suite's API_URL is http://api:5000).
const APIHost = "api"

// Forward is one port `up` exposes: Listen on the gateway, forwarded to
// Host:Port inside the stack.
type Forward struct {
	Listen int
	Host   string
	Port   int
}

// String is the gateway's argument: "7475=searchspace:7474".
func (f Forward) String() string {
	return strconv.Itoa(f.Listen) + "=" + f.Host + ":" + strconv.Itoa(f.Port)
}

// Forwards are the ports `up` exposes on the user's machine: the API on
// 5000, and each database's browser and Bolt ports.
func Forwards() []Forward {
	fs := []Forward{{Listen: AppPort, Host: APIHost, Port: AppPort}}
	for _, d := range Databases() {
		fs = append(fs, Forward{Listen: d.HostHTTPPort, Host: d.Host, Port: HTTPPort}, Forward{Listen: d.HostBoltPort, Host: d.Host, Port: BoltPort})
	}
	return fs
}

// GatewayScript is the Node program behind `up`'s one service: it forwards
// each Forward (its arguments, LISTEN=HOST:PORT) to the service bound under
// that host name. It runs on the Node image the build already uses, so `up`
// pulls no other image.
const GatewayScript = `const net = require("net");
for (const spec of process.argv.slice(2)) {
  const [listen, target] = spec.split("=");
  const [host, port] = target.split(":");
  net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  }).listen(Number(listen), "0.0.0.0", () => console.log("forwarding :" + listen + " to " + target));
}
`

// UpMessage tells the person running `up` where everything is.
// passwordChosen is whether they passed the databases' password.
func UpMessage(revision string, passwordChosen bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "credex-core is up locally")
	if revision != "" {
		fmt.Fprintf(&b, " (revision %s)", revision)
	}
	b.WriteString(", on these ports of this machine:\n")
	fmt.Fprintf(&b, "  API          http://localhost:%d  (try http://localhost:%d/health)\n", AppPort, AppPort)
	for _, d := range Databases() {
		fmt.Fprintf(&b, "  %-12s http://localhost:%d  Neo4j Browser; connect to bolt://localhost:%d as %s\n", d.Name, d.HostHTTPPort, d.HostBoltPort, Neo4jUser)
	}
	var ports []string
	for _, f := range Forwards() {
		ports = append(ports, fmt.Sprintf("%d:%d", f.Listen, f.Listen))
	}
	fmt.Fprintf(&b, "`up` with no --ports exposes them all; --ports=%s names them (--ports=%d:%d for the API alone).\n", strings.Join(ports, ","), AppPort, AppPort)
	if passwordChosen {
		b.WriteString("Both databases take the password you passed with --neo4j-password.\n")
	} else {
		b.WriteString("The databases' password was generated for this run and is not shown: pass --neo4j-password=env://NEO4J_PASSWORD to choose the one you log in with.\n")
	}
	b.WriteString("Stop with Ctrl-C: the databases start empty next time.\n")
	return b.String()
}
