"""template.yaml as CloudFormation sees it, with each principal's policies resolved.

The SAM translator (aws-sam-translator, the library the SAM CLI and CloudFormation's
transform use) expands the template; Ref, Fn::GetAtt, Fn::Sub, Fn::If and friends are then
resolved to concrete values for a fixed account and region (or, for a deployed stack, its
own account and physical ids), so a policy reads as AWS would evaluate it.
"""

import copy
import json
import logging
import os
import re

import yaml

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK = "wallet"

NO_VALUE = object()


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short forms (!Ref, !GetAtt, !Sub, …) as their long forms."""


def _short_form(loader, tag, node):
    name = tag  # the suffix after "!"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if name == "Ref":
        return {"Ref": value}
    if name == "Condition":
        return {"Condition": value}
    if name == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + name: value}


_CfnLoader.add_multi_constructor("!", _short_form)


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def sam_input(root, template_file="template.yaml"):
    """template.yaml made ready for the translator the way `sam package` makes it:
    included and local files read in, code locations turned into S3 locations."""
    tpl = load_yaml(os.path.join(root, template_file))
    for name, res in tpl["Resources"].items():
        props = res.get("Properties", {})
        body = props.get("DefinitionBody")
        if isinstance(body, dict) and "Fn::Transform" in body:
            location = body["Fn::Transform"]["Parameters"]["Location"]
            props["DefinitionBody"] = load_yaml(os.path.join(root, location))
        if "CodeUri" in props:
            props["CodeUri"] = "s3://artifacts/" + name
        if isinstance(props.get("DefinitionUri"), str):
            with open(os.path.join(root, props.pop("DefinitionUri")), encoding="utf-8") as f:
                props["Definition"] = json.load(f)
    return tpl


class _NoManagedPolicyNames:
    """The template names managed policies by ARN only, so no IAM look-up is needed."""

    def load(self):
        return {}


def translate(sam_template, parameters=None):
    """The CloudFormation template the SAM transform makes of sam_template."""
    from samtranslator.translator.transform import transform  # heavy; imported on use

    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its feature-toggle and metrics chatter
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = REGION  # the translator asks boto for a region
    try:
        return transform(copy.deepcopy(sam_template), dict(parameters or {}), _NoManagedPolicyNames())
    finally:
        if saved is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved


class Names:
    """Physical ids of a stack's resources: a deployed stack's (from CloudFormation) or,
    by default, made up from the logical ids for the fixed account and region."""

    def __init__(self, account=ACCOUNT, region=REGION, physical=None):
        self.account, self.region = account, region
        self.physical = physical or {}

    def physical_id(self, logical, rtype):
        if logical in self.physical:
            phys = self.physical[logical]
            if rtype == "AWS::SecretsManager::Secret" and not phys.startswith("arn:"):
                # The engine's Ref of a secret is its name; on AWS it is the ARN.
                phys = f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{phys}"
            return phys
        a, r = self.account, self.region
        return {
            "AWS::SNS::Topic": f"arn:aws:sns:{r}:{a}:{logical}",
            "AWS::SQS::Queue": f"https://sqs.{r}.amazonaws.com/{a}/{logical}",
            "AWS::SecretsManager::Secret": f"arn:aws:secretsmanager:{r}:{a}:secret:{logical}",
            "AWS::StepFunctions::StateMachine": f"arn:aws:states:{r}:{a}:stateMachine:{logical}",
            "AWS::IAM::ManagedPolicy": f"arn:aws:iam::{a}:policy/{logical}",
        }.get(rtype, logical)


def _queue_name(url):
    return url.rstrip("/").rsplit("/", 1)[-1]


def _queue_arn(url, region):
    parts = url.rstrip("/").split("/")
    return f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}"


class Resolver:
    """Resolves intrinsic functions in a CloudFormation template."""

    def __init__(self, cfn, parameters=None, names=None):
        self.cfn = cfn
        self.names = names or Names()
        self.params = {}
        for name, spec in cfn.get("Parameters", {}).items():
            if "Default" in spec:
                self.params[name] = str(spec["Default"])
        self.params.update({k: str(v) for k, v in (parameters or {}).items()})
        self.params.update({
            "AWS::AccountId": self.names.account, "AWS::Region": self.names.region,
            "AWS::Partition": PARTITION, "AWS::StackName": STACK, "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        })
        self.conditions = {}

    def resources(self, rtype=None):
        for name, res in self.cfn["Resources"].items():
            if (rtype is None or res["Type"] == rtype) and self.exists(name):
                yield name, res

    def exists(self, logical):
        cond = self.cfn["Resources"][logical].get("Condition")
        return cond is None or self.condition(cond)

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.cfn["Conditions"][name]))
        return self.conditions[name]

    def ref(self, logical):
        if logical in self.params:
            return self.params[logical]
        return self.names.physical_id(logical, self.cfn["Resources"][logical]["Type"])

    def get_att(self, logical, attr):
        rtype = self.cfn["Resources"][logical]["Type"]
        phys = self.ref(logical)
        a, r = self.names.account, self.names.region
        table = {
            ("AWS::DynamoDB::Table", "Arn"): lambda: f"arn:aws:dynamodb:{r}:{a}:table/{phys}",
            ("AWS::DynamoDB::Table", "StreamArn"): lambda: f"arn:aws:dynamodb:{r}:{a}:table/{phys}/stream/2026-01-01T00:00:00.000",
            ("AWS::SQS::Queue", "Arn"): lambda: _queue_arn(phys, r),
            ("AWS::SQS::Queue", "QueueName"): lambda: _queue_name(phys),
            ("AWS::SNS::Topic", "TopicName"): lambda: phys.rsplit(":", 1)[-1],
            ("AWS::Lambda::Function", "Arn"): lambda: f"arn:aws:lambda:{r}:{a}:function:{phys}",
            ("AWS::IAM::Role", "Arn"): lambda: f"arn:aws:iam::{a}:role/{phys}",
            ("AWS::Logs::LogGroup", "Arn"): lambda: f"arn:aws:logs:{r}:{a}:log-group:{phys}:*",
            ("AWS::KMS::Key", "Arn"): lambda: f"arn:aws:kms:{r}:{a}:key/{phys}",
            ("AWS::StepFunctions::StateMachine", "Name"): lambda: phys.rsplit(":", 1)[-1],
            ("AWS::ApiGateway::RestApi", "RootResourceId"): lambda: phys + "-root",
        }
        if (rtype, attr) not in table:
            return f"{phys}.{attr}"
        return table[(rtype, attr)]()

    def sub(self, text, variables):
        def one(match):
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if name in self.params:
                return str(self.params[name])
            if "." in name:
                logical, attr = name.split(".", 1)
                return self.get_att(logical, attr)
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def resolve(self, value):
        if isinstance(value, list):
            out = [self.resolve(v) for v in value]
            return [v for v in out if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, self.resolve(attr))
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    return self.sub(arg[0], {k: self.resolve(v) for k, v in arg[1].items()})
                return self.sub(arg, {})
            if key == "Fn::Join":
                return self.resolve(arg[0]).join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return self.resolve(arg[1]).split(self.resolve(arg[0]))
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                return str(self.resolve(arg[0])) == str(self.resolve(arg[1]))
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(v) for v in arg)
            if key == "Fn::Or":
                return any(self.resolve(v) for v in arg)
            if key == "Condition":
                return self.condition(arg)
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}
