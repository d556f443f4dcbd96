"""No privileged write escapes the audit log.

Walks the service modules of every app (``services.py`` and ``*_services.py``): a function named like
a privileged write (an entity of the audit list and a write verb) must be marked ``@audited``, and a
marked function must call ``audit_record`` itself or another marked service. A new service such as
``server_api_key_delete`` or ``oauth_client_transfer`` fails here until it records its row.
"""

import importlib
import inspect
import pkgutil
import re

import apps
from apps.audit.services import AUDITED

ENTITIES = (
    "server_api_key",
    "allowed_domain",
    "service_toggle",
    "endpoint",
    "oauth_client",
    "oauth_allowed_domain",
    "ai_balance",
    "ai_pricing",
    "subscription",
    "plan_catalog",
    "routing_mode",
    "staff",
    "platform_operator",
    "tenant",
    "user",
)
VERBS = r"create|update|set|set_active|replace|save|delete|disable|enable|rotate|secret_rotate|revoke|top_up|adjust|add"
PRIVILEGED = re.compile(rf"^({'|'.join(ENTITIES)})s?_(\w+_)?({VERBS})$")


def _service_modules():
    for app in pkgutil.iter_modules(apps.__path__):
        if not app.ispkg or app.name == "audit":
            continue
        package = importlib.import_module(f"apps.{app.name}")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name == "services" or module.name.endswith("_services"):
                yield importlib.import_module(f"apps.{app.name}.{module.name}")


def _functions(module):
    for name, function in vars(module).items():
        if inspect.isfunction(function) and function.__module__ == module.__name__ and not name.startswith("_"):
            yield name, function


def test_every_privileged_write_is_marked_audited():
    found = {f"{module.__name__}.{name}" for module in _service_modules() for name, _ in _functions(module)}
    privileged = {qualified for qualified in found if PRIVILEGED.match(qualified.rsplit(".", 1)[1])}
    assert len(privileged) >= 25, sorted(privileged)  # the walk sees the services it should
    assert sorted(privileged - set(AUDITED)) == []


def _helper_records(module, source: str) -> bool:
    """The service calls a private helper of its module that calls ``audit_record``."""
    for helper in re.findall(r"\b(_\w+)\(", source):
        function = getattr(module, helper, None)
        if inspect.isfunction(function) and "audit_record(" in inspect.getsource(function):
            return True
    return False


def test_every_marked_service_records_a_row():
    marked = {qualified.rsplit(".", 1)[1] for qualified in AUDITED}
    problems = []
    for qualified in AUDITED:
        module_name, name = qualified.rsplit(".", 1)
        module = importlib.import_module(module_name)
        source = inspect.getsource(getattr(module, name))
        delegates = any(re.search(rf"\b{other}\(", source) for other in marked - {name})
        if "audit_record(" not in source and not delegates and not _helper_records(module, source):
            problems.append(qualified)
    assert problems == []


def test_actions_are_entity_dot_verb():
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", action) for action in AUDITED.values()), AUDITED
