"""Where semgrep is installed: its ``semgrep scan`` command and the ``semgrep-core`` binary
shipped in its package, with that package's version.

Only installations count. ``python -m backend_audit`` puts the current folder first on
the import path, and a ``PATH`` may hold relative entries; when the current folder is the
scanned tree, a ``semgrep`` folder or command found through either is the tree's own code,
which a scan must never run. So the package is looked for in this interpreter's
site-packages and in import path entries outside the current folder, and commands in
absolute ``PATH`` entries only."""

from __future__ import annotations

import glob
import os
import site
import sys
import sysconfig
from dataclasses import dataclass
from importlib.machinery import PathFinder
from pathlib import Path


@dataclass(frozen=True)
class SemgrepCore:
    """semgrep-core and the version of the semgrep package it was shipped with."""

    path: str
    version: str


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives
        return False


def _current_folder() -> str | None:
    try:
        return os.path.realpath(os.getcwd())
    except OSError:
        return None


def _site_dirs() -> list[str]:
    """This interpreter's own site-packages folders."""
    dirs = [sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
    if hasattr(site, "getsitepackages"):  # missing in some old virtualenvs
        dirs.extend(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if d]


def install_dirs() -> list[str]:
    """Folders an installed semgrep package may sit in, in import order: the import path
    without its empty, relative and current-folder entries (other than this interpreter's
    site-packages, as in a project's own ``.venv``), then any site-packages it lacks."""
    own = [os.path.realpath(d) for d in _site_dirs()]
    cwd = _current_folder()
    dirs: list[str] = []
    for entry in sys.path:
        if not entry or not os.path.isabs(entry):
            continue
        real = os.path.realpath(entry)
        if real not in own and (cwd is None or _inside(real, cwd)):
            continue
        dirs.append(real)
    dirs.extend(d for d in own if d not in dirs)
    return list(dict.fromkeys(dirs))


def _command_names() -> list[str]:
    if os.name != "nt":
        return ["semgrep"]
    extensions = os.environ.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(os.pathsep)
    return [f"semgrep{ext.lower()}" for ext in extensions if ext]


def absolute_path_entries() -> list[str]:
    """``PATH`` without the empty and relative entries that name the current folder."""
    entries = os.environ.get("PATH", os.defpath).split(os.pathsep)
    return [e for e in entries if e and os.path.isabs(e)]


def find_semgrep() -> str | None:
    """The ``semgrep`` command: beside this interpreter (its scripts folder), else the first
    in an absolute ``PATH`` entry. Not ``shutil.which``: on Windows it looks in the current
    folder first."""
    folders = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent),
               *absolute_path_entries()]
    for folder in folders:
        if not folder:
            continue
        for name in _command_names():
            candidate = Path(folder) / name
            if _executable(candidate):
                return str(candidate)
    return None


def _package_dirs() -> list[Path]:
    """Folders that may hold the semgrep package, found without importing it: this
    interpreter's installation, then that of the one the ``semgrep`` command runs under."""
    dirs: list[Path] = []
    spec = PathFinder.find_spec("semgrep", install_dirs())
    if spec is not None and spec.submodule_search_locations:
        dirs.extend(Path(p) for p in spec.submodule_search_locations)
    exe = find_semgrep()
    interpreter = _shebang_interpreter(exe) if exe else None
    if interpreter is not None and os.path.isabs(interpreter):
        env = Path(interpreter).parent.parent
        for pattern in ("lib/python3*/site-packages/semgrep", "Lib/site-packages/semgrep"):
            dirs.extend(Path(p) for p in sorted(glob.glob(str(env / pattern))))
    return dirs


def _shebang_interpreter(exe: str) -> str | None:
    try:
        with open(os.path.realpath(exe), "rb") as handle:
            first = handle.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    parts = first[2:].decode("utf-8", "replace").split()
    return parts[0] if parts else None


def package_version(package: Path) -> str | None:
    """The version in the metadata installed beside the ``semgrep`` package folder."""
    for metadata in sorted(package.parent.glob("semgrep-*.dist-info/METADATA")):
        try:
            with open(metadata, encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
                    if not line.strip():
                        break  # the headers end at the first blank line
        except OSError:
            continue
    return None


def find_semgrep_core() -> SemgrepCore | None:
    name = "semgrep-core.exe" if os.name == "nt" else "semgrep-core"
    for package in _package_dirs():
        binary = package / "bin" / name
        if _executable(binary):
            version = package_version(package)
            if version is not None:
                return SemgrepCore(str(binary), version)
    return None
