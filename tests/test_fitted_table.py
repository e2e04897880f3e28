"""Column widths from the width there is: the columns that matter stay whole."""

from rich.text import Text

from console.widgets.fitted_table import FitColumn, FittedTable, share_width


def test_kept_columns_stay_whole_and_the_others_share_fairly():
    natural, keep = [4, 15, 26, 13, 20, 60], [True, True, True, False, False, False]
    widths = share_width(natural, keep, 82, [4, 4, 4, 12, 6, 6])
    assert widths[:3] == [4, 15, 26] and sum(widths) == 82
    assert widths[3] == 13  # the buyer wants least: whole
    assert widths[4] < 20 and widths[5] >= widths[4]


def test_room_nobody_wants_goes_to_the_last_shared_column():
    assert share_width([4, 6, 8], [True, False, False], 30) == [4, 6, 20]


def test_a_fitted_table_gives_up_columns_in_the_planned_order():
    cols = [FitColumn("时限", [Text("退款自动同意(已发货)")]), FitColumn("剩余", [Text("7d00h")]),
            FitColumn("到期 (店铺时间)", [Text("11-30 10:00:00")], [Text("30日10:00")], "到期"),
            FitColumn("类别", [Text("平台")])]
    table = FittedTable(cols, plan=[("drop", 3), ("short", 2), ("drop", 2)])
    assert [h for h, _ in table.layout(80)] == ["时限", "剩余", "到期 (店铺时间)", "类别"]
    assert [h for h, _ in table.layout(45)] == ["时限", "剩余", "到期 (店铺时间)"]
    assert [h for h, _ in table.layout(40)] == ["时限", "剩余", "到期"]
    assert [h for h, _ in table.layout(30)] == ["时限", "剩余"]
