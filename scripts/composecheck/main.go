// Command composecheck validates compose.yaml against the Compose
// Specification with compose-go, the loader Docker Compose itself uses
// (its JSON schema, interpolation and consistency checks), on machines
// without a Docker daemon or the compose plugin: CI runs it (.ci/run).
// It also holds the file to what docs/deploy.md says of it: the bbolt
// service is one replica, and the replicas profile runs three bot replicas
// on one PostgreSQL database behind one front port.
//
// It is a module of its own so that compose-go's dependencies stay out of
// mvmbot's go.mod.
//
//	cd scripts/composecheck && go run . ../../compose.yaml
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func main() {
	path := "compose.yaml"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	if err := check(context.Background(), path); err != nil {
		fmt.Fprintln(os.Stderr, "composecheck:", err)
		os.Exit(1)
	}
	fmt.Println("composecheck:", path, "is a valid Compose file, and its services are as docs/deploy.md says")
}

// env is what the check interpolates: the variables the file requires
// (":?") set, the optional ones left to their defaults.
var env = []string{"POSTGRES_PASSWORD=check-only"}

func check(ctx context.Context, path string) error {
	opts, err := cli.NewProjectOptions([]string{path},
		cli.WithName("mvmbot"),
		cli.WithEnv(env),
		cli.WithProfiles([]string{"*"}), // every service, the replicas profile's too
		cli.WithConsistency(true),
	)
	if err != nil {
		return err
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return err
	}
	return expectations(p)
}

// expectations are the deployment's own rules, beyond the specification.
func expectations(p *types.Project) error {
	var errs []string
	fail := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	svc := func(name string) types.ServiceConfig {
		s, ok := p.Services[name]
		if !ok {
			fail("no service %q", name)
		}
		return s
	}
	replicas := func(s types.ServiceConfig) int {
		if s.Deploy == nil || s.Deploy.Replicas == nil {
			return 1
		}
		return *s.Deploy.Replicas
	}
	env := func(s types.ServiceConfig, k string) string {
		if v, ok := s.Environment[k]; ok && v != nil {
			return *v
		}
		return ""
	}

	bolt := svc("mvmbot")
	if n := replicas(bolt); n != 1 {
		fail("service mvmbot has %d replicas: bbolt locks its file, so it must be 1", n)
	}
	if store := env(bolt, "MVMBOT_STORE"); strings.HasPrefix(store, "postgres") {
		fail("service mvmbot is the bbolt one, but MVMBOT_STORE is %q", store)
	}

	rep := svc("replica")
	if n := replicas(rep); n != 3 {
		fail("service replica has %d replicas, want 3 (docs/deploy.md)", n)
	}
	if store := env(rep, "MVMBOT_STORE"); !strings.HasPrefix(store, "postgres://") || !strings.Contains(store, "@postgres:5432/") {
		fail("service replica's MVMBOT_STORE is %q, want the postgres service's database", store)
	}
	if d, ok := rep.DependsOn["postgres"]; !ok || d.Condition != types.ServiceConditionHealthy {
		fail("service replica must wait for postgres to be healthy")
	}
	if pg := svc("postgres"); pg.HealthCheck == nil || len(pg.HealthCheck.Test) == 0 {
		fail("service postgres has no health check, which replica waits for")
	}
	front := svc("front")
	if len(front.Ports) != 1 || front.Ports[0].Target != 3978 {
		fail("service front must publish one port to 3978, has %+v", front.Ports)
	}
	if _, ok := front.DependsOn["replica"]; !ok {
		fail("service front must depend on replica")
	}
	for _, name := range []string{"postgres", "replica", "front"} {
		if s, ok := p.Services[name]; ok && !contains(s.Profiles, "replicas") {
			fail("service %s must be in the replicas profile, so that a plain `docker compose up` runs the bbolt bot alone", name)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
