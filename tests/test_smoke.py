"""Every module imports cleanly; the library never prints; imports have no side effects."""

import ast
import importlib
import pkgutil
from pathlib import Path

import stylelab

SOURCE = Path(stylelab.__file__).parent


def all_modules():
    for info in pkgutil.walk_packages([str(SOURCE)], prefix="stylelab."):
        if not info.name.endswith("__main__"):
            yield info.name


def test_every_module_imports():
    for name in all_modules():
        importlib.import_module(name)


def test_library_code_never_prints():
    offenders = []
    for path in SOURCE.rglob("*.py"):
        if "cli" in path.relative_to(SOURCE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{path}:{node.lineno}")
    assert offenders == []


def test_no_assert_statements_in_library_code():
    offenders = [f"{path}:{node.lineno}" for path in SOURCE.rglob("*.py")
                 for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Assert)]
    assert offenders == []


def test_import_does_not_load_torch():
    import subprocess
    import sys

    code = "import sys, stylelab, stylelab.cli; print('torch' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"


def test_public_api_is_lazy_and_complete():
    assert callable(stylelab.stylize) and stylelab.GatysConfig().size > 0
    assert {"fast_stylize", "FastConfig", "grade", "errors", "__version__"} <= set(dir(stylelab))  # completion


def test_subpackages_and_errors_are_reachable_from_a_bare_import():
    import subprocess
    import sys

    code = ("import stylelab\n"
            "assert issubclass(stylelab.errors.Cancelled, stylelab.StylelabError)\n"
            "assert stylelab.Cancelled is stylelab.errors.Cancelled and 'Cancelled' in stylelab.__all__\n"
            "assert callable(stylelab.grading.grade)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_export_resolves_and_settings_and_progress_come_without_torch():
    import subprocess
    import sys

    code = ("import sys, stylelab\n"
            "stylelab.Progress, stylelab.GatysConfig(), stylelab.FastConfig(), stylelab.GradeConfig()\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "for name in stylelab.__all__: getattr(stylelab, name)\n"
            "assert stylelab.FastResult is stylelab.fast.FastResult and stylelab.Grader\n")
    subprocess.run([sys.executable, "-c", code], check=True)
