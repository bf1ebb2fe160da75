"""The controller's run-level outputs from a synthetic record."""

from pytest_quill.report.publish import publish_run


def test_gantt_only_without_allure(run_record, tmp_path):
    written = publish_run(run_record, tmp_path / "reports", None)
    assert written == [tmp_path / "reports" / "gantt.svg"]
    assert "kernel" in written[0].read_text()


def test_with_allure_results(run_record, tmp_path):
    written = publish_run(
        run_record,
        tmp_path / "reports",
        tmp_path / "allure-results",
        tmp_path / "missing.toml",
        {"bench": "qemu"},
    )
    assert [p.name for p in written] == ["gantt.svg", "environment.properties", "categories.json"]
    properties = (tmp_path / "allure-results" / "environment.properties").read_text().splitlines()
    assert "profile=qemu-virt" in properties and "bench=qemu" in properties
