//go:build !linux

package server

import "time"

func setTimerSlack() {}

func preciseSleep(d time.Duration) { time.Sleep(d) }
