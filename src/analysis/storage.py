"""Writing outputs atomically and deterministically; hashing files.

Every output file is written to a temporary file in the same folder and then
renamed over the target (``os.replace``), so a reader or an interrupted run
never sees a half-written file.  Tables are written so that the same data give
the same bytes: fixed Parquet options, no index, ``\\n`` line endings.  Every CSV
goes through :func:`write_csv`, which neutralises text cells a spreadsheet
would run as formulas (:func:`neutralise_formulas`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from analysis import config
from typing import Iterator

_BLOCK = 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp creates 0600; outputs get normal permissions
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def write_json(target: Path, obj) -> None:
    """Pretty, key-sorted JSON: the same object gives the same bytes."""
    write_text(target, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


# Spreadsheet formula injection (OWASP "CSV injection"): a cell that starts with
# one of these is run as a formula by Excel, LibreOffice or Google Sheets.  The
# full-width forms are read as formulas by Excel in East Asian locales.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# A text cell that is a plain number ("-3", "+2.5", "-1e-5") is left alone: a
# spreadsheet reads it as that number, nothing runs.
_PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def neutralise_formulas(frame, index: bool = False):
    """``frame`` with every formula-like text cell prefixed by ``'``; ``frame`` itself when none is.

    The rule (one home for every CSV the package writes): a *text* cell (in an
    object, string or categorical column, in the header, or in the index when
    ``index``) that starts with ``= + - @``, tab, carriage return or their
    full-width forms gets a leading ``'``, unless the whole cell is a plain
    number such as ``-3`` or ``+2.5e3``.  Numeric, boolean and date columns are
    never changed, so a -3 stays -3.  Vectorised: pandas string methods per column.
    """
    changed = {position: safe for position in range(frame.shape[1])
               if (safe := _safe_text(frame.iloc[:, position])) is not None}
    labels = frame.columns.map(_safe_label)
    rows = _safe_index(frame.index) if index else None
    if not changed and labels.equals(frame.columns) and rows is None:
        return frame
    out = frame.copy(deep=False)
    for position, values in changed.items():
        out.isetitem(position, values)
    out.columns = labels
    if rows is not None:
        out.index = rows
    return out


def _formula_mask(values):
    """Per cell: a string that starts like a formula and is not a plain number."""
    text = values.str
    starts = text.startswith(FORMULA_START).fillna(False).astype(bool)
    if not starts.any():
        return starts
    return starts & ~text.fullmatch(_PLAIN_NUMBER).fillna(False).astype(bool)


def _safe_text(values):
    """``values`` with formula-like strings quoted, or None when there are none (or it is not text)."""
    import pandas as pd

    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        safe = _safe_text(pd.Series(dtype.categories, dtype=object))
        if safe is None:
            return None
        if safe.is_unique:
            return values.cat.rename_categories(safe.tolist())
        return _safe_text(values.astype(object))
    if not (dtype == object or isinstance(dtype, pd.StringDtype)):
        return None
    try:
        mask = _formula_mask(values)
    except AttributeError:  # an object column without any string (.str refuses it)
        return None
    if not mask.any():
        return None
    out = values.copy()
    out[mask] = "'" + values[mask].astype(str)
    return out


def _safe_label(label):
    if isinstance(label, tuple):
        return tuple(_safe_label(part) for part in label)
    if isinstance(label, str) and label.startswith(FORMULA_START):
        import re

        return label if re.fullmatch(_PLAIN_NUMBER, label) else "'" + label
    return label


def _safe_index(index):
    """The index with formula-like values and names quoted, or None when there are none."""
    import pandas as pd

    levels = [index.get_level_values(i).to_series(index=range(len(index))) for i in range(index.nlevels)]
    safe = [_safe_text(level) for level in levels]
    names = [_safe_label(name) for name in index.names]
    if all(s is None for s in safe) and names == list(index.names):
        return None
    safe = [level if s is None else s for s, level in zip(safe, levels)]
    if index.nlevels == 1:
        return pd.Index(safe[0], name=names[0])
    return pd.MultiIndex.from_arrays(safe, names=names)


def _holds_carriage_return(frame, index: bool) -> bool:
    """Whether a text cell (or label) holds ``\\r``, which the csv module leaves unquoted with ``\\n`` line ends."""
    import pandas as pd

    texts = [frame[name] for name in frame.columns if frame[name].dtype == object
             or isinstance(frame[name].dtype, (pd.StringDtype, pd.CategoricalDtype))]
    if index:
        texts += [frame.index.get_level_values(i).to_series() for i in range(frame.index.nlevels)]
    texts.append(pd.Series([str(label) for label in frame.columns], dtype=object))
    for values in texts:
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = pd.Series(values.cat.categories, dtype=object)
        try:
            if values.str.contains("\r", regex=False).fillna(False).astype(bool).any():
                return True
        except AttributeError:  # no strings in this column
            continue
    return False


def write_csv(target: Path, frame, index: bool = False, float_format: str | None = None) -> None:
    """Write ``frame`` as UTF-8 CSV with ``\\n`` line ends, formula-like text neutralised
    (:func:`neutralise_formulas`); the index only when ``index``.

    Fields are quoted where needed; when some text holds a carriage return every
    field is quoted (the csv module would leave a lone ``\\r`` unquoted and break the row).
    """
    import csv

    safe = neutralise_formulas(frame, index=index)
    quoting = csv.QUOTE_ALL if _holds_carriage_return(safe, index) else csv.QUOTE_MINIMAL
    with atomic_path(target) as tmp:
        safe.to_csv(tmp, index=index, lineterminator="\n", encoding="utf-8", float_format=float_format,
                    quoting=quoting)


# ---------------------------------------------------------------- generations (one folder per build)
def current_generation(processed_dir: Path) -> Path | None:
    """The generation folder the ``current`` symlink names (read once), or None before the first build.

    Readers call this once and read every file from the folder it returns: a
    build that switches meanwhile never mixes its files into what they read.
    """
    try:
        target = os.readlink(Path(processed_dir) / config.CURRENT_LINK)
    except OSError:  # no link yet (or not a link: an old layout, rebuilt on first use)
        return None
    return Path(processed_dir).absolute() / target  # absolute: a later chdir does not move it


def temp_symlink(link: Path, target: str) -> Path:
    """A new symlink to ``target`` beside ``link``, named ``.<name>.<random>.tmp``; os.replace it onto ``link``."""
    import secrets

    tmp = Path(link).with_name(f".{Path(link).name}.{secrets.token_hex(6)}.tmp")
    os.symlink(target, tmp)
    return tmp


def replace_symlink(link: Path, target: str) -> None:
    """Make ``link`` a symlink to ``target`` in one atomic step (readers see the old or the new one)."""
    tmp = temp_symlink(link, target)
    try:
        os.replace(tmp, link)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


PARQUET_OPTIONS = {"compression": "zstd", "use_dictionary": True, "write_statistics": True}


@functools.cache
def prefer_jemalloc() -> str:
    """Make jemalloc Arrow's memory pool where pyarrow has it; return the pool's name.

    On the 2-core machine a 1M-row build went from 8.2 s to 7.2 s and from 1.06
    to 0.91 GB peak, loading 2.5M events for civilian_harm_by_city from 1.9 s to
    1.3 s: pyarrow's default (mimalloc) returns freed pages eagerly and the
    kernel time of faulting them in again dominated.  A pool the user chose
    with ARROW_DEFAULT_MEMORY_POOL is left alone, and so is a pyarrow built
    without jemalloc.
    """
    import pyarrow as pa

    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except NotImplementedError:
            pass
    return pa.default_memory_pool().backend_name


def arrow_table(frame):
    """A pandas frame as an Arrow table without index (pandas metadata keeps the dtypes)."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def write_parquet(target: Path, frame, row_group_rows: int = 250_000) -> None:
    import pyarrow.parquet as pq

    with atomic_path(target) as tmp:
        pq.write_table(arrow_table(frame), tmp, row_group_size=row_group_rows, **PARQUET_OPTIONS)
