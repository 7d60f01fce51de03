"""scripts/docs-check.py finds each class of stale doc it claims to, and passes a clean one."""
import importlib.util
import pathlib
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("docs_check", ROOT / "scripts" / "docs-check.py")
docs_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(docs_check)


class DocsCheckTest(unittest.TestCase):
    def problems(self, text):
        (ROOT / ".local").mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".md", dir=ROOT / ".local", delete=False) as f:
            f.write(text)
        path = pathlib.Path(f.name)
        try:
            found = []
            targets, prefixes = docs_check.make_targets()
            docs_check.check_file(path, targets, prefixes, found)
            return found
        finally:
            path.unlink()

    def test_each_class_is_found(self):
        cases = {
            "machine-local path": "logs are in /home/ada/wallet/.local\n",
            "no such file": "see [the design](../docs/NO_SUCH.md)\n",
            "no heading with that anchor": "see [money](../docs/ARCHITECTURE.md#no-such-heading)\n",
            "no such target": "run `make no-such-target`\n",
            "does not exist": "the code is in `internal/no_such/file.go`\n",
        }
        for what, text in cases.items():
            with self.subTest(what):
                found = self.problems(text)
                self.assertEqual(1, len(found), found)
                self.assertIn(what, found[0])

    def test_a_fenced_make_call_is_checked_and_prose_is_not(self):
        self.assertEqual(1, len(self.problems("```sh\nmake run && make nope\n```\n")))
        self.assertEqual([], self.problems("what the make targets run\n"))

    def test_a_clean_doc_passes(self):
        text = ("Run `make run`, then `make test` (see [the architecture](../docs/ARCHITECTURE.md) and "
                "`scripts/run.sh`). `make chaos CLIENTS=8` and `make build-hello` exist.\n")
        self.assertEqual([], self.problems(text))


if __name__ == "__main__":
    unittest.main()
