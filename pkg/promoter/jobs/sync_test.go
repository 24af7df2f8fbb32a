package jobs

import (
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/prow/pkg/client/clientset/versioned/fake"
)

// A promoter that cannot see job runs must not run blind: a list the API
// server refuses ends Start at once with the reason, and a source that does
// not sync in time names the last error.

func TestInformerStartRefusedList(t *testing.T) {
	cs := fake.NewSimpleClientset()
	gr := schema.GroupResource{Group: "prow.k8s.io", Resource: "prowjobs"}
	cs.PrependReactor("list", "prowjobs", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(gr, "", errors.New(`User "system:serviceaccount:prow:promoter" cannot list resource "prowjobs"`))
	})
	start := time.Now()
	err := NewInformer(cs, testNS).Start(t.Context(), newRecorder().onDone, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "cannot list resource") {
		t.Fatalf("Start = %v, want the refusal named", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("Start took %v: a refused list must end the wait at once, not at the timeout", d)
	}
}

func TestInformerStartTimesOutNamingTheError(t *testing.T) {
	cs := fake.NewSimpleClientset()
	cs.PrependReactor("list", "prowjobs", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("etcd is down")
	})
	err := NewInformer(cs, testNS).Start(t.Context(), newRecorder().onDone, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not sync within 300ms") || !strings.Contains(err.Error(), "etcd is down") {
		t.Fatalf("Start = %v, want the timeout and the last error", err)
	}
}

func TestDeckStartRefused(t *testing.T) {
	d := newFakeDeck(t)
	d.answer("401")
	err := NewDeck(d.srv.URL, pollEvery).Start(t.Context(), newRecorder().onDone, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Start = %v, want Deck's 401 named", err)
	}
	if n := d.served(); n != 1 {
		t.Errorf("Deck was asked %d times; a 4xx is not retried", n)
	}
}

func TestDeckStartTimesOutNamingTheError(t *testing.T) {
	d := newFakeDeck(t)
	d.answer("500")
	err := NewDeck(d.srv.URL, pollEvery).Start(t.Context(), newRecorder().onDone, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not sync within 300ms") || !strings.Contains(err.Error(), "500") {
		t.Fatalf("Start = %v, want the timeout and the last error", err)
	}
}
