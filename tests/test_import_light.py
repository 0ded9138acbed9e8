"""``import analysis`` stays light: the readers load on first use, and still work."""

from __future__ import annotations

import subprocess
import sys


def test_import_analysis_loads_no_reader_until_one_is_used():
    code = ("import sys, analysis; before = sorted(m for m in sys.modules if "
            "m.startswith('analysis')); from analysis import read_study, InputError; "
            "print(before); print(read_study.__module__, InputError.__module__, "
            "'analysis.io._readers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "['analysis', 'analysis.study']"
    assert out[1] == "analysis.io analysis.io._errors True"


def test_unknown_names_still_raise_attribute_error():
    import analysis

    try:
        analysis.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("no AttributeError")
    assert {"read_study", "write_study", "write_template", "InputError"} <= set(dir(analysis))
