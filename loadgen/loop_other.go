//go:build !linux

package loadgen

import "errors"

// Without epoll there are no event loops: Config.IO defaults to IONet.
const loopsSupported = false

type loopGroup struct{}

func newLoopGroup(*Engine, *dialer) (*loopGroup, error) {
	return nil, errors.New("event loops need Linux")
}

func (g *loopGroup) each(func(*session), bool) {}
func (g *loopGroup) wakeSleepers()             {}
func (g *loopGroup) runClosed()                {}
func (g *loopGroup) runOpen()                  {}
