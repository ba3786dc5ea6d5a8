"""Names a package exports without importing them until first use, so ``import`` stays cheap."""
from __future__ import annotations

import importlib

TYPE_CHECKING = False   # not typing's: the package's first import stays free of typing (see jenkins_docker.cli)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` that import ``exports[name]`` (a module) on first use.

    The value is then stored in the package's namespace, so later lookups are plain attribute reads.
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
