"""`workbench rfm` on the command line, the RFM plots and the scoring widget."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import workbench as wb  # noqa: E402
from workbench import rfm
from workbench.cli import EXIT_DATA, EXIT_OK, EXIT_USAGE, main  # noqa: E402

AS_OF = "2025-12-31"


@pytest.fixture(scope="module")
def small():
    crm = wb.load("demo", as_of=AS_OF, seed=42, demo_customers=600)
    return crm, rfm.score(crm, as_of=AS_OF)


def test_cli_writes_the_same_table_as_the_package(tmp_path, capsys, small):
    out = tmp_path / "scores.csv"
    code = main(["rfm", "--data", "demo", "--as-of", AS_OF, "--out", str(out)])
    assert code == EXIT_OK
    table = pd.read_csv(out)
    expected = rfm.score(wb.load("demo", as_of=AS_OF, seed=42), as_of=AS_OF).table
    assert len(table) == 4000 and table["customer_id"].tolist() == expected["customer_id"].tolist()
    assert table["grade"].tolist() == expected["grade"].tolist()
    assert table["segment"].tolist() == expected["segment"].astype(str).tolist()
    assert list(table.columns[:6]) == ["customer_id", "as_of", "status", "recency_days", "frequency", "monetary"]
    assert "4,000 customers scored" in capsys.readouterr().out


def test_cli_parquet_and_a_custom_grid(tmp_path):
    grid = rfm.write_default_grid(tmp_path / "grid.yml")
    out = tmp_path / "scores.parquet"
    assert main(["rfm", "--data", "demo", "--as-of", AS_OF, "--out", str(out), "--grid", str(grid),
                 "--bins", "4"]) == EXIT_OK
    table = pd.read_parquet(out)
    assert table["r_score"].max() == 4 and len(table) == 4000


def test_cli_bad_grid_bad_date_and_bad_data_exit_codes(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("criteria:\n  m:\n    column: monetary\n    bands:\n"
                   "      - {min: 0, max: 200, points: 1}\n      - {min: 100, points: 2}\n"
                   "grades:\n  - {grade: A, min: 0}\n")
    out = str(tmp_path / "x.csv")
    assert main(["rfm", "--data", "demo", "--as-of", AS_OF, "--out", out, "--grid", str(bad)]) == EXIT_USAGE
    assert "overlap" in capsys.readouterr().err
    assert main(["rfm", "--data", "demo", "--as-of", AS_OF, "--out", str(tmp_path / "x.xlsx")]) == EXIT_USAGE
    assert main(["rfm", "--data", "demo", "--as-of", "2020-01-01", "--out", out]) == EXIT_DATA
    lines = len(wb.demo.generate().exported()["orders"])  # the planted bad lines included
    assert f"all {lines:,} order lines were rejected" in capsys.readouterr().err
    folder = tmp_path / "crm"
    folder.mkdir()
    pd.DataFrame({"customer_id": ["C1", "C2"]}).to_csv(folder / "customers.csv", index=False)
    assert main(["rfm", "--data", str(folder), "--as-of", AS_OF, "--out", out]) == EXIT_DATA
    assert "RFM scoring needs the table orders" in capsys.readouterr().err


def test_plots_draw_what_the_tables_hold(small):
    crm, result = small
    t = result.table
    axes = wb.plotting.rfm.plot_rfm_distributions(t)
    assert len(axes) == 3 and axes[1].get_title().startswith("frequency")
    ax = wb.plotting.rfm.plot_rf_heatmap(t)
    assert sum(int(x.get_text()) for x in ax.texts) == t["r_score"].notna().sum()
    kpis = rfm.segment_kpis(t)
    ax = wb.plotting.rfm.plot_segments(kpis)
    assert len(ax.patches) == 2 * (kpis["customers"] > 0).sum()
    ax = wb.plotting.rfm.plot_grades(result.grade_summary())
    assert [p.get_height() for p in ax.patches[:4]] == result.grade_summary()["customers_pct"].tolist()
    curve, conc = rfm.pareto_curve(t), rfm.concentration(t)
    ax = wb.plotting.rfm.plot_pareto(curve, conc)
    assert f"{conc['top_revenue_share_pct']:.1f} %" in ax.texts[0].get_text()
    cells = rfm.seasonality(crm.table("orders"), as_of=AS_OF, segments=t)
    ax = wb.plotting.rfm.plot_seasonality(cells, segment="Champions")
    assert len(ax.texts) == 12 * 7
    ax = wb.plotting.rfm.plot_seasonality_by_segment(rfm.seasonality_index(cells, by="month"))
    assert ax.get_yticklabels()[0].get_text() == "Champions"  # precedence order, not alphabetical


def test_migration_plots(small):
    crm, result = small
    dates = pd.date_range(end=AS_OF, periods=3, freq="QE")
    h = rfm.score_history(crm, dates=dates, scorer=result.scorer)
    m = rfm.migration_matrix(h, start=dates[0], end=dates[-1])
    ax = wb.plotting.rfm.plot_migration(m)
    assert sum(int(x.get_text()) for x in ax.texts) == m.to_numpy().sum()
    flows = rfm.segment_flows(h, start=dates[0], end=dates[-1])
    assert flows["customers"].sum() == m.to_numpy().sum()
    ax = wb.plotting.rfm.plot_flows(flows)
    labels = [x.get_text() for x in ax.texts]
    assert labels[0].startswith("Not yet a customer") or labels[0].startswith("Champions")


def test_widget_rebuilds_the_grid_from_its_controls(small):
    from workbench.widgets.rfm import _grid_controls, _grid_from_controls

    crm, _ = small
    spec = rfm.ScoringGrid.coerce(None).to_dict()
    criteria, grades, _ = _grid_controls(spec)
    criteria["monetary"][0].value = 5  # weight of the monetary score
    grades[0].value = 35
    grid = rfm.ScoringGrid.from_dict(_grid_from_controls(spec, criteria, grades))
    assert grid.criteria[2].weight == 5 and grid.grades[0].min == 35
    box = wb.widgets.rfm.explore_scoring(crm, as_of=AS_OF)
    assert box.children[0].children[1].options[0] == "Champions"  # the segment picker


def test_widget_updates_grades_and_date_at_once(small):
    from workbench.widgets.rfm import _ScoringExplorer

    crm, result = small
    ex = _ScoringExplorer(crm, as_of=pd.Timestamp(AS_OF), grid=None, segments=None, dates=None,
                          customers=None, result=result)
    seen = []
    ex.show = lambda table, grid, res: seen.append((table, grid, res)) or []  # no part shown
    ex.grades[0].value = 1000  # nobody reaches grade A any more
    table, grid, _ = seen[-1]
    assert grid.grades[0].min == 1000 and (table["grade"] == "A").sum() == 0
    assert (result.table["grade"] == "A").sum() > 0  # the run's own table is untouched
    ex.date.value = ex.date.options[1][1]  # the quarter end before: scored with the same scorer
    table, _, res = seen[-1]
    assert res.as_of == pd.Timestamp("2025-09-30") and res.scorer is result.scorer
    assert (table["grade"] == "A").sum() == 0  # the thresholds chosen still apply
