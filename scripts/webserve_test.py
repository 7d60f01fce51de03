"""The local web server's security headers are the ones template.yaml sends on AWS."""
import os
import re
import subprocess
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


# Ports Chromium refuses to open (net/base/port_util.cc's restricted list, above 1024).
CHROMIUM_UNSAFE = {1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080}


class WebPortTest(unittest.TestCase):
    def web_port(self, engine_port):
        env = {k: v for k, v in os.environ.items() if k != "WEB_PORT"}
        env["ENGINE_PORT"] = str(engine_port)
        out = subprocess.run(["bash", "-c", '. scripts/lib.sh && echo "$WEB_PORT"'], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        return int(out.stdout.strip())

    def test_the_web_port_is_one_browsers_open(self):
        for engine, want in [(4566, 6567), (4730, 6730), (4665, 6670), (4000, 6001)]:
            with self.subTest(engine=engine):
                got = self.web_port(engine)
                self.assertEqual(got, want)
                self.assertNotIn(got, CHROMIUM_UNSAFE)


if __name__ == "__main__":
    unittest.main()
