"""What `make test` and the stack do about missing system programs: install as root with apt, else one line."""
import pytest

from stack import system_tools
from stack.procs import StackError
from stack.system_tools import CHROMIUM, IP, NGINX, PROMETHEUS, PROMTOOL, plan


@pytest.mark.parametrize("missing, root, apt, install, says", [
    ([], True, True, (), ""),
    ([], False, False, (), ""),
    ([CHROMIUM, NGINX], True, True, ("chromium", "nginx"), ""),
    ([PROMETHEUS, PROMTOOL, IP], True, True, ("prometheus", "iproute2"), ""),
    ([CHROMIUM], False, True, (), "chromium missing and not installed (you are not root): "
                                   "sudo apt-get install -y chromium"),
    ([NGINX, PROMTOOL], True, False, (), "nginx, promtool missing and not installed (apt-get is not available): "
                                         "sudo apt-get install -y nginx prometheus"),
], ids=["nothing missing as root: nothing to do",
        "nothing missing as a user: nothing to do",
        "root with apt installs each missing package",
        "two tools of one package install that package once",
        "a user is told the one line to run",
        "root without apt is told the packages to get"])
def test_the_install_decision(missing, root, apt, install, says):
    decided = plan(missing, is_root=root, has_apt=apt)
    assert decided.install == install
    assert decided.instruction == says


def test_a_tool_in_sbin_is_found_without_it_on_the_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    (sbin / "nginx").write_text("#!/bin/sh\n")
    (sbin / "nginx").chmod(0o755)
    monkeypatch.setattr(system_tools, "SBIN", (str(sbin),))
    assert system_tools.locate("nginx") == str(sbin / "nginx")


def test_a_user_without_the_tool_gets_the_line_and_nothing_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(system_tools, "SBIN", ())
    monkeypatch.setattr(system_tools.os, "geteuid", lambda: 1000)
    ran = []
    monkeypatch.setattr(system_tools, "apt_install", lambda *a, **k: ran.append(a))
    with pytest.raises(StackError, match="sudo apt-get install -y chromium"):
        system_tools.ensure((CHROMIUM,))
    assert ran == []


def test_root_installs_and_then_finds_the_tool(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(system_tools, "SBIN", ())
    monkeypatch.setattr(system_tools.os, "geteuid", lambda: 0)
    monkeypatch.setattr(system_tools.shutil, "which", lambda c: "/usr/bin/apt-get" if c == "apt-get" else
                        (str(tmp_path / c) if (tmp_path / c).exists() else None))

    def fake_apt(packages, log=print):
        for name in packages:
            (tmp_path / name).write_text("#!/bin/sh\n")
            (tmp_path / name).chmod(0o755)
    monkeypatch.setattr(system_tools, "apt_install", fake_apt)
    assert system_tools.ensure((NGINX,)) == {"nginx": str(tmp_path / "nginx")}
