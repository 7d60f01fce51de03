"""Tests of the IAM check (run by make test with the pinned .tools/iam interpreter)."""

import copy
import os
import unittest

import expand
import iamcheck

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/Table"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:Queue"


_template = []


def template_stack():
    """template.yaml expanded once for all the tests that read it."""
    if not _template:
        _template.append(iamcheck.Stack())
    return _template[0]


def template_without(resource_type):
    """template.yaml's expansion without its resources of one type."""
    cfn = copy.deepcopy(template_stack().cfn)
    for name in [n for n, r in cfn["Resources"].items() if r["Type"] == resource_type or n == resource_type]:
        del cfn["Resources"][name]
    return iamcheck.Stack(cfn=cfn)


def small_template(statements, events=None):
    fn = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"CodeUri": "s3://b/k", "Handler": "bootstrap", "Runtime": "provided.al2023",
                       "Policies": [{"Statement": statements}]},
    }
    if events:
        fn["Properties"]["Events"] = events
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Fn": fn,
        },
    }


def get_item_statement(actions=("dynamodb:GetItem",)):
    return {"Effect": "Allow", "Action": list(actions), "Resource": {"Fn::GetAtt": ["Table", "Arn"]}}


class Evaluation(unittest.TestCase):
    def check(self, statements, calls, allowed=(), events=None, unused=True):
        stack = iamcheck.Stack(sam_template=small_template(statements, events))
        return iamcheck.check(stack, [c + ("test",) for c in calls], list(allowed), unused)

    def test_a_call_no_statement_allows_is_refused_by_name(self):
        failures, _ = self.check([get_item_statement()], [("Fn", "dynamodb:PutItem", TABLE)])
        self.assertIn(f"REFUSED Fn: dynamodb:PutItem on {TABLE} (test): no statement allows it", failures)

    def test_a_granted_call_passes(self):
        failures, _ = self.check([get_item_statement()], [("Fn", "dynamodb:GetItem", TABLE)], unused=False)
        self.assertEqual([], [f for f in failures if "REFUSED" in f])

    def test_another_table_is_refused(self):
        other = TABLE.replace("table/Table", "table/Other")
        failures, _ = self.check([get_item_statement()], [("Fn", "dynamodb:GetItem", other)])
        self.assertTrue(any(f.startswith(f"REFUSED Fn: dynamodb:GetItem on {other}") for f in failures), failures)

    def test_a_deny_wins(self):
        deny = {"Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"}
        failures, _ = self.check([get_item_statement(), deny], [("Fn", "dynamodb:GetItem", TABLE)])
        self.assertIn(f"REFUSED Fn: dynamodb:GetItem on {TABLE} (test): explicitly denied", failures)

    def test_an_unused_grant_fails_unless_allowed(self):
        calls = [("Fn", "dynamodb:GetItem", TABLE)]
        failures, _ = self.check([get_item_statement(("dynamodb:GetItem", "dynamodb:DeleteItem"))], calls)
        self.assertTrue(any(f.startswith(f"UNUSED Fn: dynamodb:DeleteItem on {TABLE}") for f in failures), failures)
        allowed = [{"kind": "unused", "principal": "Fn", "action": "dynamodb:DeleteItem", "reason": "test"}]
        failures, notes = self.check([get_item_statement(("dynamodb:GetItem", "dynamodb:DeleteItem"))], calls, allowed)
        self.assertFalse(any("DeleteItem" in f for f in failures), failures)
        self.assertTrue(any("DeleteItem" in n and "allowed" in n for n in notes), notes)

    def test_a_statement_nothing_needs_is_needless(self):
        both = {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": {"Fn::GetAtt": ["Table", "Arn"]}}
        calls = [("Fn", "dynamodb:GetItem", TABLE), ("Fn", "dynamodb:PutItem", TABLE)]
        stack = iamcheck.Stack(sam_template=small_template([get_item_statement(), both]))
        needless = iamcheck.needless_statements(stack, [c + ("test",) for c in calls], [])
        self.assertEqual(["NEEDLESS Fn: without FnRolePolicy0#0 (dynamodb:GetItem on " + TABLE + ") no call is refused"], needless)

    def test_wildcards_fail_unless_aws_requires_them(self):
        star = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
        failures, _ = self.check([star], [("Fn", "dynamodb:GetItem", TABLE)], unused=False)
        self.assertTrue(any(f.startswith("WILDCARD Fn: dynamodb:* on *") for f in failures), failures)

    def test_a_statement_another_repeats_is_a_duplicate(self):
        failures, _ = self.check([get_item_statement(), get_item_statement()], [("Fn", "dynamodb:GetItem", TABLE)],
                                 allowed=[{"kind": "wildcard", "reason": "SAM's managed policies"}])
        self.assertTrue(any(f.startswith("DUPLICATE Fn:") for f in failures), failures)

    def test_an_sqs_event_source_needs_the_queue_reads(self):
        events = {"Q": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["Queue", "Arn"]}}}}
        stack = iamcheck.Stack(sam_template=small_template([get_item_statement()], events))
        derived = {(p, a, r) for p, a, r, _ in stack.derived_calls()}
        self.assertIn(("Fn", "sqs:ReceiveMessage", QUEUE), derived)
        self.assertIn(("Fn", "sqs:DeleteMessage", QUEUE), derived)


class TheTemplate(unittest.TestCase):
    """template.yaml itself, expanded once."""

    @classmethod
    def setUpClass(cls):
        cls.stack = template_stack()

    def test_earn_rewards_may_read_its_table(self):
        # dynamo.Rewards.EarnedOn reads the day's count before the transaction (issue 23).
        rewards = "arn:aws:dynamodb:us-east-1:123456789012:table/RewardsTable"
        self.assertEqual("PERMITTED", self.stack.principals["EarnRewardsFunction"].evaluate("dynamodb:GetItem", rewards))

    def test_the_saga_marks_needs_review_on_the_ledger(self):
        derived = {(p, a, r) for p, a, r, _ in self.stack.derived_calls()}
        self.assertIn(("TransferStateMachine", "dynamodb:UpdateItem",
                       "arn:aws:dynamodb:us-east-1:123456789012:table/LedgerTable"), derived)
        self.assertIn(("TransferStateMachine", "lambda:InvokeFunction",
                       "arn:aws:lambda:us-east-1:123456789012:function:SagaPostFunction"), derived)

    def test_api_gateway_may_invoke_every_route_and_the_authorizer(self):
        self.assertEqual([], iamcheck.gateway_failures(self.stack))

    def test_a_route_without_its_invoke_permission_is_refused(self):
        failures = iamcheck.gateway_failures(template_without("MePermission"))
        self.assertEqual(["REFUSED apigateway.amazonaws.com: lambda:InvokeFunction on "
                          "arn:aws:lambda:us-east-1:123456789012:function:MeFunction (GET /v1/me): "
                          "no AWS::Lambda::Permission allows it"], failures)

    def test_the_architecture_table_says_what_the_template_grants(self):
        doc = os.path.join(iamcheck.ROOT, "docs", "ARCHITECTURE.md")
        self.assertEqual([], iamcheck.doc_table_differences(self.stack, doc))

    def test_every_derived_call_is_allowed(self):
        failures, _ = iamcheck.check(self.stack, self.stack.derived_calls(), iamcheck.load_allowed(), False)
        self.assertEqual([], [f for f in failures if f.startswith("REFUSED")])


# Limits AWS enforces and the local engine does not (localstack/MINISTACK_GAPS.md).
CFN_RESOURCES_MAX = 500
CFN_OUTPUTS_MAX = 200
API_INTEGRATION_SECONDS_MAX = 29
# IAM's default quota of managed policies attached to one role (raisable to 20): a role
# over it fails to create on AWS; the engine attaches any number.
ROLE_MANAGED_POLICIES_MAX = 10


class AWSLimits(unittest.TestCase):
    """Limits checked on the expanded template, which is what CloudFormation counts."""

    @classmethod
    def setUpClass(cls):
        cls.stack = template_stack()

    def test_cloudformation_counts(self):
        self.assertLess(len(self.stack.cfn["Resources"]), CFN_RESOURCES_MAX)
        self.assertLess(len(self.stack.cfn.get("Outputs", {})), CFN_OUTPUTS_MAX)

    def test_roles_within_the_managed_policies_quota(self):
        roles = [(name, res) for name, res in self.stack.cfn["Resources"].items() if res["Type"] == "AWS::IAM::Role"]
        self.assertTrue(roles, "the functions' roles were found")
        for name, res in roles:
            arns = res["Properties"].get("ManagedPolicyArns", [])
            self.assertLessEqual(len(arns), ROLE_MANAGED_POLICIES_MAX, name)

    def test_functions_behind_the_api_answer_within_its_integration_timeout(self):
        routed = {line.split(" on ")[1].split(" (")[0].rsplit(":", 1)[-1]
                  for line in iamcheck.gateway_failures(template_without("AWS::Lambda::Permission"))}
        self.assertTrue(routed, "the API's functions were found")
        for name in routed:
            timeout = self.stack.r.resolve(self.stack.cfn["Resources"][name]["Properties"].get("Timeout", 3))
            self.assertLess(int(timeout), API_INTEGRATION_SECONDS_MAX, name)


class Normalizing(unittest.TestCase):
    def test_engine_names_become_the_fixed_accounts(self):
        sam = small_template([get_item_statement()])
        stack = iamcheck.Stack(sam_template=sam)
        deployed = expand.Names(account="000000000000", physical={"Table": "wallet-Table-X", "Fn": "wallet-Fn-Y"})
        norm = iamcheck.Normalizer(stack, deployed)
        self.assertEqual("Fn", norm.function("wallet-Fn-Y"))
        self.assertEqual(TABLE + "/index/i", norm.resource("arn:aws:dynamodb:us-east-1:000000000000:table/wallet-Table-X/index/i"))
        self.assertEqual(TABLE, norm.resource("arn:aws:dynamodb:us-east-1:unknown-account:table/wallet-Table-X"))


if __name__ == "__main__":
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    unittest.main()
