// Command go-boot, the Millrace Go boot, starts a Beam Go SDK harness on a plain host, where
// Beam's own Go boot program (made for the SDK's container) does not do: that one copies the
// pipeline's binary to /bin/worker, which a host may not let it write, and which two harnesses on
// one host would overwrite under each other. This one runs the binary from a directory of its own
// per worker, removed when the harness exits.
//
// As a boot program (PROCESS environments; what a worker pool runs per worker):
//
//	go-boot --id=<worker id> --provision_endpoint=<host:port> [--semi_persist_dir=<dir>]
//	        [--logging_endpoint=... --artifact_endpoint=... --control_endpoint=...]
//
// It asks the provision service for the job's options, artifacts and endpoints (endpoints given
// as flags take precedence), fetches the artifacts, starts the pipeline's binary as the harness
// and exits with its exit code. SIGTERM and SIGINT are passed on to the harness.
//
// As a worker pool (EXTERNAL environments):
//
//	go-boot --worker_pool [--service_port=50000] [--service_host=localhost]
//
// it serves Beam's BeamFnExternalWorkerPool and runs itself as the boot of each worker it is
// asked for. See pool.go.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/container/tools"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/artifact"
	pipepb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/pipeline_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/util/grpcx"
	"google.golang.org/protobuf/proto"
)

var (
	// The flags runners pass to a boot program (Beam's container contract).
	id                = flag.String("id", "", "worker id (required)")
	provisionEndpoint = flag.String("provision_endpoint", "", "provision service, host:port (required)")
	loggingEndpoint   = flag.String("logging_endpoint", "", "logging service; default: the provision info's")
	artifactEndpoint  = flag.String("artifact_endpoint", "", "artifact retrieval service; default: the provision info's")
	controlEndpoint   = flag.String("control_endpoint", "", "control service; default: the provision info's")
	semiPersistDir    = flag.String("semi_persist_dir", "", "where the worker's directory is made; default: the system's temp dir")

	workerPool  = flag.Bool("worker_pool", false, "serve a worker pool (EXTERNAL environments) instead of booting one harness")
	servicePort = flag.Int("service_port", 0, "the worker pool's port; 0 picks a free one")
	serviceHost = flag.String("service_host", "localhost", "the address the worker pool binds; 0.0.0.0 for every interface")
)

// How long a harness has to exit after the signal it was passed on before it is killed.
const stopGrace = 10 * time.Second

func main() {
	flag.Parse()
	if *workerPool {
		os.Exit(servePool())
	}
	log.SetPrefix("go-boot[" + *id + "] ")
	os.Exit(boot())
}

// boot starts the harness of worker *id and returns the exit code to leave with.
func boot() int {
	if *id == "" || *provisionEndpoint == "" {
		log.Print("--id and --provision_endpoint are required")
		return 2
	}

	// The first SIGTERM or SIGINT cancels ctx: before the harness runs, that aborts the requests
	// for provision info and artifacts; once it runs, exec passes the signal on to it (cmd.Cancel).
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	var received atomic.Value
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		received.Store(<-signals)
		cancel()
	}()

	dir, err := workerDir()
	if err != nil {
		log.Printf("cannot make the worker's directory: %v", err)
		return 1
	}
	defer os.RemoveAll(dir)

	cmd, err := prepare(grpcx.WriteWorkerID(ctx, *id), dir)
	if err != nil {
		if ctx.Err() != nil {
			log.Printf("stopped by %v before the harness started", received.Load())
		} else {
			log.Printf("cannot start the harness: %v", err)
		}
		return 1
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(received.Load().(os.Signal)) }
	cmd.WaitDelay = stopGrace

	if err := cmd.Start(); err != nil {
		log.Printf("cannot start the harness %s: %v", cmd.Path, err)
		return 1
	}
	err = cmd.Wait()
	return exitCode(cmd.ProcessState, err)
}

// workerDir makes the worker's own directory, which holds its artifacts and options.
func workerDir() (string, error) {
	base := *semiPersistDir
	if base == "" {
		base = os.TempDir()
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	// The worker id names the directory only to help whoever looks; MkdirTemp makes it unique.
	name := regexp.MustCompile(`[^A-Za-z0-9._-]`).ReplaceAllString(*id, "_")
	return os.MkdirTemp(base, "go-harness-"+name+"-")
}

// prepare fetches what the harness needs into dir and returns the command that runs it.
func prepare(ctx context.Context, dir string) (*exec.Cmd, error) {
	// Each step that waits on the network says so first: a runner that gives up on a boot which
	// hangs shows its last output.
	log.Printf("asking %s for the provision info", *provisionEndpoint)
	info, err := tools.ProvisionInfo(ctx, *provisionEndpoint)
	if err != nil {
		return nil, fmt.Errorf("no provision info from %s: %w", *provisionEndpoint, err)
	}
	logging := endpoint(*loggingEndpoint, info.GetLoggingEndpoint())
	artifacts := endpoint(*artifactEndpoint, info.GetArtifactEndpoint())
	control := endpoint(*controlEndpoint, info.GetControlEndpoint())
	if logging == "" || artifacts == "" || control == "" {
		return nil, fmt.Errorf("the provision info lacks an endpoint and no flag gives it (logging %q, artifact %q, control %q)",
			logging, artifacts, control)
	}

	staged := filepath.Join(dir, "staged")
	log.Printf("fetching %d artifacts from %s into %s", len(info.GetDependencies()), artifacts, staged)
	fetched, err := artifact.Materialize(ctx, artifacts, info.GetDependencies(), info.GetRetrievalToken(), staged)
	if err != nil {
		return nil, fmt.Errorf("cannot fetch the job's artifacts from %s: %w", artifacts, err)
	}
	binary, err := workerBinary(fetched)
	if err != nil {
		return nil, err
	}
	binary = filepath.Join(staged, binary)
	if err := os.Chmod(binary, 0o755); err != nil {
		return nil, err
	}

	// The harness reads its options from the file PIPELINE_OPTIONS_FILE names. Beam's boot
	// writes it to its working directory, which harnesses on one host would share.
	options, err := tools.ProtoToJSON(info.GetPipelineOptions())
	if err != nil {
		return nil, fmt.Errorf("unreadable pipeline options: %w", err)
	}
	optionsFile := filepath.Join(dir, "pipeline_options.json")
	if err := os.WriteFile(optionsFile, []byte(options), 0o644); err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, binary,
		"--worker=true",
		"--id="+*id,
		"--logging_endpoint="+logging,
		"--control_endpoint="+control,
		"--semi_persist_dir="+dir)
	// The harness keeps this program's working directory (the pool's, the runner's): relative
	// paths in a pipeline's options, say --input=data.txt, mean there what they meant where the
	// user started it.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "PIPELINE_OPTIONS_FILE="+optionsFile)
	if status := info.GetStatusEndpoint().GetUrl(); status != "" {
		cmd.Env = append(cmd.Env, "STATUS_ENDPOINT="+status)
	}
	if capabilities := info.GetRunnerCapabilities(); len(capabilities) > 0 {
		cmd.Env = append(cmd.Env, "RUNNER_CAPABILITIES="+strings.Join(capabilities, " "))
	}
	cmd.SysProcAttr = dieWithParent(syscall.SIGKILL)
	log.Printf("starting the harness %s (control %s, logging %s)", binary, control, logging)
	return cmd, nil
}

// endpoint is the flag's value if given, else the provision info's.
func endpoint(flagValue string, provided *pipepb.ApiServiceDescriptor) string {
	if flagValue != "" {
		return flagValue
	}
	return provided.GetUrl()
}

// workerBinary names, among the fetched artifacts (all files, relative to the staging
// directory), the pipeline's binary: the one in the Go worker role, or the only artifact.
func workerBinary(fetched []*pipepb.ArtifactInformation) (string, error) {
	var chosen *pipepb.ArtifactInformation
	for _, a := range fetched {
		if a.GetRoleUrn() == artifact.URNGoWorkerBinaryRole {
			chosen = a
			break
		}
	}
	if chosen == nil && len(fetched) == 1 {
		chosen = fetched[0]
	}
	if chosen == nil {
		return "", fmt.Errorf("the job staged %d artifacts, none of them a Go worker binary (%s)",
			len(fetched), artifact.URNGoWorkerBinaryRole)
	}
	var file pipepb.ArtifactFilePayload
	if err := proto.Unmarshal(chosen.GetTypePayload(), &file); err != nil {
		return "", fmt.Errorf("unreadable artifact of the Go worker binary: %w", err)
	}
	if file.GetPath() == "" {
		return "", fmt.Errorf("the artifact of the Go worker binary names no file")
	}
	return file.GetPath(), nil
}

// exitCode is the code the boot leaves with once the harness is done: the harness's own, or
// 128+n if signal n ended it, as shells do.
func exitCode(state *os.ProcessState, err error) int {
	if state == nil {
		log.Printf("the harness did not run: %v", err)
		return 1
	}
	if status, ok := state.Sys().(syscall.WaitStatus); ok && status.Signaled() {
		log.Printf("the harness ended by signal: %v", status.Signal())
		return 128 + int(status.Signal())
	}
	if code := state.ExitCode(); code != 0 {
		log.Printf("the harness failed: exit code %d", code)
		return code
	}
	return 0
}
