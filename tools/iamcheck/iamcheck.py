"""What AWS would refuse: every recorded or derived AWS call, evaluated against the
principal's policies as template.yaml grants them (tools/iamcheck/README.md).

    iamcheck.py --calls DIR [--stack NAME] [--param K=V ...] [--unused fail|report]

Fails (exit 1) naming principal, action and resource when
- a call is allowed by no statement of its principal's policies (or denied by one);
- a statement grants an action with a wildcard, or on "*", that allowed.yaml does not
  list as required by AWS;
- with --unused fail: a granted (action, resource) no call uses and allowed.yaml does
  not list, or a statement that another statement of the same role already covers.
"""

import argparse
import glob
import json
import os
import re
import sys
from collections import defaultdict
from fnmatch import fnmatchcase

import yaml

import expand

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ALLOWED_FILE = os.path.join(HERE, "allowed.yaml")

LAMBDA_FUNCTION = "AWS::Lambda::Function"
STATE_MACHINE = "AWS::StepFunctions::StateMachine"

# What the Lambda service does with the function's role for an event source mapping
# (AWS Lambda developer guide, "execution role permissions" per event source).
SQS_SOURCE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
STREAM_SOURCE_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")
LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
# A state machine's own log delivery (Step Functions developer guide, "IAM policies for
# logging to CloudWatch Logs"): account-level APIs that take no resource.
SFN_LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
)
SFN_XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets")


class Statement:
    """One Allow or Deny statement of a principal's policy, and where it comes from."""

    def __init__(self, source, index, doc):
        self.source, self.index, self.doc = source, index, doc

    def __str__(self):
        return f"{self.source}#{self.index}"

    def _list(self, key):
        v = self.doc.get(key, [])
        return v if isinstance(v, list) else [v]

    @property
    def actions(self):
        return self._list("Action")

    @property
    def resources(self):
        return self._list("Resource")

    def grants(self):
        """Each (action, resource) pair the statement names, as written."""
        return [(a, r) for a in self.actions for r in self.resources]


class Principal:
    def __init__(self, name, kind):
        self.name, self.kind = name, kind
        self.statements = []

    def evaluate(self, action, resource):
        """PERMITTED, DENIED or NEUTRAL (no statement applies: AWS's implicit deny), with
        moto's IAM policy evaluation over all of the principal's identity policies."""
        from moto.iam.access_control import IAMPolicy, PermissionResult

        doc = json.dumps({"Version": "2012-10-17", "Statement": [s.doc for s in self.statements]})
        result = IAMPolicy(doc).is_action_permitted(action, resource)
        return {PermissionResult.PERMITTED: "PERMITTED", PermissionResult.DENIED: "DENIED"}.get(result, "NEUTRAL")

    def allowing(self, action, resource):
        """The statements that allow the call on their own."""
        from moto.iam.access_control import IAMPolicyStatement, PermissionResult

        return [s for s in self.statements
                if s.doc.get("Effect") == "Allow"
                and IAMPolicyStatement(s.doc).is_action_permitted(action, resource) == PermissionResult.PERMITTED]


def aws_managed_policy(arn):
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    name = arn.rsplit("/", 1)[-1]
    return json.loads(aws_managed_policies_data)[name]["Document"]


class Stack:
    """The expanded template: principals with their statements, and the calls AWS makes
    with their roles on the stack's behalf (derived, not recorded)."""

    def __init__(self, root=ROOT, parameters=None, sam_template=None, cfn=None):
        self.parameters = dict(parameters or {})
        if cfn is None:
            sam = sam_template if sam_template is not None else expand.sam_input(root)
            cfn = expand.translate(sam, self.parameters)
        self.cfn = cfn
        self.r = expand.Resolver(self.cfn, self.parameters)
        self.principals = {}
        roles = {}
        for name, res in self.r.resources(LAMBDA_FUNCTION):
            roles[self._role_of(res, "Role")] = Principal(name, "function")
        for name, res in self.r.resources(STATE_MACHINE):
            roles[self._role_of(res, "RoleArn")] = Principal(name, "state machine")
        for role, p in roles.items():
            self._load_role(role, p)
            self.principals[p.name] = p

    def _role_of(self, res, key):
        ref = res["Properties"][key]
        return ref["Fn::GetAtt"][0] if isinstance(ref, dict) else ref

    def _load_role(self, role, principal):
        props = self.r.resolve(self.cfn["Resources"][role]["Properties"])
        docs = [(p["PolicyName"], p["PolicyDocument"]) for p in props.get("Policies", [])]
        for arn in props.get("ManagedPolicyArns", []):
            if ":iam::aws:policy/" in arn:
                docs.append((arn.rsplit("/", 1)[-1] + " (AWS managed)", aws_managed_policy(arn)))
            else:
                logical = arn.rsplit("/", 1)[-1]
                docs.append((logical, self.r.resolve(self.cfn["Resources"][logical]["Properties"]["PolicyDocument"])))
        for source, doc in docs:
            stmts = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
            for i, s in enumerate(stmts):
                principal.statements.append(Statement(source, i, s))

    # ------------------------------------------------------------ derived calls
    def function_arn(self, name):
        return self.r.get_att(name, "Arn")

    def derived_calls(self):
        """(principal, action, resource, why) for what AWS does with the stack's roles
        that no function code records."""
        calls = []
        tracing = self.r.params.get("Tracing", "Active") == "Active"
        for name, res in self.r.resources(LAMBDA_FUNCTION):
            fn = self.r.ref(name)
            group = f"arn:aws:logs:{self.r.names.region}:{self.r.names.account}:log-group:/aws/lambda/{fn}:*"
            calls += [(name, a, group, "Lambda writes the function's logs") for a in LOG_ACTIONS]
            if tracing:
                calls += [(name, a, "*", "Lambda sends the function's X-Ray segments") for a in XRAY_ACTIONS]
        for name, res in self.r.resources("AWS::Lambda::EventSourceMapping"):
            props = self.r.resolve(res["Properties"])
            fn = self._function_named(props["FunctionName"])
            source = props["EventSourceArn"]
            if source.startswith("arn:aws:sqs:"):
                calls += [(fn, a, source, f"event source mapping {name}") for a in SQS_SOURCE_ACTIONS]
            else:
                calls += [(fn, a, source, f"event source mapping {name}") for a in STREAM_SOURCE_ACTIONS]
            dest = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if dest:
                calls.append((fn, "sqs:SendMessage", dest, f"on-failure destination of {name}"))
        for name, res in self.r.resources(STATE_MACHINE):
            calls += self._state_machine_calls(name, res, tracing)
        return calls

    def _function_named(self, ref):
        for name, _ in self.r.resources(LAMBDA_FUNCTION):
            if ref in (name, self.r.ref(name), self.function_arn(name)):
                return name
        raise KeyError(f"no function {ref}")

    def _state_machine_calls(self, name, res, tracing):
        props = res["Properties"]
        subs = self.r.resolve(props.get("DefinitionSubstitutions", {}))
        definition = self.r.resolve(props["DefinitionString"])
        for k, v in subs.items():
            definition = definition.replace("${" + k + "}", str(v))
        calls = []
        for state, task in _tasks(json.loads(definition)):
            why = f"{name} state {state}"
            resource, params = task["Resource"], task.get("Parameters", {})
            if resource.startswith("arn:aws:lambda:"):
                calls.append((name, "lambda:InvokeFunction", resource, why))
            elif resource.startswith("arn:aws:states:::lambda:invoke"):
                calls.append((name, "lambda:InvokeFunction", params["FunctionName"], why))
            elif resource.startswith("arn:aws:states:::sqs:sendMessage"):
                url = params["QueueUrl"]
                calls.append((name, "sqs:SendMessage", expand._queue_arn(url, self.r.names.region), why))
            elif resource.startswith("arn:aws:states:::dynamodb:"):
                op = resource.rsplit(":", 1)[-1].split(".")[0]  # updateItem, or updateItem.sync
                action = "dynamodb:" + op[0].upper() + op[1:]
                table = f"arn:aws:dynamodb:{self.r.names.region}:{self.r.names.account}:table/{params['TableName']}"
                calls.append((name, action, table, why))
            elif resource.startswith("arn:aws:states:::sns:publish"):
                calls.append((name, "sns:Publish", params["TopicArn"], why))
            else:
                calls.append((name, "unknown:" + resource, "*", why))
        logging = props.get("LoggingConfiguration", {})
        if self.r.resolve(logging).get("Destinations"):
            calls += [(name, a, "*", f"{name} log delivery") for a in SFN_LOG_DELIVERY_ACTIONS]
        if tracing and self.r.resolve(props.get("TracingConfiguration", {})).get("Enabled"):
            calls += [(name, a, "*", f"{name} X-Ray tracing") for a in SFN_XRAY_ACTIONS]
        return calls


def gateway_failures(stack):
    """API Gateway's invocations of the functions behind the REST API's routes and its
    authorizer, checked against the template's AWS::Lambda::Permission resources (the
    functions' resource policies); and each permission no route or authorizer needs."""
    r = stack.r
    permissions = []
    for name, res in r.resources("AWS::Lambda::Permission"):
        p = r.resolve(res["Properties"])
        permissions.append((name, p))
    used, failures = set(), []
    for api, res in r.resources("AWS::ApiGateway::RestApi"):
        body = r.resolve(res["Properties"].get("Body", {}))
        stage = r.params.get("Stage", "dev")
        base = f"arn:aws:execute-api:{r.names.region}:{r.names.account}:{r.ref(api)}"
        invokes = []
        for path, methods in body.get("paths", {}).items():
            for method, op in methods.items():
                uri = (op or {}).get("x-amazon-apigateway-integration", {}).get("uri", "") if isinstance(op, dict) else ""
                if "/functions/" in uri:
                    concrete = path.replace("{", "").replace("}", "")
                    invokes.append((f"{method.upper()} {path}", _function_of_uri(uri), f"{base}/{stage}/{method.upper()}{concrete}"))
        for scheme, spec in body.get("components", {}).get("securitySchemes", {}).items():
            uri = spec.get("x-amazon-apigateway-authorizer", {}).get("authorizerUri", "")
            if "/functions/" in uri:
                invokes.append((f"authorizer {scheme}", _function_of_uri(uri), f"{base}/authorizers/authorizer-id"))
        for route, fn_arn, source in invokes:
            fn = fn_arn.rsplit(":", 1)[-1]
            ok = [name for name, p in permissions
                  if p.get("Action") == "lambda:InvokeFunction" and p.get("Principal") == "apigateway.amazonaws.com"
                  and p.get("FunctionName") in (fn, fn_arn) and fnmatchcase(source, p.get("SourceArn", "*"))]
            used.update(ok)
            if not ok:
                failures.append(f"REFUSED apigateway.amazonaws.com: lambda:InvokeFunction on {fn_arn} ({route}): "
                                "no AWS::Lambda::Permission allows it")
    for name, p in permissions:
        if p.get("Principal") == "apigateway.amazonaws.com" and name not in used:
            failures.append(f"UNUSED {name}: lambda:InvokeFunction on {p.get('FunctionName')} for API Gateway: no route or authorizer invokes it")
    return failures


def doc_table_differences(stack, doc_path):
    """Where docs/ARCHITECTURE.md's "which function gets which policy" table differs from
    the expanded template: per function row, the customer managed policies (named
    without "Policy") and the actions its inline statements grant (as `Action` or
    `service:Action` in backticks)."""
    with open(doc_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    start = lines.index("| function | managed policies | inline, its own |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    managed = {n for n, _ in stack.r.resources("AWS::IAM::ManagedPolicy")}
    out, seen = [], set()
    for names, policies, inline in rows:
        doc_managed = {p.strip() + "Policy" for p in policies.split(",") if p.strip()}
        doc_actions = {a.split(":")[-1] for a in re.findall(r"`((?:[a-z0-9-]+:)?[A-Z][A-Za-z]+)`", inline)}
        for name in (n.strip() for n in names.split(",")):
            principal = next((p for p in stack.principals
                              if p.lower() in (name.lower(), name.lower() + "function")), None)
            if principal is None:
                out.append(f"{name}: no such function in the template")
                continue
            seen.add(principal)
            sources = {s.source for s in stack.principals[principal].statements}
            got_managed = sources & managed
            got_actions = {a.split(":")[-1] for s in stack.principals[principal].statements
                           if re.fullmatch(rf"{principal}RolePolicy\d+", s.source) for a in s.actions}
            if got_managed != doc_managed:
                out.append(f"{name}: managed policies {sorted(got_managed)} in the template, {sorted(doc_managed)} in the table")
            if stack.principals[principal].kind == "function" and got_actions != doc_actions:
                out.append(f"{name}: inline actions {sorted(got_actions)} in the template, {sorted(doc_actions)} in the table")
    for missing in sorted(set(stack.principals) - seen):
        out.append(f"{missing}: not in the table")
    return out


def _function_of_uri(uri):
    return uri.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]


def _tasks(definition):
    for state, spec in definition.get("States", {}).items():
        if spec.get("Type") == "Task":
            yield state, spec
        for branch in spec.get("Branches", []):
            yield from _tasks(branch)
        if "Iterator" in spec:
            yield from _tasks(spec["Iterator"])
        if "ItemProcessor" in spec:
            yield from _tasks(spec["ItemProcessor"])


# ------------------------------------------------------------ recorded calls
def read_records(directory):
    """The distinct (function name, action, resource) lines under directory."""
    seen = set()
    for path in sorted(glob.glob(os.path.join(directory, "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    rec = json.loads(line)
                    seen.add((rec["function"], rec["action"], rec["resource"]))
    return sorted(seen)


class Normalizer:
    """Maps a deployed stack's names to the fixed account's: function names to logical
    ids, resource ARNs to the ARNs the template resolves to for the fixed account."""

    def __init__(self, stack, deployed):
        self.functions = {}
        self.arns = []
        self.account = deployed.account
        engine = expand.Resolver(stack.cfn, stack.parameters, deployed)
        fixed = stack.r
        for name, res in stack.r.resources():
            if name not in deployed.physical:
                continue
            if res["Type"] == LAMBDA_FUNCTION:
                self.functions[deployed.physical[name]] = name
            attr = {"AWS::DynamoDB::Table": "Arn", "AWS::SQS::Queue": "Arn", LAMBDA_FUNCTION: "Arn"}.get(res["Type"])
            ref_arn = res["Type"] in ("AWS::SNS::Topic", "AWS::SecretsManager::Secret", STATE_MACHINE)
            if res["Type"] == "AWS::SES::EmailIdentity":
                identity = res["Properties"]["EmailIdentity"]  # an SES identity's ARN names the address
                self.arns.append((f"arn:aws:ses:{deployed.region}:{deployed.account}:identity/{engine.resolve(identity)}",
                                  f"arn:aws:ses:{fixed.names.region}:{fixed.names.account}:identity/{fixed.resolve(identity)}"))
            if attr or ref_arn:
                pair = ((engine.get_att(name, attr), fixed.get_att(name, attr)) if attr
                        else (engine.ref(name), fixed.ref(name)))
                self.arns.append(pair)
        self.arns.sort(key=lambda p: -len(p[0]))

    def function(self, physical):
        return self.functions.get(physical, physical)

    def resource(self, arn):
        # A call made outside an invocation (at a cold start) cannot know its account;
        # without an ARN naming another one, the SDK calls the function's own account.
        arn = arn.replace(":unknown-account:", f":{self.account}:")
        for engine, fixed in self.arns:
            if arn == engine or arn.startswith(engine + "/"):
                return fixed + arn[len(engine):]
        return arn


def deployed_names(stack_name):
    """The physical ids, account and region of a stack deployed on the engine."""
    import boto3

    cfn = boto3.client("cloudformation")
    stack_id = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackId"]
    _, _, _, region, account, _ = stack_id.split(":", 5)
    physical = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for r in page["StackResourceSummaries"]:
            physical[r["LogicalResourceId"]] = r.get("PhysicalResourceId", "")
    return expand.Names(account=account, region=region, physical=physical)


# ------------------------------------------------------------ the check
def load_allowed(path=ALLOWED_FILE):
    with open(path, encoding="utf-8") as f:
        entries = yaml.safe_load(f) or []
    for e in entries:
        if not e.get("reason"):
            raise ValueError(f"{path}: every entry needs a reason: {e}")
    return entries


def _allowed(entries, kind, principal, action, resource, source=""):
    for e in entries:
        if e["kind"] != kind:
            continue
        if fnmatchcase(principal, e.get("principal", "*")) and fnmatchcase(action, e.get("action", "*")) \
                and fnmatchcase(resource, e.get("resource", "*")) and fnmatchcase(source, e.get("source", "*")):
            return True
    return False


def _is_wild(text):
    return "*" in text or "?" in text


def check(stack, calls, allowed, unused_fails=True):
    """calls: (principal, action, resource, why). Returns (failures, notes), each a list
    of lines, sorted."""
    failures, notes = [], []
    used = defaultdict(set)  # principal -> {(statement id, grant)}
    for principal, action, resource, why in calls:
        p = stack.principals.get(principal)
        if p is None:
            failures.append(f"REFUSED {principal}: {action} on {resource} ({why}): no such principal in the template")
            continue
        verdict = p.evaluate(action, resource)
        if verdict != "PERMITTED":
            failures.append(f"REFUSED {principal}: {action} on {resource} ({why}): "
                            + ("explicitly denied" if verdict == "DENIED" else "no statement allows it"))
            continue
        for s in p.allowing(action, resource):
            for g in s.grants():
                if fnmatchcase(action, g[0]) and fnmatchcase(resource, g[1]):
                    used[principal].add((str(s), g))
    for name, p in sorted(stack.principals.items()):
        for s in p.statements:
            if s.doc.get("Effect") != "Allow":
                continue
            for action, resource in s.grants():
                wild = _is_wild(action) or resource == "*"
                if wild and not _allowed(allowed, "wildcard", name, action, resource, s.source):
                    failures.append(f"WILDCARD {name}: {action} on {resource} ({s}): not listed as required by AWS in allowed.yaml")
                if (str(s), (action, resource)) in used[name]:
                    continue
                line = f"UNUSED {name}: {action} on {resource} ({s})"
                if _allowed(allowed, "unused", name, action, resource, s.source):
                    notes.append(line + ": allowed (allowed.yaml)")
                elif unused_fails:
                    failures.append(line + ": no call uses it")
                else:
                    notes.append(line)
        failures += _redundant(name, p, allowed) if unused_fails else []
    if unused_fails:
        failures += needless_statements(stack, calls, allowed)
    return sorted(set(failures)), sorted(set(notes))


def needless_statements(stack, calls, allowed):
    """Each statement the template itself writes (inline or customer managed, not what
    SAM or AWS add) is taken out of its role in turn: some call must then be refused,
    or the statement's every grant must be listed as unused in allowed.yaml."""
    by_principal = defaultdict(set)
    for principal, action, resource, _ in calls:
        by_principal[principal].add((action, resource))
    out = []
    for name, p in sorted(stack.principals.items()):
        for s in list(p.statements):
            if s.doc.get("Effect") != "Allow" or not _authored(stack, name, s):
                continue
            if all(_allowed(allowed, "unused", name, a, r, s.source) for a, r in s.grants()):
                continue
            p.statements.remove(s)
            try:
                refused = [c for c in sorted(by_principal[name]) if p.evaluate(*c) != "PERMITTED"]
            finally:
                p.statements.append(s)
            if not refused:
                out.append(f"NEEDLESS {name}: without {s} ({', '.join(f'{a} on {r}' for a, r in s.grants())}) no call is refused")
    return out


def _authored(stack, principal, statement):
    """Whether a statement comes from the template's own Policies (not SAM's or AWS's)."""
    if statement.source in stack.cfn["Resources"]:
        return stack.cfn["Resources"][statement.source]["Type"] == "AWS::IAM::ManagedPolicy"
    return re.fullmatch(rf"{principal}RolePolicy\d+", statement.source) is not None


def _redundant(name, p, allowed):
    """Statements every grant of which another statement of the role already makes."""
    out = []
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    allows = [s for s in p.statements if s.doc.get("Effect") == "Allow"]
    for s in allows:
        grants = [g for g in s.grants() if not _is_wild(g[0]) and not _is_wild(g[1])]
        if not grants:
            continue
        others = [o for o in allows if o is not s]
        if all(any(IAMPolicyStatement(o.doc).is_action_permitted(a, r) == PermissionResult.PERMITTED for o in others)
               for a, r in grants):
            if not _allowed(allowed, "duplicate", name, grants[0][0], grants[0][1], s.source):
                out.append(f"DUPLICATE {name}: {s} grants only what other statements of the role grant: "
                           + ", ".join(f"{a} on {r}" for a, r in grants))
    return out


def variants(sam, parameters):
    """The parameter sets evaluated: the deployment's, and tracing off (the template's
    other Tracing value), where a grant only tracing needs must not be left."""
    out = [dict(parameters)]
    spec = sam.get("Parameters", {}).get("Tracing", {})
    off = [v for v in spec.get("AllowedValues", []) if v != "Active"]
    if off and parameters.get("Tracing", spec.get("Default")) == "Active":
        out.append({**parameters, "Tracing": off[0]})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", required=True, help="directory of recorded calls (*.jsonl)")
    ap.add_argument("--stack", help="deployed stack whose names the records use (on the engine)")
    ap.add_argument("--param", action="append", default=[], help="template parameter K=V")
    ap.add_argument("--unused", choices=("fail", "report"), default="fail")
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--write-calls", help="write the normalized calls (JSON) here")
    ap.add_argument("--verbose", action="store_true", help="list the allowed unused grants too")
    args = ap.parse_args(argv)
    parameters = dict(p.split("=", 1) for p in args.param)
    allowed = load_allowed()
    sam = expand.sam_input(args.root)
    records = read_records(args.calls)
    if not records:
        print(f"iamcheck: no recorded calls under {args.calls}", file=sys.stderr)
        return 1
    deployed = deployed_names(args.stack) if args.stack else None
    failed = False
    for params in variants(sam, parameters):
        stack = Stack(args.root, params, sam)
        norm = Normalizer(stack, deployed) if deployed else None
        calls = [((norm.function(f) if norm else f), a, (norm.resource(r) if norm else r), "recorded")
                 for f, a, r in records]
        if args.write_calls and params == parameters:
            with open(args.write_calls, "w", encoding="utf-8") as f:
                json.dump(sorted(set(c[:3] for c in calls)), f, indent=1)
        calls += stack.derived_calls()
        failures, notes = check(stack, calls, allowed, args.unused == "fail")
        failures += gateway_failures(stack)
        if args.unused == "fail":
            reached = {c[0] for c in calls if c[3] == "recorded"}
            failures += [f"UNREACHED {n}: the function made no recorded call, so nothing of its policy was checked"
                         for n, p in sorted(stack.principals.items()) if p.kind == "function" and n not in reached]
        authored = sum(1 for n, p in stack.principals.items() for st in p.statements
                       if st.doc.get("Effect") == "Allow" and _authored(stack, n, st))
        if args.unused == "fail":
            notes.append(f"each of the {authored} statements the template writes was taken out in turn: "
                         "NEEDLESS lines (none is good) name those whose removal refuses no call")
        label = ", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "defaults"
        print(f"iamcheck [{label}]: {len(set(c[:3] for c in calls))} calls of {len(stack.principals)} principals "
              f"({len(records)} recorded), {len(failures)} failures, {len(notes)} notes")
        allowed_notes = [n for n in notes if n.endswith("(allowed.yaml)")]
        for line in notes:
            if args.verbose or line not in allowed_notes:
                print("  note: " + line)
        if allowed_notes and not args.verbose:
            print(f"  note: {len(allowed_notes)} grants no call uses are listed in allowed.yaml (--verbose lists them)")
        for line in failures:
            print("  FAIL: " + line)
        failed = failed or bool(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
