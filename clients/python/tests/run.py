"""
Runs the client's tests and prints one line per test, `RESULT {"name", "outcome", "detail"}`, so
the project's test runner can count each Python test (tests/clients/pythonClient.test.ts).
Usable by hand too: python3 clients/python/tests/run.py (exit 1 when any test did not pass).
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class LineResult(unittest.TextTestResult):
    def _emit(self, test, outcome, detail=""):
        line = json.dumps({"name": test.id().split(".", 1)[-1], "outcome": outcome, "detail": detail})
        self.stream.write("RESULT " + line + "\n")
        self.stream.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self._emit(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._emit(test, "failed", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._emit(test, "failed", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._emit(test, "skipped", reason)


def main():
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=0, resultclass=LineResult)
    result = runner.run(suite)
    ok = result.wasSuccessful() and not result.skipped
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
