package main

import "syscall"

// dieWithParent makes a child get sig when this process dies, however it dies: a boot killed
// outright (SIGKILL by a runner that stops waiting) would otherwise leave its harness running.
func dieWithParent(sig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: sig}
}
