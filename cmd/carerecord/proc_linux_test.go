package main_test

import "syscall"

// dieWithParent makes the kernel SIGKILL the child if the test process dies
// without running its cleanups (a panic, a timeout), so no server is left
// behind.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
