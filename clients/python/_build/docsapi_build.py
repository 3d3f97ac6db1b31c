"""A PEP 517 build backend in the standard library only.

The project cannot publish to PyPI, and a machine without PyPI access cannot
fetch setuptools to build a checkout: with this backend, ``pip install
./clients/python`` (or ``--no-index``) needs nothing but pip. It builds a pure
Python wheel of ``src/docsapi``, an sdist, and an editable wheel (PEP 660).
The version is read from ``src/docsapi/_version.py``, the one place it is set.
"""

import base64
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile
from typing import Any, Dict, List, Optional, Tuple

NAME = "docsapi"
SUMMARY = "Official Python client library for Docs API"
REQUIRES_PYTHON = ">=3.9"
CLASSIFIERS = ["Programming Language :: Python :: 3", "Typing :: Typed"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "src", NAME)
# Files of the checkout that make up the sdist, so that it builds with this backend too.
SDIST_FILES = ["pyproject.toml", "README.md", "_build/docsapi_build.py"]
# A fixed timestamp (1980-01-01, zip's earliest) keeps builds reproducible.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _version() -> str:
    with open(os.path.join(PACKAGE, "_version.py"), encoding="utf-8") as f:
        match = re.search(r'^VERSION = "([^"]+)"$', f.read(), re.M)
    if match is None:
        raise RuntimeError("no VERSION in src/docsapi/_version.py")
    return match.group(1)


def _metadata() -> str:
    lines = [
        "Metadata-Version: 2.1",
        "Name: " + NAME,
        "Version: " + _version(),
        "Summary: " + SUMMARY,
        "Requires-Python: " + REQUIRES_PYTHON,
        "License: MIT",
    ]
    lines += ["Classifier: " + c for c in CLASSIFIERS]
    lines.append("Description-Content-Type: text/markdown")
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    return "\n".join(lines) + "\n\n" + readme


def _dist_info() -> str:
    return "%s-%s.dist-info" % (NAME, _version())


def _wheel_name() -> str:
    return "%s-%s-py3-none-any.whl" % (NAME, _version())


def _package_files() -> List[Tuple[str, str]]:
    """(path in the wheel, path on disk) of every module and py.typed, sorted."""
    files = []
    for directory, subdirs, names in os.walk(PACKAGE):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py") or name == "py.typed":
                path = os.path.join(directory, name)
                files.append((os.path.relpath(path, os.path.dirname(PACKAGE)).replace(os.sep, "/"), path))
    return files


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return "%s,sha256=%s,%d" % (arcname, digest, len(data))


def _write_wheel(wheel_directory: str, contents: List[Tuple[str, bytes]]) -> str:
    """Write a wheel of contents plus its dist-info (METADATA, WHEEL, RECORD)."""
    dist_info = _dist_info()
    wheel = "Wheel-Version: 1.0\nGenerator: docsapi_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    contents = contents + [
        (dist_info + "/METADATA", _metadata().encode("utf-8")),
        (dist_info + "/WHEEL", wheel.encode("utf-8")),
    ]
    record = [_record_line(arcname, data) for arcname, data in contents]
    record.append(dist_info + "/RECORD,,")
    contents.append((dist_info + "/RECORD", ("\n".join(record) + "\n").encode("utf-8")))
    path = os.path.join(wheel_directory, _wheel_name())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in contents:
            info = zipfile.ZipInfo(arcname, ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return os.path.basename(path)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


# --- PEP 517 hooks ------------------------------------------------------------


def get_requires_for_build_wheel(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: Optional[Dict[str, Any]] = None
) -> str:
    dist_info = os.path.join(metadata_directory, _dist_info())
    os.makedirs(dist_info, exist_ok=True)
    with open(os.path.join(dist_info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    return _dist_info()


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(
    wheel_directory: str,
    config_settings: Optional[Dict[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    return _write_wheel(wheel_directory, [(arcname, _read(path)) for arcname, path in _package_files()])


def build_editable(
    wheel_directory: str,
    config_settings: Optional[Dict[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    # A .pth file puts src/ on sys.path: edits to the checkout take effect at once.
    pth = (os.path.join(ROOT, "src") + "\n").encode("utf-8")
    return _write_wheel(wheel_directory, [(NAME + ".pth", pth)])


def build_sdist(sdist_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    base = "%s-%s" % (NAME, _version())
    path = os.path.join(sdist_directory, base + ".tar.gz")
    members = [(rel, os.path.join(ROOT, rel)) for rel in SDIST_FILES]
    members += [("src/" + arcname, disk) for arcname, disk in _package_files()]
    pkg_info = _metadata().encode("utf-8")
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for arcname, data in [("PKG-INFO", pkg_info)] + [(rel, _read(disk)) for rel, disk in members]:
            info = tarfile.TarInfo(base + "/" + arcname)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = int(time.mktime(ZIP_TIME + (0, 0, -1)))
            tf.addfile(info, io.BytesIO(data))
    return os.path.basename(path)
