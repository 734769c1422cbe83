//go:build !linux

package loadgen

import "errors"

// Without epoll there are no event loops: Config.IO defaults to IONet.
const loopsSupported = false

func newLoopGroup(*Engine, *dialer) (ioEngine, error) {
	return nil, errors.New("event loops need Linux")
}
