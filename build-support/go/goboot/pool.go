package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	fnpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/fnexecution_v1"
	"google.golang.org/grpc"
)

// pool serves Beam's BeamFnExternalWorkerPool. Each worker it is asked for is this program run
// as a boot, with --id and --provision_endpoint only, as a runner starts a PROCESS
// environment's command: the boot takes the other endpoints from the provision info, so EXTERNAL
// and PROCESS harnesses start the same way.
type pool struct {
	fnpb.UnimplementedBeamFnExternalWorkerPoolServer
	self string // this program

	mu       sync.Mutex
	workers  map[string]*exec.Cmd // boots running, by worker id
	stopping bool
	running  sync.WaitGroup
}

// servePool serves until SIGTERM or SIGINT, then stops the workers it started.
func servePool() int {
	log.SetPrefix("go-boot pool ")
	self, err := os.Executable()
	if err != nil {
		log.Printf("cannot find this program to run it as boot: %v", err)
		return 1
	}
	lis, err := net.Listen("tcp", net.JoinHostPort(*serviceHost, strconv.Itoa(*servicePort)))
	if err != nil {
		log.Printf("cannot listen: %v", err)
		return 1
	}
	p := &pool{self: self, workers: map[string]*exec.Cmd{}}
	server := grpc.NewServer()
	fnpb.RegisterBeamFnExternalWorkerPoolServer(server, p)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	served := make(chan error, 1)
	go func() { served <- server.Serve(lis) }()
	// On stdout, for scripts that wait for it; pipelines use --environment_config=<this address>.
	fmt.Printf("Millrace Go boot worker pool listening on %s\n", lis.Addr())

	code := 0
	select {
	case s := <-signals:
		log.Printf("stopping (%v)", s)
	case err := <-served:
		log.Printf("serving failed: %v", err)
		code = 1
	}
	server.Stop()
	p.stopAll()
	return code
}

func (p *pool) StartWorker(_ context.Context, req *fnpb.StartWorkerRequest) (*fnpb.StartWorkerResponse, error) {
	id, provision := req.GetWorkerId(), req.GetProvisionEndpoint().GetUrl()
	if id == "" || provision == "" {
		return &fnpb.StartWorkerResponse{Error: "StartWorker needs a worker id and a provision endpoint"}, nil
	}
	args := []string{"--id=" + id, "--provision_endpoint=" + provision}
	if *semiPersistDir != "" {
		args = append(args, "--semi_persist_dir="+*semiPersistDir)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return &fnpb.StartWorkerResponse{Error: "the worker pool is stopping"}, nil
	}
	if _, ok := p.workers[id]; ok {
		return &fnpb.StartWorkerResponse{Error: fmt.Sprintf("worker %q is running already", id)}, nil
	}
	cmd := exec.Command(p.self, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// SIGTERM, not SIGKILL, if the pool dies: the boot then stops its harness and cleans up.
	cmd.SysProcAttr = dieWithParent(syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		return &fnpb.StartWorkerResponse{Error: fmt.Sprintf("cannot start the boot of worker %q: %v", id, err)}, nil
	}
	log.Printf("worker %s started (pid %d)", id, cmd.Process.Pid)
	p.workers[id] = cmd
	p.running.Add(1)
	go func() {
		defer p.running.Done()
		err := cmd.Wait()
		p.mu.Lock()
		delete(p.workers, id)
		p.mu.Unlock()
		if err == nil {
			log.Printf("worker %s ended", id)
		} else {
			log.Printf("worker %s ended: %v", id, err)
		}
	}()
	return &fnpb.StartWorkerResponse{}, nil
}

func (p *pool) StopWorker(_ context.Context, req *fnpb.StopWorkerRequest) (*fnpb.StopWorkerResponse, error) {
	p.mu.Lock()
	cmd := p.workers[req.GetWorkerId()]
	p.mu.Unlock()
	// A worker that is not running (its harness failed, say) needs no stopping.
	if cmd != nil {
		log.Printf("stopping worker %s", req.GetWorkerId())
		stop(cmd)
	}
	return &fnpb.StopWorkerResponse{}, nil
}

// stopAll stops every worker and waits until they have ended.
func (p *pool) stopAll() {
	p.mu.Lock()
	p.stopping = true
	for _, cmd := range p.workers {
		stop(cmd)
	}
	p.mu.Unlock()
	p.running.Wait()
}

// stop asks a worker's boot to stop (it passes the signal on to its harness), and kills it if it
// still runs once the boot's own grace for its harness is over.
func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	time.AfterFunc(2*stopGrace, func() { _ = cmd.Process.Kill() })
}
