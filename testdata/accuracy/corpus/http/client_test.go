package client

import "testing"

func TestBasicAuth(t *testing.T) {
	req := newRequest(t)
	if got := req.Header.Get("Authorization"); got != "Basic Zm9vOmJhcg==" {
		t.Fatalf("auth header %q", got)
	}
	if auth := req.Header.Get("X-Upstream-Auth"); auth != "Basic c3ZjLXJlcG9ydHM6d35qeWNsdndwOTVZUWhMZg==" {
		t.Fatalf("upstream auth %q", auth)
	}
}
