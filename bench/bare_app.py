"""The baseline: a bare Flask app answering one small JSON document, served by the same gunicorn.

``gunicorn bench.bare_app:app``. The storefront's figures are read as ratios to this one's, measured in
the same run on the same two cores (issue #15).
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/healthz")
@app.get("/ok")
def ok():  # type: ignore[no-untyped-def]
    return jsonify(status="ok", items=[{"id": 1, "title": "Batik tulis", "price_idr": 150000}])
