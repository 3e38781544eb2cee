package live

import (
	"context"
	"testing"

	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
)

func TestCollectSmoke(t *testing.T) {
	srv := awsfake.New(fakeWorld())
	defer srv.Close()
	o := fakeOptions(t, srv, "AKIAFAKEMGMT")
	o.Regions = []string{"eu-west-1", "us-east-1", "ap-east-1"}
	sink := NewMemSink()
	sum, err := Collect(context.Background(), o, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", sum)
	for _, n := range sink.Names() {
		t.Log(n)
	}
}
