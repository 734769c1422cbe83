// Package kubernetes holds no code: it is the home of manifests_test.go, which
// decodes the manifests in this directory strictly into the Kubernetes API
// types. It is a module of its own so that k8s.io/api and its dependencies
// stay out of msnbench's go.mod (they would move the versions of modules the
// binary links) and out of the binary.
package kubernetes
