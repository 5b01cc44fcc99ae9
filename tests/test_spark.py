"""--engine spark: the contract checks and RFM on a local Spark session, as on the embedded DuckDB.

PySpark is kept out of .venv/ (see pyproject's ``spark`` extra): ``make test`` runs this file in
.venv-spark/ (``make spark-setup``); elsewhere it skips, saying so. Java 17 comes from Debian's
``openjdk-17-jre-headless`` (.ci/run installs it).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import workbench as wb
from workbench import demo, report
from workbench.cli import main
from workbench.data.backends import load_remote, write_parquet_for_spark
from workbench.data.sources import SourceError

pytest.importorskip("pyspark", reason="PySpark is not in this environment: `make test` runs the Spark "
                                      "tests in .venv-spark/ (make spark-setup)")
if shutil.which("java") is None:
    pytest.skip("no Java runtime: install openjdk-17-jre-headless (.ci/run does, as root)", allow_module_level=True)

AS_OF = "2025-12-31"
CUSTOMERS = 200


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    company = demo.generate(customers=CUSTOMERS, seed=42)
    frames = {n: f for n, f in company.tables.items() if f is not None and n in wb.CONTRACT}
    return write_parquet_for_spark(frames, tmp_path_factory.mktemp("spark_demo"))


@pytest.fixture(scope="module")
def on_spark(parquet):
    return load_remote(str(parquet), engine="spark", as_of=AS_OF, tables=["customers", "products", "orders"])


def test_the_contract_checks_on_spark_reconcile_as_the_embedded_engine(on_spark, parquet):
    embedded = wb.load(parquet, as_of=AS_OF, tables=["customers", "products", "orders"]).load_all()
    columns = ["table", "read", "accepted", "rejected"]
    assert on_spark.quality[columns].to_dict("records") == embedded.quality[columns].to_dict("records")
    assert on_spark.quality["read"].sum() > 2000


def test_rfm_scores_and_segments_on_spark_are_those_of_duckdb(on_spark, parquet, tmp_path):
    # without the category / channel profile (rfmcca): many small Spark jobs; the command below has it
    got = wb.rfm.score(on_spark.table("orders"), customers=on_spark.table("customers"), as_of=AS_OF,
                       rfmcca=False)
    expected = wb.rfm.score(wb.load(parquet, as_of=AS_OF), as_of=AS_OF, rfmcca=False)
    assert len(got.table) == CUSTOMERS
    pd.testing.assert_frame_equal(got.table, expected.table)
    assert got.table["segment"].notna().all()


def test_workbench_rfm_engine_spark_writes_what_duckdb_writes(parquet, tmp_path, capsys):
    on_spark, embedded = tmp_path / "spark.parquet", tmp_path / "duckdb.parquet"
    assert main(["rfm", "--data", str(parquet), "--engine", "spark", "--as-of", AS_OF, "--out", str(on_spark)]) == 0
    assert f"{CUSTOMERS:,} customers scored" in capsys.readouterr().out
    assert main(["rfm", "--data", str(parquet), "--as-of", AS_OF, "--out", str(embedded)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(on_spark), pd.read_parquet(embedded))


@pytest.mark.notebook
def test_a_report_shows_no_warning_of_the_spark_extra(tmp_path):
    # pandera imports pyspark.pandas when PySpark is importable; its warnings must not reach a report
    run = report.run(report.resolve_notebooks(["00_data_quality"], notebooks_dir="notebooks"), out_dir=tmp_path,
                     parameters={"data": "demo:two_years"}, workers=1, progress=False)
    html = run.reports[0].html.read_text(encoding="utf-8")
    assert run.ok, run.reports[0].error
    at = html.lower().find("pyspark")
    assert at < 0, f"the report mentions PySpark: ...{html[max(0, at - 300):at + 300]}..."
    assert "PYARROW_IGNORE_TIMEZONE" not in html


def test_a_file_spark_cannot_read_is_named(tmp_path):
    demo.write(tmp_path, customers=50, file_format="parquet")  # nanosecond timestamps
    with pytest.raises(SourceError, match="customers.parquet: Spark cannot read it.*microseconds"):
        load_remote(str(tmp_path), engine="spark", as_of=AS_OF)


def test_a_folder_given_as_a_url_is_read_as_on_a_cluster(parquet):
    # file:// stands for hdfs:// or s3a://: the folder is not listed, each contract table is tried
    on_url = load_remote(f"file://{parquet}", engine="spark", as_of=AS_OF, tables=["customers", "orders"])
    assert list(on_url.checked) == ["customers", "orders"]
    assert on_url.checked["customers"].read == CUSTOMERS


def test_a_missing_table_or_column_on_spark_exits_3_and_writes_nothing(parquet, tmp_path, capsys):
    no_orders, no_customer_id = tmp_path / "no_orders", tmp_path / "no_customer_id"
    for folder in (no_orders, no_customer_id):
        folder.mkdir()
        for name in ("customers", "products"):
            shutil.copy(parquet / f"{name}.parquet", folder / f"{name}.parquet")
    orders = pd.read_parquet(parquet / "orders.parquet").drop(columns="customer_id")
    write_parquet_for_spark({"orders": orders}, no_customer_id)
    out = tmp_path / "rfm.parquet"
    args = ["rfm", "--engine", "spark", "--as-of", AS_OF, "--out", str(out)]
    assert main([*args, "--data", str(no_orders)]) == 3
    assert "needs the orders table" in capsys.readouterr().err
    assert main([*args, "--data", str(no_customer_id)]) == 3
    assert "orders.parquet: required column(s) customer_id not found" in capsys.readouterr().err
    assert main([*args, "--data", str(tmp_path / "nowhere")]) == 3
    assert "nowhere" in capsys.readouterr().err
    assert not out.exists()
