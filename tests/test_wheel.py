"""The release wheel installs and runs where there is no Rust toolchain (issue 16).

The wheel is `maturin build --release`'s (abi3, manylinux, stripped). `.ci/run` builds it
before the test line and names it in `DO_ENVSYNC_WHEEL`: then a missing file fails the test.
Without the variable, the test builds the wheel itself, once per state of the sources (a cache
under target/, keyed on a hash of everything that goes into the wheel).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("Cargo.toml", "Cargo.lock", "pyproject.toml", "README.md", "src", "python")


def _sources_key() -> str:
    h = hashlib.sha256()
    for name in SOURCES:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts or f.suffix in (".so", ".pyd"):
                continue
            h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def release_wheel() -> Path:
    given = os.environ.get("DO_ENVSYNC_WHEEL")
    if given:
        path = Path(given)
        if not path.is_file():
            pytest.fail(f"DO_ENVSYNC_WHEEL={given} does not exist (.ci/run builds it first)")
        return path
    cache = ROOT / "target" / "wheel-cache" / _sources_key()
    found = sorted(cache.glob("*.whl"))
    if found:
        return found[0]
    maturin = shutil.which("maturin", path=str(Path(sys.executable).parent)) or "maturin"
    subprocess.run(
        [maturin, "build", "--release", "--quiet", "--out", str(cache)],
        cwd=ROOT,
        check=True,
        timeout=3600,
    )
    return sorted(cache.glob("*.whl"))[0]


def elf_sections(data: bytes) -> set[str]:
    """Section names of a 64-bit little-endian ELF file."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def header(i: int) -> tuple[int, int, int]:
        base = shoff + i * shentsize
        name = struct.unpack_from("<I", data, base)[0]
        offset, size = struct.unpack_from("<QQ", data, base + 0x18)
        return name, offset, size

    _, str_off, str_size = header(shstrndx)
    names = data[str_off : str_off + str_size]
    return {names[n : names.index(b"\0", n)].decode() for n, _, _ in map(header, range(shnum))}


@pytest.mark.skipif(sys.platform != "linux", reason="the manylinux wheel is a Linux one")
def test_release_wheel_is_abi3_manylinux_stripped_and_runs_without_cargo(
    tmp_path: Path,
) -> None:
    wheel = release_wheel()
    tags = wheel.name.removesuffix(".whl").split("-")[-3:]
    assert tags[0] == "cp310" and tags[1] == "abi3", wheel.name
    assert "manylinux" in tags[2] and "linux_x86_64" != tags[2], wheel.name
    with zipfile.ZipFile(wheel) as zf:
        so = [n for n in zf.namelist() if n.startswith("do_envsync/_native") and n.endswith(".so")]
        assert len(so) == 1, zf.namelist()
        sections = elf_sections(zf.read(so[0]))
    assert ".text" in sections and ".symtab" not in sections and ".debug_info" not in sections

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / "bin"
    path = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    assert shutil.which("cargo", path=path) is None and shutil.which("rustc", path=path) is None
    env = {"PATH": path, "HOME": str(tmp_path), "DO_ENVSYNC_STATE": str(tmp_path / "s.db")}
    # No index (the suite never uses the internet): the one dependency, orjson, is copied from
    # this environment next to the fresh venv and put on its path.
    deps = tmp_path / "deps"
    shutil.copytree(Path(orjson.__file__).parent, deps / "orjson")
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel)],
        check=True,
        env=env,
        timeout=300,
    )
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "local-deps.pth").write_text(str(deps) + "\n")
    r = subprocess.run(
        [bin_dir / "do-envsync", "demo"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Managed keys equal the source: True" in r.stdout
    version = subprocess.run(
        [bin_dir / "python", "-c", "import do_envsync; print(do_envsync.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert str(venv) in version.stdout  # the wheel's package, not the source tree's
