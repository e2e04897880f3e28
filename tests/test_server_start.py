"""Starting against a PostgreSQL server that will not have us: a clear message, no password.

Every case runs against the session's own server (tests/pgserver.py), which asks for a
password over TCP, so a wrong password is a real refusal.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from console.cli import main
from console.db import SCHEMA_HEAD, StoreError, display_url, open_database
from tests.pgserver import PASSWORD, SUPERUSER, free_port


def _refused(url: str) -> str:
    with pytest.raises(StoreError) as err:
        open_database(url)
    message = err.value.message
    assert PASSWORD not in message
    return message


def test_nothing_listening_at_the_address(pg_server):
    url = pg_server.url("postgres", port=free_port())
    message = _refused(url)
    assert "连不上数据库服务器" in message and f"127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}" in message


def test_a_wrong_password(pg_server):
    message = _refused(pg_server.url("postgres", password="not-the-password"))
    assert "用户名或密码不对" in message


def test_a_user_the_server_does_not_know(pg_server):
    message = _refused(pg_server.url("postgres", user="nobody_here", password="x"))
    # PostgreSQL does not say which of the two was wrong, on purpose.
    assert "用户名或密码不对" in message


def test_a_database_name_the_server_does_not_have(pg_server):
    message = _refused(pg_server.url("shop_typo"))
    assert "上没有数据库 “shop_typo”" in message


def test_a_schema_newer_than_this_program_is_refused_unchanged(pg_server, pg_database):
    db = open_database(pg_database)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    db.dispose()
    message = _refused(pg_database)
    assert "更新版本的程序" in message and "0099" in message and SCHEMA_HEAD in message
    check = open_database(pg_database, migrate=False)
    with check.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099"
    check.dispose()


def test_a_user_without_rights_on_the_database(pg_server):
    """PostgreSQL 15 lets only the database's owner create tables in it: the admin's step
    (README) makes the team's user the owner; forgetting it is said plainly."""
    name = pg_server.new_database(migrated=False)
    pg_server.execute("DROP ROLE IF EXISTS clerk")
    pg_server.execute("CREATE ROLE clerk LOGIN PASSWORD 'clerk-pw'")
    try:
        message = _refused(pg_server.url(name, user="clerk", password="clerk-pw"))
        assert "权限" in message
    finally:
        pg_server.drop_database(name)
        pg_server.execute("DROP ROLE clerk")


def test_the_command_line_says_it_and_never_prints_the_password(pg_server, tmp_path, capsys):
    shop = tmp_path / "shop"
    shop.mkdir()
    url = pg_server.url("postgres", password="wrong-秘密")
    assert main(["--home", str(shop), "--db", url, "--agent", "小王", "demo", "--cases", "1"]) == 2
    err = capsys.readouterr().err
    assert "用户名或密码不对" in err
    assert "wrong-秘密" not in err and "wrong-%E7%A7%98%E5%AF%86" not in err
    assert display_url(url) in err and "***" in display_url(url)
    log = (shop / "logs" / "console.log").read_text(encoding="utf-8")
    assert "用户名或密码不对" in log or "password authentication failed" in log
    assert "wrong-" not in log


def test_a_team_database_works_from_the_command_line(pg_server, pg_database, tmp_path, capsys):
    """The agents' one line: --db with the server's URL; `db check` there counts the cases."""
    shop = tmp_path / "shop"
    shop.mkdir()
    assert main(["--home", str(shop), "--db", pg_database, "--agent", "小王", "demo", "--cases", "30"]) == 0
    assert main(["--home", str(shop), "--db", pg_database, "db", "check"]) == 0
    out = capsys.readouterr().out
    assert "共 30" in out and PASSWORD not in out
    assert f"{SUPERUSER}:***@" in out
