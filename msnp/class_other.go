//go:build !windows

package msnp

// classifyPlatform classifies errors the portable errnos in Classify do
// not cover; on Unix they cover everything.
func classifyPlatform(error) (Class, bool) { return 0, false }
