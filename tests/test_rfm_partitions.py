"""Scoring in customer partitions (`rfm.score_to_file`, `workbench rfm --partitions N`) writes the
rows, counts, grades and segment sizes of one pass, whatever the number of partitions."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

import workbench as wb
from workbench import rfm
from workbench.cli import EXIT_DATA, EXIT_OK, EXIT_OS, EXIT_USAGE, main
from workbench.notices import ResultWarning

AS_OF = "2025-12-31"


def _one_pass(crm, tmp_path, suffix):
    result = rfm.score(crm, as_of=AS_OF)
    return result, rfm.export(result, tmp_path / f"one_pass{suffix}")


@pytest.mark.parametrize("data", ["demo", "demo:partial_customer_master", "demo:no_amounts",
                                  "demo:orders_without_category"])
def test_partitions_write_the_rows_and_figures_of_one_pass(tmp_path, data):
    crm = wb.load(data, as_of=AS_OF)
    whole, csv = _one_pass(crm, tmp_path, ".csv")
    parquet = rfm.export(whole, tmp_path / "one_pass.parquet")
    for k in (2, 5) if data == "demo" else (3,):
        run = rfm.score_to_file(crm, tmp_path / f"k{k}.csv", as_of=AS_OF, partitions=k)
        assert run.partitions == k
        assert (tmp_path / f"k{k}.csv").read_bytes() == csv.read_bytes()  # header once, rows in order
        rfm.score_to_file(crm, tmp_path / f"k{k}.parquet", as_of=AS_OF, partitions=k)
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"k{k}.parquet"), pd.read_parquet(parquet))
        assert run.counts == whole.counts
        pd.testing.assert_frame_equal(run.grades, whole.grade_summary(), check_dtype=False,
                                      check_categorical=False)
        pd.testing.assert_frame_equal(run.segment_sizes, whole.segment_report.sizes, check_dtype=False)
        assert run.notes == whole.notes


def test_a_partial_master_is_counted_once_over_the_partitions(tmp_path):
    crm = wb.load("demo:partial_customer_master", as_of=AS_OF)
    run = rfm.score_to_file(crm, tmp_path / "s.parquet", as_of=AS_OF, partitions=3)
    n = run.counts["not_in_master"]
    assert n > 0 and sum(f"{n:,} customers with orders are not in the customer master" in x for x in run.notes) == 1
    assert int((~pd.read_parquet(tmp_path / "s.parquet")["in_master"]).sum()) == n


def test_prospects_fall_in_the_range_of_their_id(tmp_path):
    orders = pd.DataFrame({"customer_id": ["B", "B", "D", "F", "H"], "order_id": ["1", "2", "3", "4", "5"],
                           "order_date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-02-01", "2025-06-01",
                                                         "2025-07-01"]),
                           "amount": [10.0, 20.0, 5.0, 50.0, 7.0]})
    customers = pd.DataFrame({"customer_id": ["A", "B", "C", "D", "F", "G", "H", "Z"],
                              "first_contact": pd.to_datetime(["2024-01-01"] * 8)})
    one = rfm.score(orders, customers=customers, as_of=AS_OF, bins=2)
    run = rfm.score_to_file(ibis.memtable(orders), tmp_path / "s.parquet", customers=ibis.memtable(customers),
                            as_of=AS_OF, partitions=3, bins=2)
    got = pd.read_parquet(tmp_path / "s.parquet")
    assert got["customer_id"].tolist() == list("ABCDFGHZ") and run.counts["prospects"] == 4
    expected = rfm.export(one, tmp_path / "one.parquet")
    pd.testing.assert_frame_equal(got, pd.read_parquet(expected))


def test_customers_with_only_zero_amounts_score_as_in_one_pass(tmp_path):
    """Ranges are cut at purchasers' ids: no range holds only zero amounts, which alone would
    read as "purchase dates only" and count every line as a purchase."""
    orders = pd.DataFrame({"customer_id": list("ABCDEF"), "order_id": list("123456"),
                           "order_date": pd.to_datetime(["2025-05-01"] * 6),
                           "amount": [10.0, 20.0, 30.0, 0.0, 0.0, 0.0]})
    one = rfm.export(rfm.score(orders, as_of=AS_OF, bins=2), tmp_path / "one.csv")
    run = rfm.score_to_file(ibis.memtable(orders), tmp_path / "s.csv", as_of=AS_OF, partitions=3, bins=2)
    assert (tmp_path / "s.csv").read_bytes() == one.read_bytes()
    assert run.counts["no_purchase"] == 3 and run.partitions == 2  # three purchasers: two ranges after A


def test_a_warning_of_every_partition_is_given_once(tmp_path):
    crm = wb.load("demo:no_amounts", as_of=AS_OF)
    with pytest.warns(ResultWarning, match="Every amount is 0") as caught:
        rfm.score_to_file(crm, tmp_path / "s.csv", as_of=AS_OF, partitions=4)
    assert sum("Every amount is 0" in str(w.message) for w in caught) == 1


def test_pandas_frames_and_bad_partitions_are_refused(tmp_path):
    orders = pd.DataFrame({"customer_id": ["A"], "order_id": ["1"], "order_date": pd.to_datetime(["2025-01-01"]),
                           "amount": [1.0]})
    with pytest.raises(TypeError, match="rfm.score"):
        rfm.score_to_file(orders, tmp_path / "s.csv", as_of=AS_OF, partitions=2)
    with pytest.raises(ValueError, match="partitions=0"):
        rfm.score_to_file(ibis.memtable(orders), tmp_path / "s.csv", as_of=AS_OF, partitions=0)
    with pytest.raises(ValueError, match=r"\.csv or a \.parquet"):
        rfm.score_to_file(ibis.memtable(orders), tmp_path / "s.txt", as_of=AS_OF, partitions=2)


def test_cli_partitions_write_the_same_file_and_summary(tmp_path, capsys):
    one, three = tmp_path / "one.csv", tmp_path / "three.csv"
    assert main(["rfm", "--data", "demo", "--as-of", AS_OF, "--out", str(one)]) == EXIT_OK
    first = capsys.readouterr().out
    assert main(["rfm", "--data", "demo", "--as-of", AS_OF, "--out", str(three), "--partitions", "3"]) == EXIT_OK
    second = capsys.readouterr().out
    assert three.read_bytes() == one.read_bytes()
    assert "in 3 partitions" in second
    # the same counts, grades and segment sizes, line for line after the first
    assert second.splitlines()[1:] == first.splitlines()[1:]
    assert first.splitlines()[0].split("(")[1] == second.splitlines()[0].split("(")[1]


def test_cli_partitions_exit_codes(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["rfm", "--data", "demo", "--as-of", AS_OF, "--out", str(out), "--partitions", "0"]) == EXIT_USAGE
    assert main(["rfm", "--data", "demo", "--as-of", AS_OF, "--out", str(out), "--partitions", "2",
                 "--engine", "postgres"]) == EXIT_USAGE
    assert "--partitions" in capsys.readouterr().err
    assert main(["rfm", "--data", "demo", "--as-of", "2010-01-01", "--out", str(out), "--partitions", "2"]) == EXIT_DATA
    assert "nothing to score" in capsys.readouterr().err and not out.exists()


def test_the_engine_past_its_memory_limit_is_a_message_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["rfm", "--data", "demo", "--as-of", AS_OF, "--out", str(out), "--memory-limit", "2MB"]) == EXIT_OS
    err = capsys.readouterr().err
    assert "out of memory: the engine needed more than --memory-limit 2MB" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.iterdir())


def _orders(ids, amounts=None):
    n = len(ids)
    return pd.DataFrame({"customer_id": ids, "order_id": [str(i) for i in range(n)],
                         "order_date": pd.to_datetime([f"2025-{1 + i % 12:02d}-{1 + (i * 7) % 27:02d}" for i in range(n)]),
                         "amount": amounts or [float(10 + (i * 37) % 90) for i in range(n)]})


def _same_as_one_pass(tmp_path, orders, customers=None, *, partitions, **options):
    """score_to_file on engine tables gives one pass's file, counts, notes, grades, sizes, warnings."""
    import warnings

    with warnings.catch_warnings(record=True) as said_once:
        warnings.simplefilter("always")
        one = rfm.score(orders, customers=customers, as_of=AS_OF, **options)
    with warnings.catch_warnings(record=True) as said_parts:
        warnings.simplefilter("always")
        run = rfm.score_to_file(ibis.memtable(orders), tmp_path / "parts.parquet", as_of=AS_OF,
                                customers=None if customers is None else ibis.memtable(customers),
                                partitions=partitions, **options)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "parts.parquet"),
                                  pd.read_parquet(rfm.export(one, tmp_path / "one.parquet")))
    assert run.counts == one.counts and run.notes == one.notes
    pd.testing.assert_frame_equal(run.grades, one.grade_summary(), check_dtype=False, check_categorical=False)
    pd.testing.assert_frame_equal(run.segment_sizes, one.segment_report.sizes, check_dtype=False)
    assert {str(w.message) for w in said_parts} == {str(w.message) for w in said_once}
    return run


def test_lines_without_a_customer_id_are_scored_last_as_in_one_pass(tmp_path):
    _same_as_one_pass(tmp_path, _orders(["A", "B", None, "C", "D", "A", None, "E", "F"]), partitions=3, bins=2)


def test_ungraded_customers_count_in_the_grade_shares(tmp_path):
    grid = {"criteria": {"m": {"column": "m_score", "weight": 1, "bands": [{"min": 1, "points": 1}]}},
            "grades": [{"grade": "A", "label": "Top", "min": 1}]}
    customers = pd.DataFrame({"customer_id": list("ABCDEFGHPQ"), "first_contact_date": pd.to_datetime(["2024-01-01"] * 10)})
    run = _same_as_one_pass(tmp_path, _orders(list("ABCDEFGH") * 2), customers, partitions=2, bins=2, grid=grid)
    assert run.grades["customers_pct"].tolist() == [80.0]  # 8 of 10 customers; the 2 prospects have no grade


def test_a_range_whose_customers_net_to_zero_is_not_an_export_without_amounts(tmp_path):
    amounts = [10.0, -10.0, 5.0, -5.0, 30.0, 40.0, 50.0, 60.0]
    _same_as_one_pass(tmp_path, _orders(["A", "A", "B", "B", "C", "D", "E", "F"], amounts), partitions=3, bins=2)


def test_the_not_in_master_note_keeps_its_place_before_the_grid_notes(tmp_path):
    grid = {"criteria": {"m": {"column": "m_score", "weight": 1, "bands": [{"min": 1, "points": 1}]},
                         "nl": {"column": "newsletter", "required": False, "weight": 1,
                                "bands": [{"value": True, "points": 1}]}},
            "grades": [{"grade": "A", "label": "Top", "min": 0}]}
    customers = pd.DataFrame({"customer_id": list("ABCDP"), "first_contact_date": pd.to_datetime(["2024-01-01"] * 5)})
    run = _same_as_one_pass(tmp_path, _orders(list("ABCDEFGH") * 2), customers, partitions=3, bins=2, grid=grid)
    assert run.counts["not_in_master"] == 4


def test_ids_that_are_not_text_are_refused(tmp_path):
    orders = _orders([1, 2, 3, 4])
    with pytest.raises(TypeError, match="customer_id is int64, not text"):
        rfm.score_to_file(ibis.memtable(orders), tmp_path / "s.csv", as_of=AS_OF, partitions=2, bins=2)
    with pytest.raises(ValueError, match="partitions=True"):
        rfm.score_to_file(ibis.memtable(_orders(["A"])), tmp_path / "s.csv", as_of=AS_OF, partitions=True)
    assert not list(tmp_path.iterdir())
