package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Limits of the deploy loop.
const (
	pollIntervalSeconds   = 1
	stackWaitSecondsMax   = 900
	templateBodyBytesMax  = 51200 // CloudFormation's limit for an inline TemplateBody
	failureEventsShownMax = 15
)

// CloudFormation is the part of the CloudFormation API the deployer calls.
type CloudFormation interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	CreateChangeSet(context.Context, *cloudformation.CreateChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error)
	DescribeChangeSet(context.Context, *cloudformation.DescribeChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error)
	ExecuteChangeSet(context.Context, *cloudformation.ExecuteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error)
	DeleteChangeSet(context.Context, *cloudformation.DeleteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error)
	DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
}

// S3 is the part of the S3 API the deployer calls.
type S3 interface {
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var (
	_ CloudFormation = (*cloudformation.Client)(nil)
	_ S3             = (*s3.Client)(nil)
)

// Deployer uploads a template's artifacts and deploys it as one stack.
type Deployer struct {
	CFN       CloudFormation
	S3        S3
	Bucket    string
	Region    string
	BuildDir  string
	BaseDir   string // directory the template's relative paths are relative to
	Log       io.Writer
	StackName string
	// FlattenMetricMathAlarms: emulators only, deploy metric-math alarms as single-metric
	// stand-ins (Template.FlattenMetricMathAlarms).
	FlattenMetricMathAlarms bool
}

// Deploy packages the template and creates or updates the stack; it returns the stack outputs.
func (d *Deployer) Deploy(ctx context.Context, templateBody []byte, params map[string]string) (map[string]string, error) {
	tpl, err := ParseTemplate(templateBody)
	if err != nil {
		return nil, err
	}
	if d.FlattenMetricMathAlarms {
		ids, err := tpl.FlattenMetricMathAlarms()
		if err != nil {
			return nil, err
		}
		d.logf("%d metric-math alarms deployed as single-metric stand-ins: %s", len(ids), strings.Join(ids, ", "))
	}
	if err := d.ensureBucket(ctx); err != nil {
		return nil, err
	}
	uris := map[string]string{}
	for _, a := range tpl.Artifacts() {
		b, err := d.bundle(a)
		if err != nil {
			return nil, err
		}
		if err := d.upload(ctx, b); err != nil {
			return nil, err
		}
		uris[a.Key()] = fmt.Sprintf("s3://%s/%s", d.Bucket, b.Key)
	}
	tpl.SetArtifactURIs(uris)
	body, err := tpl.Bytes()
	if err != nil {
		return nil, err
	}
	d.logf("packaged %d artifacts into s3://%s", len(uris), d.Bucket)
	if err := d.applyChangeSet(ctx, body, params); err != nil {
		return nil, err
	}
	return d.outputs(ctx)
}

func (d *Deployer) bundle(a Artifact) (Bundle, error) {
	switch a.Property {
	case "CodeUri":
		body, err := ZipDir(FunctionDir(d.BuildDir, a.LocalPath))
		if err != nil {
			return Bundle{}, err
		}
		return NewBundle("functions", a.LogicalID, ".zip", body), nil
	default:
		body, err := os.ReadFile(filepath.Join(d.BaseDir, a.LocalPath)) // #nosec G304 -- a path named in our own template
		if err != nil {
			return Bundle{}, fmt.Errorf("read %s of %s: %w", a.Property, a.LogicalID, err)
		}
		return NewBundle("definitions", a.LogicalID+"-"+strings.TrimSuffix(filepath.Base(a.LocalPath), filepath.Ext(a.LocalPath)), filepath.Ext(a.LocalPath), body), nil
	}
}

func (d *Deployer) ensureBucket(ctx context.Context) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(d.Bucket)}
	if d.Region != "" && d.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(d.Region)}
	}
	_, err := d.S3.CreateBucket(ctx, in)
	var owned *s3types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create artifact bucket %s: %w", d.Bucket, err)
	}
	return nil
}

func (d *Deployer) upload(ctx context.Context, b Bundle) error {
	if _, err := d.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(d.Bucket), Key: aws.String(b.Key)}); err == nil {
		return nil // content-addressed: already there
	}
	_, err := d.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(d.Bucket), Key: aws.String(b.Key), Body: bytes.NewReader(b.Body)})
	if err != nil {
		return fmt.Errorf("upload %s: %w", b.Key, err)
	}
	return nil
}

func (d *Deployer) stackStatus(ctx context.Context) (cfntypes.StackStatus, bool, error) {
	out, err := d.CFN.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(d.StackName)})
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return "", false, nil
		}
		return "", false, fmt.Errorf("describe stack: %w", err)
	}
	if len(out.Stacks) == 0 {
		return "", false, nil
	}
	return out.Stacks[0].StackStatus, true, nil
}

func (d *Deployer) applyChangeSet(ctx context.Context, body []byte, params map[string]string) error {
	status, exists, err := d.stackStatus(ctx)
	if err != nil {
		return err
	}
	kind := cfntypes.ChangeSetTypeUpdate
	if !exists || status == cfntypes.StackStatusReviewInProgress {
		kind = cfntypes.ChangeSetTypeCreate
	}
	name := fmt.Sprintf("deploy-%d", time.Now().UnixNano())
	in := &cloudformation.CreateChangeSetInput{
		StackName:     aws.String(d.StackName),
		ChangeSetName: aws.String(name),
		ChangeSetType: kind,
		Capabilities: []cfntypes.Capability{
			cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityNamedIam, cfntypes.CapabilityCapabilityAutoExpand,
		},
		Parameters: toParameters(params),
	}
	if len(body) <= templateBodyBytesMax {
		in.TemplateBody = aws.String(string(body))
	} else {
		b := NewBundle("templates", d.StackName, ".yaml", body)
		if err := d.upload(ctx, b); err != nil {
			return err
		}
		// Path-style: MiniStack reads the bucket from the path only (localstack/MINISTACK_GAPS.md).
		in.TemplateURL = aws.String(fmt.Sprintf("https://s3.%s.amazonaws.com/%s/%s", d.Region, d.Bucket, b.Key))
	}
	d.logf("creating change set %s (%s)", name, kind)
	if _, err := d.CFN.CreateChangeSet(ctx, in); err != nil {
		return fmt.Errorf("create change set: %w", err)
	}
	ready, err := d.waitChangeSet(ctx, name)
	if err != nil || !ready {
		return err
	}
	d.logf("executing change set")
	if _, err := d.CFN.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{StackName: aws.String(d.StackName), ChangeSetName: aws.String(name)}); err != nil {
		return fmt.Errorf("execute change set: %w", err)
	}
	return d.waitStack(ctx)
}

// waitChangeSet reports whether the change set is ready to execute; one with no
// changes is deleted and reported as not ready, without error.
func (d *Deployer) waitChangeSet(ctx context.Context, name string) (bool, error) {
	for waited := 0; waited < stackWaitSecondsMax; waited += pollIntervalSeconds {
		out, err := d.CFN.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{StackName: aws.String(d.StackName), ChangeSetName: aws.String(name)})
		if err != nil {
			return false, fmt.Errorf("describe change set: %w", err)
		}
		switch out.Status {
		case cfntypes.ChangeSetStatusCreateComplete:
			return true, nil
		case cfntypes.ChangeSetStatusFailed:
			reason := aws.ToString(out.StatusReason)
			if strings.Contains(reason, "didn't contain changes") || strings.Contains(reason, "No updates") {
				d.logf("no changes to deploy")
				_, _ = d.CFN.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{StackName: aws.String(d.StackName), ChangeSetName: aws.String(name)})
				return false, nil
			}
			return false, fmt.Errorf("change set failed: %s", reason)
		}
		if err := sleep(ctx); err != nil {
			return false, err
		}
	}
	return false, fmt.Errorf("change set %s not ready after %d s", name, stackWaitSecondsMax)
}

func (d *Deployer) waitStack(ctx context.Context) error {
	for waited := 0; waited < stackWaitSecondsMax; waited += pollIntervalSeconds {
		status, _, err := d.stackStatus(ctx)
		if err != nil {
			return err
		}
		s := string(status)
		switch {
		case strings.HasSuffix(s, "_IN_PROGRESS"):
		case s == "CREATE_COMPLETE" || s == "UPDATE_COMPLETE":
			d.logf("stack %s: %s", d.StackName, s)
			return nil
		default:
			return fmt.Errorf("stack %s ended in %s:\n%s", d.StackName, s, d.failureEvents(ctx))
		}
		if err := sleep(ctx); err != nil {
			return err
		}
	}
	return fmt.Errorf("stack %s not done after %d s", d.StackName, stackWaitSecondsMax)
}

func (d *Deployer) failureEvents(ctx context.Context) string {
	out, err := d.CFN.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(d.StackName)})
	if err != nil {
		return "  (events unavailable: " + err.Error() + ")"
	}
	var lines []string
	for _, e := range out.StackEvents {
		if len(lines) == failureEventsShownMax {
			break
		}
		if strings.HasSuffix(string(e.ResourceStatus), "_FAILED") {
			lines = append(lines, fmt.Sprintf("  %s %s: %s", aws.ToString(e.LogicalResourceId), e.ResourceStatus, aws.ToString(e.ResourceStatusReason)))
		}
	}
	return strings.Join(lines, "\n")
}

func (d *Deployer) outputs(ctx context.Context) (map[string]string, error) {
	out, err := d.CFN.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(d.StackName)})
	if err != nil {
		return nil, fmt.Errorf("describe stack outputs: %w", err)
	}
	res := map[string]string{}
	if len(out.Stacks) > 0 {
		for _, o := range out.Stacks[0].Outputs {
			res[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
	}
	return res, nil
}

func toParameters(params map[string]string) []cfntypes.Parameter {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]cfntypes.Parameter, 0, len(keys))
	for _, k := range keys {
		out = append(out, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(params[k])})
	}
	return out
}

func sleep(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(pollIntervalSeconds * time.Second):
		return nil
	}
}

func (d *Deployer) logf(format string, args ...any) {
	if d.Log != nil {
		_, _ = fmt.Fprintf(d.Log, "deploy: "+format+"\n", args...)
	}
}
