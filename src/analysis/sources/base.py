"""Building blocks shared by the readers: layouts, failures, vectorised parsers.

A reader turns a chunk of raw string columns into typed canonical columns.
Values that cannot be parsed are not coerced one by one: each parser returns
the typed column *and* a mask of the values it could not read, and the reader
records those as failures (row, column, value, rule, message).  The ingest
step quarantines the failing rows before pandera sees the frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from analysis.tables.schemas import DATE, TABLES

FAILURE_COLUMNS = ["row", "column", "value", "rule", "message"]
MAX_VALUE_CHARS = 200


@dataclass(frozen=True)
class Layout:
    """One header layout a reader accepts (columns after normalisation).

    A file without a header row (GDELT) has a layout with ``header=False``: its
    columns are ``required`` in file order, its fields are separated by
    ``delimiter`` and, where ``quoting`` is False, a double quote is just a
    character.  Such a layout is not chosen from a header but by
    ``recognise(file_name, first_line)`` (:func:`analysis.sources.detect_headerless`).
    """

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    description: str = ""
    header: bool = True
    delimiter: str = ","
    quoting: bool = True
    recognise: Callable[[str, str], bool] | None = None

    def __post_init__(self) -> None:
        if not self.header and (self.optional or self.recognise is None):
            raise ValueError(f"layout {self.name!r} has no header: its columns are all required, in file order, "
                             "and it needs recognise(file_name, first_line)")

    @property
    def known(self) -> frozenset[str]:
        return frozenset(self.required) | frozenset(self.optional)

    @cached_property
    def schema(self):
        """The raw pandera schema: the first link of raw -> canonical -> processed.

        Raw rows are text as written: the required columns must be present and
        every known column is a string.  Typing and value rules belong to the
        canonical schema, after vectorised parsing.
        """
        import pandera.pandas as pa

        columns = {name: pa.Column(str, required=name in self.required, nullable=False) for name in sorted(self.known)}
        return pa.DataFrameSchema(columns, strict=False, name=f"raw_{self.name}", description=self.description)


@dataclass(frozen=True)
class Reader:
    """The declared interface of a reader: one per real-world format, registered in :data:`analysis.sources.READERS`.

    ``name`` is the format's name (``--format``, the ledger's ``format``) and the
    ``source_dataset`` its rows carry; event and air-attack ids are prefixed with it.
    ``target`` is the table it feeds (a key of :data:`analysis.tables.schemas.TABLES`);
    ``layouts`` are the headers it accepts; ``parse(raw, failures)`` turns raw
    string columns into the typed columns of the target schema.  Optional:
    ``strict_columns`` refuses a header with columns no layout knows (the
    hand-coding templates); ``source_columns`` maps canonical columns to the
    file's own, so that messages name the column as written; ``variant(columns)``
    names the layout variant of a header for the validate report.
    """

    name: str
    target: str
    layouts: tuple[Layout, ...]
    parse: Callable[[pd.DataFrame, "Failures"], pd.DataFrame]
    strict_columns: bool = False
    source_columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    variant: Callable[[set[str]], str] | None = None

    def __post_init__(self) -> None:
        if not (self.name.isidentifier() and self.name.islower()):
            raise ValueError(f"reader name {self.name!r} must be a lowercase identifier (it prefixes ids)")
        if self.target not in TABLES:
            raise ValueError(f"reader {self.name!r}: unknown target table {self.target!r}; one of {', '.join(TABLES)}")
        if not self.layouts or not all(isinstance(layout, Layout) for layout in self.layouts):
            raise ValueError(f"reader {self.name!r}: layouts must be one or more Layout")
        if not callable(self.parse) or (self.variant is not None and not callable(self.variant)):
            raise ValueError(f"reader {self.name!r}: parse (and variant, if given) must be callable")
        object.__setattr__(self, "layouts", tuple(self.layouts))
        object.__setattr__(self, "source_columns", MappingProxyType(dict(self.source_columns)))

    def describe(self, columns: set[str]) -> str:
        """The layout variant of a header (``variant``), or the format's name."""
        return self.variant(columns) if self.variant is not None else self.name


@dataclass
class Failures:
    """Accumulates per-value failures of one chunk."""

    parts: list[pd.DataFrame] = field(default_factory=list)
    warning_parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, mask, values: pd.Series, column: str, rule: str, message: str) -> None:
        """Reject every row where ``mask`` is true; ``values`` is what to show of each row (its first
        ``MAX_VALUE_CHARS`` characters), usually the raw column."""
        self._record(self.parts, mask, values, column, rule, message)

    def warn(self, mask, values: pd.Series, column: str, rule: str, message: str) -> None:
        """Report rows where ``mask`` is true without rejecting them (suspicious, not wrong)."""
        self._record(self.warning_parts, mask, values, column, rule, message)

    @staticmethod
    def _record(parts: list, mask, values, column: str, rule: str, message: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = np.flatnonzero(mask)
        shown = values.iloc[rows].astype(str).str.slice(0, MAX_VALUE_CHARS).to_numpy()
        parts.append(pd.DataFrame({"row": rows, "column": column, "value": shown, "rule": rule, "message": message}))

    def frame(self) -> pd.DataFrame:
        """The rejections recorded so far."""
        return _as_frame(self.parts)

    def warnings_frame(self) -> pd.DataFrame:
        """The warnings recorded so far."""
        return _as_frame(self.warning_parts)


def _as_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "str") for c in FAILURE_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"row": "int64", "column": "str", "value": "str", "rule": "str", "message": "str"})


# ---------------------------------------------------------------- text
def prefixed_ids(ids: pd.Series, prefix: str, synthetic: np.ndarray) -> pd.Series:
    """``prefix:id``, or ``synthetic-prefix:id`` where ``synthetic``; missing where the id is missing.

    One Arrow concatenation with a prefix chosen per row: pandas' ``where`` over two concatenated columns
    took a quarter of an ACLED chunk's parse."""
    values = _arrow(ids)
    flags = np.asarray(synthetic, dtype=bool)
    head = pyarrow.scalar(f"{prefix}:", values.type)
    if flags.any():
        head = pc.if_else(pyarrow.array(flags), pyarrow.scalar(f"synthetic-{prefix}:", values.type), head)
    return _as_text(pc.binary_join_element_wise(head, values, pyarrow.scalar("", values.type)), ids.index, ids.name)


def blank_where(raw: pd.DataFrame, text: str) -> pd.DataFrame:
    """``raw`` with every cell that is exactly ``text`` made empty; only the columns holding it are touched
    (found by one Arrow kernel per column: most chunks hold it nowhere)."""
    holding = [c for c in raw.columns
               if pc.any(pc.equal(pyarrow.array(raw[c], from_pandas=True), text)).as_py()]
    if not holding:
        return raw
    return raw.assign(**{c: raw[c].where(raw[c].ne(text), "") for c in holding})


def clean_text(values: pd.Series) -> pd.Series:
    """Strip whitespace (Unicode's, as ``str.strip`` on pandas' text does); empty strings become missing.
    Arrow kernels: pandas' ``where`` on text copies value by value."""
    stripped = pc.utf8_trim_whitespace(_arrow(values))
    empty = pc.equal(stripped, "")
    if pc.any(empty).as_py():  # else no copy of the text
        stripped = pc.if_else(empty, pyarrow.scalar(None, stripped.type), stripped)
    return _as_text(stripped, values.index, values.name)


def before_first(values: pd.Series, separator: str) -> pd.Series:
    """Each text up to the first ``separator`` (all of it without one), as ``str.split(separator, n=1).str[0]``
    gives it, by one Arrow kernel: pandas answers that split one Python string at a time."""
    return _as_text(pc.list_element(pc.split_pattern(_arrow(values), separator, max_splits=1), 0), values.index)


def extract(values: pd.Series, pattern: str) -> pd.Series:
    """The first group of ``pattern`` (one named group, searched as :func:`re.search` does), missing where it does
    not match, as ``str.extract`` gives it, by one Arrow (RE2) kernel: pandas answers ``str.extract`` one
    Python string at a time.  Only for patterns that mean the same in RE2 and :mod:`re` (no look-around,
    no back-references, no ``$``: RE2's does not match before a final newline)."""
    found = pc.extract_regex(_arrow(values), pattern)
    return _as_text(pc.struct_field(found, [0]), values.index)


def _arrow(values: pd.Series):
    return pyarrow.array(values.astype("str"), from_pandas=True)  # the text's own Arrow array: no copy


def _as_text(array, index: pd.Index, name=None) -> pd.Series:
    chunked = array if isinstance(array, pyarrow.ChunkedArray) else pyarrow.chunked_array([array])
    return pd.Series(_TEXT.__from_arrow__(chunked), index=index, name=name)


_TEXT = pd.api.types.pandas_dtype("str")  # pandas' default text dtype, as pandas defines it


def text_columns(raw: pd.DataFrame, **columns: str) -> dict[str, pd.Series]:
    """Target text columns from raw ones, cleaned (:func:`clean_text`), in the order given:
    ``text_columns(raw, actor1="side_a", admin1="adm_1")``."""
    return {target: clean_text(raw[source]) for target, source in columns.items()}


def missing(values: pd.Series) -> np.ndarray:
    return values.str.strip().eq("").to_numpy(dtype=bool)


def require(raw: pd.DataFrame, columns: Iterable[str], failures: Failures, what: str = "") -> None:
    """Fail rows where a required column is empty."""
    for column in columns:
        failures.add(
            missing(raw[column]), raw[column], column, "required_value_missing",
            f"'{column}' is required{what} but empty",
        )


# ---------------------------------------------------------------- numbers
# Numbers as written in the files: ASCII digits, an optional sign, decimal point and
# exponent ('3', '-2', '123.0', '48.72', '1e+05' as R writes 100000).  Thousands
# separators ('1,000'), decimal commas, full-width or other non-ASCII digits, hex,
# 'nan' and 'inf' are not numbers here.
NUMBER_PATTERN = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
# Counts beyond this are rejected (count_out_of_range): no count of people, buildings,
# weapons or claimed events comes near a billion, every count up to it is exact in
# float64 and int64, and sums of a billion of them still fit in int64.
MAX_COUNT = 1_000_000_000


def _numbers(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(stripped text, float64 numbers: NaN where empty or not a number), vectorised.

    Arrow's cast handles the common all-valid column; a column with some bad
    value is cast again with only the values of :data:`NUMBER_PATTERN`.  Arrow
    also reads 'nan' and 'inf': callers treat non-finite numbers as not numbers.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = values.str.strip()
    arrow = pa.array(text.where(text != "", None), type=pa.large_string())
    try:
        numbers = pc.cast(arrow, pa.float64())
    except pa.ArrowInvalid:
        valid = pc.if_else(pc.match_substring_regex(arrow, NUMBER_PATTERN), arrow, None)
        try:
            numbers = pc.cast(valid, pa.float64())
        except pa.ArrowInvalid:  # a spelling the pattern allows but Arrow does not (none known)
            return text, pd.to_numeric(valid.to_pandas(), errors="coerce").to_numpy(dtype="float64")
    return text, numbers.to_numpy(zero_copy_only=False)


def parse_count(values: pd.Series, column: str, failures: Failures) -> pd.Series:
    """Parse a whole-number count ('3', '3.0', '1e+05'); empty stays unknown (<NA>).

    The one place where every count column of every format becomes an integer.
    Rejected: non-numbers ('three', '1,000', '１２', 'nan', 'inf'; ``not_a_number``),
    magnitudes beyond :data:`MAX_COUNT` ('1e19', '1e400'; ``count_out_of_range``) and
    fractions (``not_a_whole_number``).  Negative numbers are returned as they are,
    for the schema's ``negative_count`` check to name; '-0' is 0.
    """
    text, numbers = _numbers(values)
    given = (text != "").to_numpy(dtype=bool)
    finite = np.isfinite(numbers)
    overflow = given & np.isinf(numbers)  # '1e400', but not 'inf'
    if overflow.any():
        overflow[overflow] = text[overflow].str.match(NUMBER_PATTERN, na=False).to_numpy(dtype=bool)
    failures.add(given & ~finite & ~overflow, values, column, "not_a_number",
                 f"'{column}' must be a whole number written with the digits 0-9 (no thousands separators) or empty")
    with np.errstate(invalid="ignore"):
        in_range = finite & (np.abs(numbers) <= MAX_COUNT)
        whole = in_range & (numbers % 1 == 0)
    failures.add((finite & ~in_range) | overflow, values, column, "count_out_of_range",
                 f"'{column}' is beyond {MAX_COUNT:,}, more than any real count")
    # float64 may round a long fraction ('2.0000000000000001') or a tiny one ('1e-400') to a whole
    # number; such values (rare: over 15 characters, or an exponent) are judged by their digits.
    exponent = text.str.contains("e", regex=False) | text.str.contains("E", regex=False)  # not case=False: slow
    exact = whole & ((text.str.len().to_numpy() > 15) | exponent.to_numpy(dtype=bool))
    if exact.any():
        whole[exact] = _whole_by_digits(text[exact])
    failures.add(in_range & ~whole, values, column, "not_a_whole_number", f"'{column}' must be a whole number")
    return pd.Series(np.where(whole, numbers, np.nan), index=values.index).astype("Int64")


def _whole_by_digits(text: pd.Series) -> np.ndarray:
    """Whether numbers written as in :data:`NUMBER_PATTERN` are whole, exactly, from their digits (vectorised).

    'I.Fe±X' is int(I + F) * 10 ** (X - len(F)): whole when X - len(F) plus the
    trailing zeros of I + F is not negative, or when every digit is 0.
    """
    parts = text.str.extract(r"^[+-]?([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?$").fillna("")
    digits = parts[0] + parts[1]
    trailing_zeros = digits.str.len() - digits.str.rstrip("0").str.len()
    exponent = pd.to_numeric(parts[2].where(parts[2] != "", "0"), errors="coerce")  # float: huge is just huge
    nonzero = digits.str.contains("[1-9]", regex=True)
    return (~nonzero | (exponent - parts[1].str.len() + trailing_zeros >= 0)).to_numpy(dtype=bool)


def parse_float(values: pd.Series, column: str, failures: Failures) -> pd.Series:
    """Parse a decimal number ('48.72'); empty stays unknown (<NA>); 'nan' and non-numbers fail.

    Infinite and huge values pass through, for the schema's range checks to name.
    """
    text, numbers = _numbers(values)
    bad = np.isnan(numbers) & (text != "").to_numpy(dtype=bool)
    failures.add(bad, values, column, "not_a_number", f"'{column}' must be a decimal number or empty")
    return pd.Series(numbers, index=values.index).astype("Float64")


def parse_bool(values: pd.Series, column: str, failures: Failures,
               true: Sequence[str] = ("true", "1", "yes", "y", "t"),
               false: Sequence[str] = ("false", "0", "no", "n", "f", "")) -> pd.Series:
    text = values.str.strip().str.lower()
    is_true = text.isin(true).to_numpy()
    is_false = text.isin(false).to_numpy()
    failures.add(~(is_true | is_false), values, column, "not_a_boolean",
                 f"'{column}' must be one of {', '.join(v for v in true if v)} / {', '.join(v for v in false if v)}")
    return pd.Series(is_true, index=values.index, dtype=bool)


# ---------------------------------------------------------------- dates
def parse_dates(values: pd.Series, formats: Sequence[str], column: str, failures: Failures,
                required: bool = True) -> pd.Series:
    """Try each strptime format in turn on the values still unparsed (vectorised).

    Times of day are dropped: events are dated to the day.  Values that match
    no format are failures naming the formats accepted.  Each distinct value is
    parsed once (a chunk of 100,000 events holds a few hundred dates).
    """
    text = values.str.strip()
    out = per_distinct(text, lambda distinct: _in_first_format(distinct, formats))
    todo = (out.isna() & text.ne("")).to_numpy(dtype=bool)
    examples = ", ".join(_example(f) for f in formats[:3])
    failures.add(todo, values, column, "unparseable_date", f"'{column}' is not a date in a known style (e.g. {examples})")
    if required:
        failures.add((text == "").to_numpy(), values, column, "required_value_missing", f"'{column}' is required but empty")
    return out


def _in_first_format(text: pd.Series, formats: Sequence[str]) -> pd.Series:
    """Each value as a day, by the first of ``formats`` it matches (missing where none does)."""
    out = pd.Series(pd.NaT, index=text.index, dtype=DATE)
    todo = (text != "").to_numpy(dtype=bool, copy=True)
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = parsed.notna().to_numpy()
        if ok.any():
            idx = np.flatnonzero(todo)[ok]
            out.iloc[idx] = parsed[ok].dt.normalize().astype(DATE).to_numpy()
            todo[idx] = False
    return out


def per_distinct(values: pd.Series, compute: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``compute`` (a step whose result for a value depends on that value alone) run on the distinct values of
    ``values`` and given back to every row, index kept; a missing value gets what ``compute`` gives one.

    A chunk holds a few hundred distinct dates: parsing each once, not every row, is most of the saving.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(np.append(np.asarray(uniques, dtype=object), None), dtype=values.dtype)  # last: missing
    result = compute(distinct).reset_index(drop=True)
    return pd.Series(result.array.take(np.where(codes < 0, len(distinct) - 1, codes)), index=values.index,
                     name=values.name)


def _example(fmt: str) -> str:
    return pd.Timestamp("2023-03-14").strftime(fmt)


def check_year(raw: pd.DataFrame, event_date: pd.Series, date_column: str, failures: Failures) -> None:
    """Reject rows whose ``year`` column (where present) disagrees with the parsed date."""
    if "year" not in raw:
        return
    year = parse_count(raw["year"], "year", failures)
    bad = (year.notna() & event_date.notna() & (year != event_date.dt.year)).fillna(False).to_numpy(bool)
    failures.add(bad, raw["year"], "year", "year_disagrees_with_date", f"'year' differs from the year of '{date_column}'")


# ---------------------------------------------------------------- mapping
def map_codes(values: pd.Series, mapping: dict[str, str], column: str, failures: Failures,
              allow_empty: bool = True) -> pd.Series:
    """Map coded values (e.g. precision codes '1'..'3') to labels; unknown codes fail.

    Worked out once per distinct value (a chunk holds a handful): the ``$`` makes pandas replace one
    Python string at a time."""
    codes, uniques = pd.factorize(values.astype("str"), use_na_sentinel=True)
    text = pd.Series(uniques, dtype="str").str.strip().str.replace(r"\.0$", "", regex=True)
    mapped = text.map(mapping).astype("str")
    bad = mapped.isna().to_numpy() & ~(allow_empty & (text == "")).to_numpy()
    failures.add(np.append(bad, True)[codes], values, column, "unknown_code",  # a missing value is no code
                 f"'{column}' must be one of {', '.join(mapping)}")
    return pd.Series(mapped.array.take(codes, allow_fill=True), index=values.index, name=values.name, dtype="str")
