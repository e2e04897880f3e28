"""The shop folder: where it is, what is read from it, `aftersales init`, config.toml, and
the commands that take `--home` in the same place. Real files and real subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from console.home import (
    CONFIG_FILE,
    CONFIG_TEMPLATE,
    SHIPPED,
    Home,
    HomeError,
    ShopConfig,
    init,
    load_config,
    resolve,
)


def shipped_files() -> dict[Path, bytes]:
    return {p.relative_to(SHIPPED): p.read_bytes() for p in sorted(SHIPPED.rglob("*")) if p.is_file()}


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd)


# ---- where the folder is ---------------------------------------------------------------


def test_precedence_option_then_environment_then_the_per_user_default(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    default = resolve(None)
    assert default.root == tmp_path / "xdg-data" / "aftersales" and default.origin == "default"
    assert not default.root.exists()  # resolving never creates anything
    monkeypatch.setenv("AFTERSALES_HOME", str(b))
    assert (resolve(None).root, resolve(None).origin) == (b, "AFTERSALES_HOME")
    assert (resolve(str(a)).root, resolve(str(a)).origin) == (a, "--home")
    assert resolve(None).db_file == b / "console.db"


def test_a_folder_named_on_purpose_must_exist(tmp_path, monkeypatch):
    with pytest.raises(HomeError, match="不存在") as err:
        resolve(str(tmp_path / "nope"))
    assert str(tmp_path / "nope") in err.value.message and "aftersales init" in err.value.message
    monkeypatch.setenv("AFTERSALES_HOME", str(tmp_path / "gone"))
    with pytest.raises(HomeError, match="AFTERSALES_HOME"):
        resolve(None)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(HomeError, match="不是一个文件夹"):
        resolve(str(tmp_path / "file"))


def test_each_item_falls_back_to_the_shipped_default_on_its_own(tmp_path):
    (tmp_path / "phrases").mkdir()
    (tmp_path / "sla.toml").write_text("", encoding="utf-8")
    home = Home(tmp_path)
    assert home.phrases_dir == tmp_path / "phrases" and home.sla_file == tmp_path / "sla.toml"
    assert home.sop_dir == SHIPPED / "sop" and home.forbidden_file == SHIPPED / "forbidden.toml"
    assert home.is_own("phrases") and not home.is_own("sop")


# ---- config.toml ------------------------------------------------------------------------


def test_config_gives_the_shop_name_and_return_address(tmp_path):
    path = tmp_path / CONFIG_FILE
    # Notepad saves a BOM; values are trimmed.
    path.write_bytes('\ufeff[shop]\nname = " 小美旗舰店 "\nreturn_address = "杭州市余杭区 1 号 售后组 收"\n'
                     .encode())
    assert load_config(path) == ShopConfig("小美旗舰店", "杭州市余杭区 1 号 售后组 收")
    assert resolve(str(tmp_path)).return_address == "杭州市余杭区 1 号 售后组 收"


@pytest.mark.parametrize(("text", "expected"), [
    ('[shop]\nname = "小美\n', ":2"),                          # unterminated string: TOML error
    ('[shop]\n\nshopname = "小美"\n', ":3: 未知的设置 shop.shopname"),
    ('[shop]\nname = 12\n', ":2: shop.name (店铺名) 应该是"),
    ('[shop]\nname = "小美\\u001b[31m"\n', "控制字符"),
    ('[store]\nname = "x"\n', ":1: 未知的设置 'store'"),
])
def test_a_broken_config_names_the_file_and_line(tmp_path, text, expected):
    path = tmp_path / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HomeError) as err:
        resolve(str(tmp_path))
    assert str(path) in err.value.message and expected in err.value.message


def test_a_config_that_is_not_utf8_is_named(tmp_path):
    (tmp_path / CONFIG_FILE).write_bytes('[shop]\nname = "小美"\n'.encode("gbk"))
    with pytest.raises(HomeError, match="UTF-8"):
        resolve(str(tmp_path))


def test_the_template_is_valid_and_sets_nothing_until_edited(tmp_path):
    path = tmp_path / CONFIG_FILE
    path.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    assert load_config(path) == ShopConfig()
    path.write_text(CONFIG_TEMPLATE.replace('# name = "小美旗舰店"', 'name = "小美旗舰店"'), encoding="utf-8")
    assert load_config(path).shop_name == "小美旗舰店"


# ---- aftersales init --------------------------------------------------------------------


def test_init_copies_every_default_byte_for_byte_and_a_config_template(tmp_path):
    report = init(tmp_path / "店铺")
    root = tmp_path / "店铺"
    assert report.kept == []
    for relative, data in shipped_files().items():
        assert (root / relative).read_bytes() == data
    assert (root / CONFIG_FILE).read_text(encoding="utf-8") == CONFIG_TEMPLATE
    assert len(report.copied) == len(shipped_files()) + 1
    home = resolve(str(root))
    assert all(home.is_own(item) for item in ("sla.toml", "sop", "forbidden.toml", "phrases"))


def test_init_never_overwrites_and_says_what_it_kept(tmp_path):
    init(tmp_path)
    edited = tmp_path / "phrases" / "refund.txt"
    edited.write_text("# 我们店自己的退款话术\n", encoding="utf-8")
    (tmp_path / "sop" / "return.toml").unlink()
    report = init(tmp_path)
    assert report.copied == [tmp_path / "sop" / "return.toml"]
    assert edited in report.kept and tmp_path / CONFIG_FILE in report.kept
    assert edited.read_text(encoding="utf-8") == "# 我们店自己的退款话术\n"


def test_a_failed_init_leaves_nothing_behind(tmp_path):
    root = tmp_path / "shop"
    root.mkdir()
    (root / "phrases").write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(HomeError, match="没有改动任何文件"):
        init(root)
    # sla.toml and sop/ were copied before phrases/ failed: all removed again.
    assert sorted(p.name for p in root.iterdir()) == ["phrases"]
    with pytest.raises(HomeError):
        init(tmp_path / "shop" / "phrases" / "sub")  # below a file: cannot be created
    assert (root / "phrases").read_text(encoding="utf-8") == "a file where the folder should be"


def test_init_refuses_the_programs_own_folder():
    before = shipped_files()
    with pytest.raises(HomeError, match="程序自带"):
        init(SHIPPED / "sop")
    assert shipped_files() == before


# ---- the commands, with --home in the same place -----------------------------------------


def test_init_then_check_the_shops_own_sop_and_replies(tmp_path, capsys):
    shop = tmp_path / "shop"
    assert main(["init", str(shop)]) == 0
    out = capsys.readouterr().out
    assert str(shop) in out and "已复制" in out
    assert main(["--home", str(shop), "init"]) == 0
    assert "保留未动: config.toml" in capsys.readouterr().out

    assert main(["--home", str(shop), "sop", "check"]) == 0
    assert f"({shop / 'sop'})" in capsys.readouterr().out  # the shop's trees were checked
    flow = shop / "sop" / "payment.toml"
    flow.write_text(flow.read_text(encoding="utf-8").replace('start = "', 'start = "nowhere_', 1),
                    encoding="utf-8")
    assert main(["--home", str(shop), "sop", "check"]) == 1
    assert str(flow) in capsys.readouterr().out

    assert main(["--home", str(shop), "phrases", "check"]) == 0
    capsys.readouterr()
    (shop / "phrases" / "stock.txt").write_text(
        "[stock.x]\ntitle: 缺货\ntags: 缺货\nstatus: approved\n\n亲，这个{colour}暂时缺货。\n", encoding="utf-8")
    assert main(["--home", str(shop), "phrases", "check"]) == 1
    out = capsys.readouterr().out
    assert f"{shop / 'phrases' / 'stock.txt'}:6:" in out and "{colour}" in out


def test_init_copies_the_phrase_rules_and_check_uses_the_shops_own(tmp_path, capsys):
    shop = tmp_path / "shop"
    assert main(["init", str(shop)]) == 0
    rules = shop / "phrase_rules.toml"
    assert rules.read_bytes() == (SHIPPED / "phrase_rules.toml").read_bytes()
    assert resolve(str(shop)).phrase_rules_file == rules
    capsys.readouterr()
    # The shop adds a rule of its own: a shipped reply that says it is now an error.
    rules.write_text(rules.read_text(encoding="utf-8")
                     + '\n[[claim]]\nname = "免邮"\nsays = ["免邮"]\nnever = "本店补发不免邮"\n',
                     encoding="utf-8")
    assert main(["--home", str(shop), "phrases", "check"]) == 1
    out = capsys.readouterr().out
    assert f"{shop / 'phrases' / 'return.txt'}:" in out and "本店补发不免邮" in out
    assert main(["--home", str(shop), "where"]) == 0
    assert f"话术与SOP对照规则: {rules}  [店铺自己的]" in capsys.readouterr().out


def test_where_says_which_files_are_the_shops_own(tmp_path, capsys):
    (tmp_path / "phrases").mkdir()
    assert main(["--home", str(tmp_path), "where"]) == 0
    out = capsys.readouterr().out
    assert f"话术库: {tmp_path / 'phrases'}  [店铺自己的]" in out
    assert f"SOP 决策树: {SHIPPED / 'sop'}  [程序自带 (只读)]" in out
    assert f"数据库: {tmp_path / 'console.db'}" in out


def test_the_database_lives_in_the_shop_folder(tmp_path, capsys):
    shop = tmp_path / "shop"
    shop.mkdir()
    assert main(["--home", str(shop), "demo", "--cases", "3"]) == 0
    assert (shop / "console.db").is_file()
    # No folder named: the per-user default is created for the database, and said so.
    assert main(["demo", "--cases", "3"]) == 0
    default = tmp_path / "xdg-data" / "aftersales"
    assert (default / "console.db").is_file()
    assert "已建立店铺文件夹" in capsys.readouterr().err
    assert main(["--home", str(shop), "--db", str(tmp_path / "other.db"), "demo", "--cases", "3"]) == 0
    assert (tmp_path / "other.db").is_file()


def test_bad_folders_and_configs_are_messages_and_change_nothing(tmp_path):
    missing = tmp_path / "missing"
    out = run_cli("--home", str(missing), "demo", cwd=tmp_path)
    assert out.returncode == 2 and "店铺文件夹不存在" in out.stderr and "Traceback" not in out.stderr
    assert not missing.exists()
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / CONFIG_FILE).write_text('[shop]\nname = "小美\n', encoding="utf-8")
    for args in (["demo"], ["sop", "check"], ["phrases", "check"]):
        out = run_cli("--home", str(shop), *args, cwd=tmp_path)
        assert out.returncode == 2 and str(shop / CONFIG_FILE) in out.stderr, args
        assert "Traceback" not in out.stderr
    assert sorted(p.name for p in shop.iterdir()) == [CONFIG_FILE]  # no database was created
    blocked = tmp_path / "blocked"
    blocked.write_text("", encoding="utf-8")
    out = run_cli("init", str(blocked / "shop"), cwd=tmp_path)
    assert out.returncode == 2 and "没有改动任何文件" in out.stderr and "Traceback" not in out.stderr


def test_approving_a_shipped_reply_says_to_run_init(tmp_path, capsys):
    before = shipped_files()
    assert main(["phrases", "approve", "greeting.first_contact"]) == 1
    assert "aftersales init" in capsys.readouterr().err
    assert shipped_files() == before
