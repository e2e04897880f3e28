"""Picking files to import: paths as typed or pasted, the folder remembered per computer,
the exports a folder offers."""

import os

import pytest

from console.import_picks import (
    FolderError,
    check_folder,
    offers,
    remember_folder,
    remembered_folder,
    split_paths,
    unquote,
)
from console.imports import load_import_rules
from tests.export_files import item_file, order_file, refund_file, refunds


@pytest.mark.parametrize(("text", "paths"), [
    ("/a/退款.csv", ["/a/退款.csv"]),
    ('"/a/退款 (1).csv" "/b/ExportOrderList1.csv"', ["/a/退款 (1).csv", "/b/ExportOrderList1.csv"]),
    ("'/a/退款 1.csv'", ["/a/退款 1.csv"]),
    ("/a/x.csv; /b/y.csv；/c/z.csv", ["/a/x.csv", "/b/y.csv", "/c/z.csv"]),
    ("/a/x.csv /b/y.csv", ["/a/x.csv", "/b/y.csv"]),
    ("/a/退款 导出.txt", ["/a/退款 导出.txt"]),
    ("file:///a/%E9%80%80%E6%AC%BE.csv", ["/a/退款.csv"]),
    ("   ", []),
])
def test_split_paths(text, paths):
    assert split_paths(text) == paths


@pytest.mark.skipif(os.sep != "/", reason="backslash-escaped spaces are a POSIX shell's")
def test_unquote_a_dropped_path():
    assert unquote(r"/a/退款\ 导出.csv") == "/a/退款 导出.csv"


def test_folder_remembered_and_checked(tmp_path):
    settings = tmp_path / "config" / "import.toml"
    assert remembered_folder(settings) is None
    remember_folder(tmp_path, settings)
    assert remembered_folder(settings) == tmp_path
    settings.write_bytes(b"\xff not toml")
    assert remembered_folder(settings) is None  # asked again, never a crash
    assert check_folder(f'"{tmp_path}"') == tmp_path.resolve()
    with pytest.raises(FolderError, match="不存在"):
        check_folder(str(tmp_path / "没有"))
    (tmp_path / "f.csv").write_text("x")
    with pytest.raises(FolderError, match="不是文件夹"):
        check_folder(str(tmp_path / "f.csv"))


def test_offers_the_newest_of_each_kind_with_kind_and_size(tmp_path):
    old = refund_file(tmp_path / "退款旧.csv", refunds(2))
    os.utime(old, (1_000_000, 1_000_000))
    new = refund_file(tmp_path / "退款新.csv", refunds(3), layout="new")
    order_file(tmp_path / "ExportOrderList202611231000.csv", [{"订单编号": '="3012345678900000"'}])
    item_file(tmp_path / "ExportOrderDetailList202611231000.csv", [{"订单编号": '="3012345678900000"'}])
    (tmp_path / "别的.csv").write_text("姓名,电话\n", encoding="utf-8")
    found = {o.kind: o for o in offers(tmp_path, load_import_rules())}
    assert set(found) == {"refund", "order", "order_item"}
    assert found["refund"].path == new and found["refund"].size == new.stat().st_size
    assert found["order"].kind_label == "订单报表"
    with pytest.raises(FolderError, match="找不到文件夹"):
        offers(tmp_path / "没有", load_import_rules())
