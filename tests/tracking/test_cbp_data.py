"""CBP's statistics ship inside the package, found through importlib.resources; a given folder
is read instead, and a wrong one is one clear error."""

from __future__ import annotations

import tomllib
import zipfile
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import pytest

import enlace
from enlace.tracking import cbp_data
from enlace.tracking.cbp_data import (
    CbpDataNotFound,
    cbp_csv_files,
    cbp_csv_paths,
    shipped_cbp_folder,
)
from enlace.tracking.statistics_csv import CBP_COLUMNS, StatisticsFileError, read_cbp_file

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_shipped_folder_is_package_data_inside_enlace() -> None:
    folder = shipped_cbp_folder()
    assert folder == resources.files("enlace.tracking") / "data" / "cbp"
    package = Path(enlace.__file__).resolve().parent
    assert Path(str(folder)).resolve().is_relative_to(package)


def test_the_shipped_files_are_what_the_loader_reads() -> None:
    assert [entry.name for entry in cbp_csv_files()] == ["cbp_fy19_fy22.csv", "cbp_fy20_fy23.csv"]
    with cbp_csv_paths() as paths:
        editions = [read_cbp_file(path) for path in paths]
    # The counts and fiscal years the data's README gives.
    assert [(e.edition, len(e.rows)) for e in editions] == [(2022, 10_092), (2023, 9_924)]
    assert [sorted({row.fiscal_year for row in e.rows}) for e in editions] == [
        [2019, 2020, 2021, 2022],
        [2020, 2021, 2022, 2023],
    ]


def test_a_wheel_carries_the_shipped_files() -> None:
    # setuptools puts in a wheel only the data files that [tool.setuptools.package-data] names.
    patterns = tomllib.loads(PYPROJECT.read_text("utf-8"))["tool"]["setuptools"]["package-data"]
    package = Path(enlace.__file__).resolve().parent
    shipped = sorted(
        path.relative_to(package).as_posix()
        for path in Path(str(shipped_cbp_folder())).iterdir()
        if path.is_file()
    )
    assert shipped == [
        "tracking/data/cbp/README.md",
        "tracking/data/cbp/cbp_fy19_fy22.csv",
        "tracking/data/cbp/cbp_fy20_fy23.csv",
    ]
    assert [name for name in shipped if not any(fnmatch(name, p) for p in patterns["enlace"])] == []


def test_a_given_folder_gives_its_csv_files_by_name(tmp_path: Path) -> None:
    for name in ("b.csv", "a.csv"):
        (tmp_path / name).write_text(",".join(CBP_COLUMNS) + "\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not statistics\n", encoding="utf-8")
    (tmp_path / "older.csv").mkdir()
    assert [entry.name for entry in cbp_csv_files(tmp_path)] == ["a.csv", "b.csv"]
    with cbp_csv_paths(tmp_path) as paths:
        assert paths == [tmp_path / "a.csv", tmp_path / "b.csv"]


def test_packed_files_are_copied_to_disk_under_their_own_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Enlace imported from a zip: the shipped folder is a zipfile.Path, not a folder on disk.
    text = ",".join(CBP_COLUMNS) + "\r\n"
    packed = tmp_path / "enlace.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("enlace/tracking/data/cbp/cbp_fy20_fy23.csv", text)
        archive.writestr("enlace/tracking/data/cbp/README.md", "source\n")
    inside = zipfile.Path(packed, "enlace/tracking/data/cbp/")
    monkeypatch.setattr(cbp_data, "shipped_cbp_folder", lambda: inside)
    with cbp_data.cbp_csv_paths() as paths:
        assert [path.name for path in paths] == ["cbp_fy20_fy23.csv"]
        assert paths[0].read_bytes() == text.encode()
    assert not paths[0].exists()


@pytest.mark.parametrize(
    ("child", "said"),
    [("absent", "does not exist or is not a folder"), ("", "holds no .csv file")],
    ids=["missing", "no-csv"],
)
def test_a_folder_without_statistics_is_one_clear_error(
    tmp_path: Path, child: str, said: str
) -> None:
    (tmp_path / "readme.txt").write_text("no statistics here\n", encoding="utf-8")
    folder = tmp_path / child if child else tmp_path
    with pytest.raises(CbpDataNotFound) as caught:
        cbp_csv_files(folder)
    message = str(caught.value)
    assert isinstance(caught.value, StatisticsFileError)
    assert message.startswith(f"CBP statistics folder {folder} {said}; expected ")
    assert "'Nationwide Drug Seizures' CSV files" in message
    assert "\n" not in message
