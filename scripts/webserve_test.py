"""The local web server's security headers are the ones template.yaml sends on AWS."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import webserve  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SecurityHeadersTest(unittest.TestCase):
    def test_csp_matches_the_template(self):
        with open(os.path.join(ROOT, "template.yaml")) as f:
            template = f.read()
        m = re.search(r'ContentSecurityPolicy: "([^"]+)"', template)
        self.assertIsNotNone(m, "no CSP in template.yaml")
        self.assertEqual(m.group(1), webserve.SECURITY_HEADERS["Content-Security-Policy"])
        self.assertNotIn("unsafe-inline", m.group(1))
        self.assertIn("frame-ancestors 'none'", m.group(1))
        self.assertIn("AccessControlMaxAgeSec: 63072000", template)


if __name__ == "__main__":
    unittest.main()
