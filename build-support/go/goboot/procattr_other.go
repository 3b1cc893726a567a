//go:build !linux

package main

import "syscall"

// dieWithParent: only Linux can tie a child's life to its parent's.
func dieWithParent(syscall.Signal) *syscall.SysProcAttr {
	return nil
}
