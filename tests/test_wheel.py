"""The real wheel carries its defaults: build it, install it into a fresh venv, run
`aftersales` from a folder outside the checkout, and check that `console` (and the SOP trees,
replies and rules it read) came from that venv, not from the repository.

An editable install hides a missing package-data line (PITFALLS.md); this test does not.
The dependencies are not downloaded again: the fresh venv sees this interpreter's
site-packages through a .pth line (which, unlike the site folder itself, does not run the
editable install's hook), so the test stays offline and takes a few seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if os.name == "nt" else "bin"


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                         encoding="utf-8", timeout=300)
    assert out.returncode == 0, f"{cmd}\n{out.stdout}\n{out.stderr}"
    return out


def test_the_installed_wheel_finds_its_own_defaults(tmp_path):
    # Build from a copy, so the checkout gets no build/ or *.egg-info.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "console", src / "console", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", src, "--no-deps", "--no-build-isolation", "-q", "-w", dist],
         cwd=tmp_path)
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "console" / "defaults").rglob("*") if p.is_file()}
    assert shipped and shipped <= names, f"missing from the wheel: {sorted(shipped - names)}"
    assert "Requires-Dist: platformdirs" in metadata

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / BIN / ("python.exe" if os.name == "nt" else "python")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel],
         cwd=tmp_path)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp_path).stdout.strip())
    ours = sysconfig.get_paths()
    (site / "_dev_dependencies.pth").write_text(f"{ours['purelib']}\n{ours['platlib']}\n", encoding="utf-8")

    outside = tmp_path / "elsewhere"  # not the checkout: nothing there to import by accident
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AFTERSALES_", "PYTHON"))}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHONIOENCODING="utf-8")
    where = _run([python, "-c", "import console, console.home as h; print(console.__file__); print(h.SHIPPED)"],
                 cwd=outside, env=env).stdout.splitlines()
    installed = site / "console"
    assert Path(where[0]).parent == installed and Path(where[1]) == installed / "defaults"
    assert not Path(where[0]).is_relative_to(ROOT)

    aftersales = venv / BIN / ("aftersales.exe" if os.name == "nt" else "aftersales")
    check = _run([aftersales, "sop", "check"], cwd=outside, env=env).stdout
    assert check.startswith("OK: ") and f"({installed / 'defaults' / 'sop'})" in check
    assert "话术库没有问题" in _run([aftersales, "phrases", "check"], cwd=outside, env=env).stdout

    # A shop folder made from the installed defaults is then what the checks read.
    _run([aftersales, "init", outside / "shop"], cwd=outside, env=env)
    assert (outside / "shop" / "sop" / "return.toml").read_bytes() == (installed / "defaults" / "sop" / "return.toml").read_bytes()
    check = _run([aftersales, "--home", outside / "shop", "sop", "check"], cwd=outside, env=env).stdout
    assert f"({outside / 'shop' / 'sop'})" in check
