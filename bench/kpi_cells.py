"""KPI table cells: written in Python (campaigns.views.kpis.table_rows) against the same cells
written by a template loop, for a large dashboard table. Why the heat map is a template and the
table cells are not. No database: the rows are built in memory.

Prints one JSON object: rows x columns, and the median of 7 timed runs of each way (ms).

    PYTHONPATH=. .venv/bin/python bench/kpi_cells.py [rows] [columns]
"""

import os
import secrets
import statistics
import sys

from _common import emit, log, timed

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
COLUMNS = int(sys.argv[2]) if len(sys.argv) > 2 else 28
RUNS = 7

TEMPLATE = """{% for row in rows %}<tr><th>{{ row.label }}</th>{% for cell in row.cells %}<td class="num{% if cell.earlier %} previous{% endif %}" data-sort="{{ cell.sort }}">{{ cell.text }}</td>{% endfor %}</tr>{% endfor %}"""  # noqa: E501


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()
    from django.template import engines

    from campaigns.selectors.kpis.figures import Figures, KpiRow
    from campaigns.views.kpis import _sort_value, display, figure, table_rows

    names = ["dials", "contacts", "successes", "talk_seconds"]
    kinds = {"dials": "int", "contacts": "int", "successes": "int", "talk_seconds": "time"}
    columns = [(names[i % len(names)], "", kinds[names[i % len(names)]], i % 2 == 1) for i in range(COLUMNS)]
    pairs = [
        (
            KpiRow(
                key=n, label=f"row {n}", figures=Figures(dials=n * 7, contacts=n * 3, successes=n, talk_seconds=n * 61)
            ),
            Figures(dials=n * 5, contacts=n * 2, successes=n, talk_seconds=n * 43),
        )
        for n in range(ROWS)
    ]
    template = engines["django"].from_string(TEMPLATE)

    def in_python():
        return "".join(row["cells"] for row in table_rows(pairs, columns))

    def in_template():
        rows = [
            {
                "label": row.label,
                "cells": [
                    {"earlier": earlier, "sort": _sort_value(value), "text": display(value, kind)}
                    for value, kind, earlier in (
                        (figure(previous if earlier else row.figures, name), kind, earlier)
                        for name, _label, kind, earlier in columns
                    )
                ],
            }
            for row, previous in pairs
        ]
        return template.render({"rows": rows})

    results = {}
    for name, way in (("python_ms", in_python), ("template_ms", in_template)):
        way()  # warm-up
        times = []
        for _ in range(RUNS):
            with timed() as timer:
                way()
            times.append(timer.seconds * 1000)
        results[name] = round(statistics.median(times), 1)
        log(f"{name}: {results[name]} ms")
    emit(
        {
            "bench": "kpi_cells",
            "rows": ROWS,
            "columns": COLUMNS,
            "cells": ROWS * COLUMNS,
            **results,
            "template_over_python": round(results["template_ms"] / results["python_ms"], 1),
            "load_average": round(os.getloadavg()[0], 2),
        }
    )


if __name__ == "__main__":
    main()
