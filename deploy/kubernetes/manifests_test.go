package kubernetes

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// decoder decodes YAML or JSON into the registered API types the way
// `kubectl apply --validate=strict` does: an unknown or misspelt field, a
// field spelt with the wrong case and a duplicate field are errors.
func decoder(t *testing.T) runtime.Decoder {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, batchv1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}

// decodeAll decodes every document of a multi-document YAML stream.
func decodeAll(dec runtime.Decoder, data []byte) ([]runtime.Object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []runtime.Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return objs, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			return objs, err
		}
		objs = append(objs, obj)
	}
}

func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	return out
}

func manifests(t *testing.T) map[string][]runtime.Object {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no manifests found")
	}
	dec := decoder(t)
	all := map[string][]runtime.Object{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeAll(dec, data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(objs) == 0 {
			t.Errorf("%s: no objects", f)
		}
		all[f] = objs
	}
	return all
}

// TestManifestsDecodeStrictly decodes every manifest in this directory into
// the Kubernetes API types, so a misspelt field or kind fails here rather than
// at `kubectl apply`.
func TestManifestsDecodeStrictly(t *testing.T) {
	for f, objs := range manifests(t) {
		for _, o := range objs {
			t.Logf("%s: %s", f, o.GetObjectKind().GroupVersionKind())
		}
	}
}

// TestStrictDecoderRejects shows that the decoder the manifests go through
// refuses what a lenient one (encoding/json, sigs.k8s.io/yaml.Unmarshal)
// would accept silently.
func TestStrictDecoderRejects(t *testing.T) {
	const job = `apiVersion: batch/v1
kind: Job
metadata:
  name: x
spec:
  %s
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: msnbench
          image: ghcr.io/OWNER/msnbench:latest
          %s
`
	tests := []struct {
		name     string
		spec     string // a line in the Job's spec
		ctr      string // a line in the container
		wantFail bool
	}{
		{"valid", "completions: 4", "args: [version]", false},
		{"misspelt field", "completion: 4", "args: [version]", true},
		{"wrong case", "Completions: 4", "args: [version]", true},
		{"misspelt container field", "completions: 4", "arg: [version]", true},
		{"wrong type", "completions: four", "args: [version]", true},
		{"duplicate field", "completions: 4\n  completions: 5", "args: [version]", true},
	}
	dec := decoder(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(strings.Replace(job, "%s", tt.spec, 1), "%s", tt.ctr, 1)
			_, err := decodeAll(dec, []byte(doc))
			if got := err != nil; got != tt.wantFail {
				t.Errorf("decode error = %v, want failure %v", err, tt.wantFail)
			}
		})
	}
	if _, err := decodeAll(dec, []byte("apiVersion: batch/v1\nkind: Jobb\nmetadata: {name: x}\n")); err == nil {
		t.Error("a misspelt kind decoded")
	}
}

// image is the msnbench image the manifests run, as the README documents it.
const image = "ghcr.io/OWNER/msnbench:latest"

// TestManifestsAgree checks what the API types cannot: every msnbench
// container runs the documented image as the Dockerfile's user, and the
// Indexed Job's completions, parallelism and --shard=/N agree.
func TestManifestsAgree(t *testing.T) {
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^USER (\d+)`).FindSubmatch(dockerfile)
	if m == nil {
		t.Fatal("Dockerfile: no numeric USER")
	}
	uid, _ := strconv.ParseInt(string(m[1]), 10, 64)
	for _, doc := range []string{"README.md", "../../README.md", "../../Dockerfile"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(image)) {
			t.Errorf("%s does not name the image %s", doc, image)
		}
	}

	jobs := 0
	for f, objs := range manifests(t) {
		for _, o := range objs {
			job, ok := o.(*batchv1.Job)
			if !ok {
				continue
			}
			jobs++
			pod := job.Spec.Template.Spec
			if sc := pod.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != uid {
				t.Errorf("%s: job %s: pod runAsUser is not the Dockerfile's USER %d", f, job.Name, uid)
			}
			for _, c := range append(pod.InitContainers, pod.Containers...) {
				if strings.HasPrefix(c.Image, "busybox") {
					continue
				}
				if c.Image != image {
					t.Errorf("%s: job %s: container %s runs %q, want %q", f, job.Name, c.Name, c.Image, image)
				}
			}
			if job.Spec.CompletionMode == nil || *job.Spec.CompletionMode != batchv1.IndexedCompletion {
				continue
			}
			var shards string
			for _, c := range pod.Containers {
				for _, a := range c.Args {
					if s, ok := strings.CutPrefix(a, "--shard=/"); ok {
						shards = s
					}
				}
			}
			n, err := strconv.ParseInt(shards, 10, 32)
			if err != nil {
				t.Errorf("%s: job %s: no --shard=/N argument", f, job.Name)
				continue
			}
			if job.Spec.Completions == nil || int64(*job.Spec.Completions) != n ||
				job.Spec.Parallelism == nil || int64(*job.Spec.Parallelism) != n {
				t.Errorf("%s: job %s: completions, parallelism and --shard=/%d differ", f, job.Name, n)
			}
		}
	}
	if jobs == 0 {
		t.Error("no Jobs in the manifests")
	}
}
