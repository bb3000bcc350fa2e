"""The domain stays below the web layer (ARCHITECTURE.md §8): services and workers load no Flask.

A worker process reuses the services; if importing them pulled in Flask (or anything of the web
layer), the layers would only be separate on paper.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_services_and_workers_import_without_flask():
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in [*ROOT.glob("marketplace/**/services.py"), *ROOT.glob("workers/**/*.py")]  # sub-packages too
        if p.name != "__init__.py"
    )
    assert "marketplace.listings.services" in modules and "workers.runner" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "web = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_smorest', 'flask_wtf', 'werkzeug')"
        " or m in ('marketplace.web.app', 'marketplace.web'))\n"
        "print(','.join(web))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"the web layer was imported: {out.stdout.strip()}"


def test_each_model_module_alone_configures_its_mappers():
    """A relay or worker process imports only the models it uses; a relationship to another feature's
    class must not leave the mappers unconfigurable there (it did: Order.payment in the relay)."""
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts)
                     for p in [*ROOT.glob("marketplace/*/**/models.py"), ROOT / "events" / "models.py"])
    code = (
        "import importlib, sys\n"
        "from sqlalchemy.orm import configure_mappers\n"
        "importlib.import_module(sys.argv[1])\n"
        "configure_mappers()\n"
    )
    for module in modules:
        out = subprocess.run([sys.executable, "-c", code, module], cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, f"{module}: {out.stderr.strip().splitlines()[-1:]}"
