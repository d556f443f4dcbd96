"""The README and docs/*.md name only what exists (issue 18, "Docs that match the code").

Read from every code span, fenced and indented block of ``README.md`` and ``docs/**/*.md`` (not the
contract), whoever wrote it:

* dotted names: ``apps.x.y`` / ``ringnity.x.y`` import (module, then attribute); ``<app label>.Name`` is a
  model, or a name the code spells as a string (Celery task, check id, logger); ``module.attr`` for a
  module of ours (``entitlements.for_tenant``) has that attribute;
* repository paths (anything under a top-level directory of the repository) exist, ``path::test`` names
  a test in that file, ``path.attr`` an attribute of that module, a bare ``name.py`` some file;
* ``manage.py <command>`` is a command of this project;
* ALL_CAPS names are an ``ErrorCode``, an environment variable something reads (``ringnity/settings.py``,
  the process tooling, the test tooling), a Django setting, or a Python name of ours;
* a sentence "read in `FILE`" before a table is true of every variable in the table; every scalar
  setting the docs name that ``ringnity/settings.py`` defines is read from the environment there.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from functools import cache
from pathlib import Path

from django.apps import apps as django_apps
from django.conf import global_settings, settings
from django.core.management import get_commands

from ringnity.api.errors import ErrorCode

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").rglob("*.md") if "contract" not in p.parts)]
TOP_LEVEL = (
    *(
        f"{p.name}/"
        for p in ROOT.iterdir()
        if p.is_dir() and not p.name.startswith((".venv", "var", ".git", ".pytest"))
    ),
    ".ci/",
)
SOURCE_DIRS = ("apps", "ringnity", "tests", "bench", "tools")
PLACEHOLDER = re.compile(r"[<>{}$*…]|\.\.\.")
CAPS = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


@cache
def doc_text(path: Path) -> str:
    return path.read_text()


def code_texts(text: str) -> list[str]:
    """Inline code spans, and every line of fenced and indented code blocks."""
    texts = []
    fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        indented = line.startswith("    ") and line.strip() and not line.lstrip().startswith(("|", "*", "-"))
        if fence or indented:
            texts.append(line.strip())
        else:
            texts += re.findall(r"`([^`]+)`", line)
    return texts


@cache
def all_code() -> list[tuple[str, str]]:
    return [(path.name, text) for path in DOCS for text in code_texts(doc_text(path))]


def words(text: str) -> list[str]:
    return [w.strip("'\",;:()[]") for w in re.split(r"[\s=]+", text) if w.strip("'\",;:()[]")]


@cache
def source_files() -> list[Path]:
    files = [ROOT / "conftest.py", ROOT / "manage.py"]
    for directory in SOURCE_DIRS:
        files += [p for p in (ROOT / directory).rglob("*.py") if ".venv" not in p.parts]
    return files


@cache
def source_text() -> str:
    return "\n".join(p.read_text() for p in source_files())


@cache
def repo_files() -> list[str]:
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and not _ignored(p)]


def _ignored(path: Path) -> bool:
    return bool({".venv", ".git", "var", "__pycache__", "node_modules"} & set(path.relative_to(ROOT).parts))


# --- dotted names -------------------------------------------------------------------------------


def resolve(dotted: str) -> bool:
    """``a.b.c`` imports as a module, or as attributes below the longest importable module. A function or
    class must be named where it is defined (``apps.platform.admin.RolePermissions``, imported there from
    ``apps.platform.console``, does not count)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            holder = target
            if not hasattr(holder, name):
                try:  # a submodule not imported by its package
                    target = importlib.import_module(f"{holder.__name__}.{name}")
                    continue
                except (ImportError, AttributeError):
                    return False
            target = getattr(holder, name)
            defined_elsewhere = getattr(target, "__module__", None) != holder.__name__
            if (
                inspect.ismodule(holder)
                and (inspect.isclass(target) or inspect.isfunction(target))
                and defined_elsewhere
            ):
                return False
        return True
    return False


@cache
def product_text() -> str:
    """The product's code, without tests (whose strings name anything, this file's included)."""
    return "\n".join(p.read_text() for p in source_files() if "tests" not in p.relative_to(ROOT).parts)


@cache
def contract_names() -> set[str]:
    """Message and event names the contracts define (``name: ai.delta`` in the realtime AsyncAPI)."""
    names = set()
    for path in (ROOT / "docs" / "contract").iterdir():
        names |= set(re.findall(r"(?:name|const):\s*\"?([\w.]+)", path.read_text()))
    return names


def spelled_in_code(text: str) -> bool:
    """A name the code spells as a string (logger, task, check id), or a contract's message name."""
    return f'"{text}"' in product_text() or f"'{text}'" in product_text() or text in contract_names()


@cache
def module_basenames() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for path in source_files():
        if path.parts[len(ROOT.parts)] in ("apps", "ringnity") and path.name != "__init__.py":
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            names.setdefault(path.stem, []).append(module)
    return names


def dotted_problem(token: str) -> str | None:
    name = token.split("(", 1)[0]
    if not re.fullmatch(r"[A-Za-z_][\w.-]*\.[\w-]+", name) or name.endswith((".py", ".json", ".txt", ".toml")):
        return None
    head = name.split(".", 1)[0]
    if head in ("apps", "ringnity"):
        return None if resolve(name) or spelled_in_code(name) else f"`{token}` names nothing in the code"
    if head in {config.label for config in django_apps.get_app_configs()}:
        try:
            django_apps.get_model(name)
            return None
        except (LookupError, ValueError):
            pass
        return None if spelled_in_code(name) else f"`{token}` is no model, task, check id or logger of the code"
    if head in module_basenames() and "(" in token:  # a call shown on a module of ours: ``entitlements.usage(...)``
        if any(resolve(f"{module}.{name.split('.', 1)[1]}") for module in module_basenames()[head]):
            return None
        return f"`{token}`: no module named {head} has {name.split('.', 1)[1]}"
    return None


def test_every_dotted_name_the_docs_mention_exists():
    problems = {
        f"{doc}: {problem}"
        for doc, text in all_code()
        for token in [text.strip(), *words(text)]
        if (problem := dotted_problem(token))
    }
    assert sorted(problems) == []


# --- paths --------------------------------------------------------------------------------------


def path_problem(word: str) -> str | None:
    if PLACEHOLDER.search(word):
        return None
    path, _, test = word.partition("::")
    if path.startswith(TOP_LEVEL):
        if (ROOT / path).exists():
            target = ROOT / path
        else:  # ``apps/runtime/tests/fixtures.runtime_headers``: a module and one of its names
            module, _, attribute = path.rpartition(".")
            if not (ROOT / f"{module}.py").is_file():
                return f"`{word}` does not exist"
            if not re.search(
                rf"^(def|class) {re.escape(attribute)}\b|^{re.escape(attribute)}\s*[:=]",
                (ROOT / f"{module}.py").read_text(),
                re.M,
            ):
                return f"`{word}`: {module}.py has no {attribute}"
            return None
        if test and not re.search(rf"def {re.escape(test)}\(", target.read_text()):
            return f"`{word}`: no test {test} in {path}"
        return None
    known = any(f == path or f.endswith(f"/{path}") for f in repo_files())
    if re.fullmatch(r"[\w/]+\.py", path) and not known:  # ``admin.py``, ``api/agent_views.py``: some such file
        return f"`{word}`: no such file in the repository"
    return None


def test_every_repository_path_the_docs_mention_exists():
    problems = {
        f"{doc}: {problem}" for doc, text in all_code() for word in words(text) if (problem := path_problem(word))
    }
    assert sorted(problems) == []


def test_every_test_named_with_a_prefix_exists():
    """``ringnity/tests/test_api_edges.py`` (``test_a_server_api_call_without_a_key_says_…``): the prefix names one."""
    problems = []
    for path in DOCS:
        for match in re.finditer(r"`((?:apps|ringnity|tests)/[\w/]+\.py)`[^`|]*?\(`(test_\w+)…", doc_text(path)):
            file, prefix = match.groups()
            if not re.search(rf"def {prefix}\w*\(", (ROOT / file).read_text()):
                problems.append(f"{path.name}: no test starting {prefix} in {file}")
    assert problems == []


# --- management commands ------------------------------------------------------------------------


def test_every_management_command_the_docs_mention_exists():
    commands = get_commands()
    mentioned = {(path.name, command) for path in DOCS for command in re.findall(r"manage\.py (\w+)", doc_text(path))}
    assert sorted(f"{doc}: manage.py {command}" for doc, command in mentioned if command not in commands) == []


# --- environment variables and settings ---------------------------------------------------------

ENV_READ = re.compile(
    r"""(?:env_(?:str|bool|int|list)\(\s*|environ(?:\.get)?[\[(]\s*|getenv\(\s*)["']([A-Z][A-Z0-9_]*)["']"""
)


def env_reads(path: Path) -> set[str]:
    """The variables ``path`` reads from the environment by name; a file reading a computed name
    (``os.environ.get(name)``) reads the names it spells as strings (``ringnity.ops.processes``)."""
    text = path.read_text()
    names = set(ENV_READ.findall(text))
    if path.suffix == ".py" and re.search(r"environ\.get\(\s*[a-z_]", text):
        names |= set(re.findall(r'"([A-Z][A-Z0-9_]+)"', text))
    if path.suffix != ".py":  # Makefile, .ci/run, Procfile: shell and make variables
        names |= set(re.findall(r"\$\{?\(?([A-Z][A-Z0-9_]+)", text))
        names |= set(re.findall(r"^(?:export\s+)?([A-Z][A-Z0-9_]+)\s*\??=", text, re.M))
    return names


@cache
def environment_readers() -> dict[str, set[str]]:
    tooling = [ROOT / name for name in ("Makefile", "Procfile", ".ci/run") if (ROOT / name).exists()]
    return {str(p.relative_to(ROOT)): env_reads(p) for p in [*source_files(), *tooling]}


@cache
def settings_assignments() -> dict[str, ast.expr]:
    tree = ast.parse((ROOT / "ringnity" / "settings.py").read_text())
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


@cache
def python_names() -> set[str]:
    return set(re.findall(r"^\s*([A-Z][A-Z0-9_]+)\s*(?::[^=\n]+)?=", source_text(), re.M))


def documented_caps() -> set[tuple[str, str]]:
    """ALL_CAPS names: whole code spans (``NAME`` or ``NAME=value``) and ``NAME=`` in commands."""
    found = set()
    for doc, text in all_code():
        whole = re.fullmatch(r"([A-Z][A-Z0-9_]*)(=\S*)?", text.strip())
        if whole and (CAPS.match(whole.group(1)) or whole.group(2)):
            found.add((doc, whole.group(1)))
        found |= {(doc, name) for name in re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", text)}
    for path in DOCS:  # names in the rows of an environment table
        for row in re.findall(r"^\|(.*)\|$", doc_text(path), re.M):
            first = row.split("|")[0]
            found |= {(path.name, name) for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", first) if CAPS.match(name)}
    return found


def doc_shell_variables() -> set[str]:
    """Variables a doc's own commands set for the reader (``export KEY=...`` then ``$KEY``)."""
    return {name for path in DOCS for name in re.findall(r"export ([A-Z][A-Z0-9_]*)=", doc_text(path))}


def test_every_caps_name_the_docs_mention_is_something_the_code_knows():
    read_anywhere = set().union(*environment_readers().values())
    known = set(ErrorCode.__members__) | read_anywhere | python_names() | doc_shell_variables()
    known |= set(re.findall(r'"([A-Z][A-Z0-9_]+)"', product_text()))  # getattr(settings, "NAME")
    unknown = sorted(
        f"{doc}: `{name}`" for doc, name in documented_caps() if name not in known and not hasattr(settings, name)
    )
    assert unknown == []


def test_every_scalar_setting_the_docs_name_is_read_from_the_environment():
    """A knob the docs name (``CHAT_ANONYMOUS_STARTS_PER_IP``, default 60) can be set by a deployment."""
    read = environment_readers()["ringnity/settings.py"]
    assigned = settings_assignments()
    fixed = sorted(
        f"{doc}: `{name}` is a setting ringnity/settings.py does not read from the environment"
        for doc, name in documented_caps()
        if name in assigned and name not in read and _scalar(getattr(settings, name, None))
    )
    fixed += sorted(
        f"{doc}: `{name}` is read as a setting with the default {default} that ringnity/settings.py does not define"
        for doc, name in documented_caps()
        for default in _defaults_in_code(name)
        if name not in assigned and not hasattr(global_settings, name)
    )
    assert fixed == []


def _scalar(value) -> bool:
    """A number or a word a deployment would set; not a structure, not a class path."""
    if isinstance(value, str):
        return not re.fullmatch(r"[a-z_][\w.]*\.[A-Z]\w*", value)
    return isinstance(value, (int, float))


def _defaults_in_code(name: str) -> list[str]:
    """Scalar defaults of ``getattr(settings, "NAME", default)`` in the code."""
    pattern = rf"getattr\(\s*settings\s*,\s*[\"']{name}[\"']\s*,\s*([^)]+)\)"
    return [
        d.strip()
        for d in re.findall(pattern, source_text())
        if re.fullmatch(r"-?[\d_.]+|True|False|[\"'][^\"']*[\"']", d.strip())
    ]


def claimed_tables(text: str):
    """``(files, names)`` for each table after a line saying its variables are "read in `file`"."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        claim = re.search(r"read in ((?:`[^`]+`(?:,| and| or)?\s*)+)", line)
        if not claim or not re.search(r"\|", "\n".join(lines[index + 1 : index + 3])):
            continue
        files = re.findall(r"`([^`]+)`", claim.group(1))
        names = set()
        for row in lines[index + 1 :]:
            if not row.startswith("|"):
                if names or row.strip() != "":
                    break
                continue
            names |= {n for n in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]) if CAPS.match(n) or n.isupper()}
        yield files, names


def test_every_table_of_variables_is_read_where_the_docs_say():
    readers = environment_readers()
    problems = []
    for path in DOCS:
        for files, names in claimed_tables(doc_text(path)):
            assert names, f"{path.name}: an empty table after 'read in {files}'"
            read = set().union(*(readers.get(f, set()) for f in files))
            problems += [f"{path.name}: `{n}` is not read in {', '.join(files)}" for n in sorted(names - read)]
    assert problems == []


def test_the_checks_catch_what_issue_18_found():
    """The names the issue quoted are reported (guards the checks themselves)."""
    assert dotted_problem("apps.runtime.selectors.bootstrap_cache_invalidate(tenant=...)")
    assert dotted_problem("apps.platform.admin.RolePermissions")
    assert dotted_problem("apps.platform.services.ai_usage_record(tenant=..., kind=..., ...)")
    assert path_problem("apps/chat/api/cors.py")
    assert path_problem("ringnity/tests/test_api_edges.py::test_no_such_test")
    assert dotted_problem("apps.platform.console.ConsoleSite") is None
    assert dotted_problem("ai.index_knowledge_document") is None
    assert dotted_problem("oauth.OAuthClient") is None
    assert dotted_problem("entitlements.register_usage_counter(key, fn)") is None
    assert dotted_problem("entitlements.no_such_function(key)")
    assert path_problem("apps/runtime/tests/fixtures.runtime_headers") is None
    assert _scalar(60)
    assert _scalar("json")
    assert not _scalar("apps.identity.authentication.DashboardJWTAuthentication")
    assert not _scalar({"ip": (60, 60)})
