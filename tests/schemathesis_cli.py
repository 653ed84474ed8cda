"""`python -m tests.schemathesis_cli run …`: schemathesis's command line, with one work-around.

Hypothesis describes schemathesis's filter lambdas by parsing their module's source, in each
worker thread (its cache is per thread). CPython 3.11.7's parser keeps its recursion depth in
shared state, so two threads parsing at once can fail with SystemError ("AST constructor
recursion depth mismatch"). Here the parses take turns.
"""
from __future__ import annotations

import ast
import runpy
import threading

_parse = ast.parse
_one_at_a_time = threading.Lock()


def _parse_alone(*args, **kwargs):
    with _one_at_a_time:
        return _parse(*args, **kwargs)


ast.parse = _parse_alone
runpy.run_module("schemathesis.cli", run_name="__main__", alter_sys=True)
