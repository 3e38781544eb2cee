package source

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API is the part of the S3 client that S3Source uses.
type S3API interface {
	s3.ListObjectsV2APIClient
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3Source lists every object under a prefix with ListObjectsV2 (in S3's
// key order, which is lexical) and reads each with GetObject, streaming.
type S3Source struct {
	Client S3API
	Bucket string
	Prefix string
}

func (s *S3Source) String() string { return "s3://" + s.Bucket + "/" + s.Prefix }

// List implements Source.
func (s *S3Source) List(ctx context.Context, fn func(Object) error) error {
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.Bucket),
		Prefix: aws.String(s.Prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", s, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if key == "" || key[len(key)-1] == '/' {
				continue // a "folder" placeholder
			}
			obj := s.object(key, aws.ToInt64(o.Size))
			if KindOf(key) == KindOther {
				obj.Sniff = true
			}
			if err := fn(obj); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *S3Source) object(key string, size int64) Object {
	return Object{
		Name: "s3://" + s.Bucket + "/" + key,
		Size: size,
		Open: func(ctx context.Context) (io.ReadCloser, error) {
			out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
			if err != nil {
				return nil, err
			}
			return out.Body, nil
		},
	}
}
