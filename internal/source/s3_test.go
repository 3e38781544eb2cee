package source

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// newS3 starts an in-process S3-compatible server (gofakes3, in memory)
// and returns a real SDK client for it.
func newS3(t *testing.T, bucket string) *s3.Client {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(srv.URL),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return client
}

func upload(t *testing.T, client *s3.Client, bucket string, objects map[string][]byte) {
	t.Helper()
	for key, data := range objects {
		_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		})
		if err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
}

func TestS3SourceLayout(t *testing.T) {
	l := buildLayout(t)
	client := newS3(t, "trail-bucket")
	upload(t, client, "trail-bucket", l.objects)
	src, err := Open("s3://trail-bucket", Options{S3: client})
	if err != nil {
		t.Fatal(err)
	}
	checkLayout(t, l, readAll(t, []Source{src}, "s3://trail-bucket/", 2))
}

func TestS3SourcePaginatesInKeyOrder(t *testing.T) {
	client := newS3(t, "bkt")
	objects := map[string][]byte{}
	var want []string
	for i := range 1100 { // more than one ListObjectsV2 page (1000 keys)
		data, _ := logFile("p", 1)
		key := "AWSLogs/1/CloudTrail/us-east-1/2026/03/02/" + string(rune('a'+i%26)) + "-" + fmt.Sprint(i) + ".json"
		objects[key] = data
		want = append(want, "s3://bkt/"+key)
	}
	objects["other-prefix/x.json"] = []byte(`{}`)
	upload(t, client, "bkt", objects)
	slices.Sort(want)
	var got []string
	src := &S3Source{Client: client, Bucket: "bkt", Prefix: "AWSLogs/"}
	if err := src.List(context.Background(), func(o Object) error {
		got = append(got, o.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %d objects, want %d in key order", len(got), len(want))
	}
}

func TestS3SourceMissingBucket(t *testing.T) {
	client := newS3(t, "exists")
	r := readAll(t, []Source{&S3Source{Client: client, Bucket: "missing", Prefix: "AWSLogs/"}}, "", 1)
	if r.stats.ErrorCount != 1 || r.stats.Errors[0].Object != "s3://missing/AWSLogs/" {
		t.Errorf("errors = %+v, want one listing error for the bucket", r.stats.Errors)
	}
}
