"""Run problems as a CSV download, safe to open in a spreadsheet."""
import csv
import io

from flask import Response

from store.models import RunProblem

# A cell starting with one of these would be read as a formula by a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """The value as text that a spreadsheet shows as it is, never runs."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def problems_csv(run, filename, id_header="external_id"):
    """Every problem of `run`, one row each, as an attachment called `filename`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([id_header, "name", "code", "message"])
    for problem in RunProblem.select().where(RunProblem.run == run).order_by(RunProblem.id):
        writer.writerow([csv_safe(problem.external_id), csv_safe(problem.name), problem.code, csv_safe(problem.message)])
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
