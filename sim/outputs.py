"""Where results go: checked before a run, written so that nothing is ever half done.

A results folder is written whole into a hidden sibling (``.NAME.spc-new-PID-XXXX``)
and then swapped into place, so ``NAME`` always holds either the complete previous
result or the complete new one -- never a mix, however the run is stopped (Ctrl-C,
SIGTERM, kill -9, a full disk). On Linux the swap is one atomic ``renameat2``
exchange; elsewhere the old folder is first renamed aside (``.NAME.spc-old-PID-…``)
and put back by the next run should the process die between the two renames. A
run killed with -9 may leave a hidden sibling behind; the next run writing to the
same place removes it. Single files (``spc run --out``) are written to a temporary
file beside the target and renamed over it.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from .config import ScenarioError

# files spc writes into a results folder; a folder holding anything else is not ours
# to replace (a provenance.json marks a folder spc wrote, whatever else it holds)
RESULT_FILES = frozenset({"summary.csv", "runs.parquet", "comparison.png", "provenance.json"})
MARKER = "provenance.json"
_SIBLING = re.compile(r"^\.(?P<name>.+)\.spc-(?P<kind>new|old|tmp)-(?P<pid>\d+)-[0-9a-f]+(\..*)?$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _sibling(target: Path, kind: str, suffix: str = "") -> Path:
    return target.parent / f".{target.name}.spc-{kind}-{os.getpid()}-{secrets.token_hex(4)}{suffix}"


def clean_stale(target: Path) -> None:
    """Remove hidden siblings of ``target`` left by runs that were killed.

    A folder renamed aside by a run that died before putting the new one in place
    is the complete previous result: it is restored when ``target`` is missing.
    """
    parent = target.parent
    if not parent.is_dir():
        return
    stale = []
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            m = _SIBLING.match(entry.name)
            if m and m["name"] == target.name and not _pid_alive(int(m["pid"])):
                stale.append((m["kind"], entry))
    for kind, entry in sorted(stale, key=lambda x: x[0] != "old"):
        if kind == "old" and not target.exists():
            with contextlib.suppress(OSError):
                os.rename(entry, target)
                continue
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def _writable_parent(path: Path) -> str | None:
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                return f"cannot be created: {p} is a file"
            if not os.access(p, os.W_OK | os.X_OK):
                return f"cannot be created: {p} is not writable"
            return None
    return None


def _probe(folder: Path) -> str | None:
    """Try to create a file in an existing folder (access bits can lie, e.g. /proc)."""
    if not folder.is_dir():
        return None
    probe = _sibling(folder / "x", "tmp")
    try:
        probe.touch()
    except OSError as exc:
        return f"cannot write in {folder}: {exc.strerror or exc}"
    with contextlib.suppress(OSError):
        probe.unlink()
    return None


def foreign_files(folder: Path) -> list[str]:
    """Entries of an existing folder that spc did not write (empty: safe to replace)."""
    if not folder.is_dir():
        return []
    names = sorted(os.listdir(folder))
    if MARKER in names:
        return []
    return [n for n in names if n not in RESULT_FILES]


def check_output(path: Path | str, folder: bool, option: str = "--out") -> None:
    """Refuse an output path that cannot be written, before any run starts (and tidy
    up what earlier killed runs left beside it). A blank ``path`` comes as the str
    given (``Path("")`` would read as ".")."""
    if not str(path).strip() or str(path) == ".":
        given = f"{str(path)!r}" if not str(path).strip() else path
        raise ScenarioError([f"{option} {given}: give a {'folder' if folder else 'file'} name"])
    path = Path(path)
    clean_stale(path)
    bad = None
    if folder and path.exists() and not path.is_dir():
        bad = "exists and is not a folder"
    elif not folder and path.is_dir():
        bad = "is a folder; give a file name"
    elif not folder and path.exists() and not os.access(path, os.W_OK):
        bad = "exists and is not writable"
    elif folder and (other := foreign_files(path)):
        shown = ", ".join(other[:3]) + (", ..." if len(other) > 3 else "")
        bad = (
            f"holds files spc did not write ({shown}); results replace the whole folder, "
            "so give a new or empty folder or an earlier results folder"
        )
    else:
        bad = _writable_parent(path if folder else path.parent)
        if bad is None:
            existing = next(p for p in (path.parent, *path.parent.parents) if p.exists())
            bad = _probe(existing)
    if bad:
        raise ScenarioError([f"{option} {path}: {bad}"])


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: file system cannot exchange
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(new: Path, target: Path) -> None:
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new)  # now holds the previous result
        return
    old = _sibling(target, "old")
    os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old)


@contextlib.contextmanager
def results_folder(target: str | Path) -> Iterator[Path]:
    """Yield an empty hidden folder to write into; on success it replaces ``target``.

    On any exception or signal the new folder is removed and ``target`` is left as it
    was. Stale siblings from earlier killed runs are removed first.
    """
    target = Path(target)
    clean_stale(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    new = _sibling(target, "new")
    new.mkdir()
    try:
        yield new
        other = foreign_files(target)
        if other:  # appeared while we ran
            raise ScenarioError([f"--out {target}: now holds files spc did not write: {other}"])
        _swap_in(new, target)
    finally:
        if new.exists():
            shutil.rmtree(new, ignore_errors=True)


@contextlib.contextmanager
def atomic_file(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed over it."""
    target = Path(target)
    clean_stale(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target, "tmp", ".tmp")
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        # name the file the user asked for, not our temporary one
        raise OSError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            with contextlib.suppress(OSError):
                tmp.unlink()


def git_commit() -> str | None:
    """The source checkout's commit (with ``+dirty`` for local changes), if known."""
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=3,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=3,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def _file_sha256(path: str | Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def run_record(argv: list[str], scenario_path: str | Path, options: Mapping) -> dict:
    """What produced a result, for ``provenance.json``: the command line, the scenario
    file and its hash, the options that change results, the package version and commit."""
    from . import __version__

    return {
        "command": shlex.join(["spc", *argv]),
        "working_directory": os.getcwd(),
        "scenario_file": str(Path(scenario_path).resolve()),
        "scenario_file_sha256": _file_sha256(scenario_path),
        "options": dict(options),
        "version": __version__,
        "git_commit": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def overrides_tag(options: Mapping[str, object]) -> str:
    """Short stable hash of the options that change results (for default folder names)."""
    text = json.dumps(options, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]
