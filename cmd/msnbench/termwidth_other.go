//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package main

import "os"

// termWidth is unknown here: terminalWidth falls back to $COLUMNS.
func termWidth(*os.File) int { return 0 }
