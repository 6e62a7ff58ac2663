"""The stand-in's `odoo` package: Odoo's session interface as far as berth uses it (see
tests/odoo-standin/README.md, "The odoo package"). NOT Odoo: the names, file layout and token
computation follow Odoo 16-19; everything else is left out."""
import os

SUPERUSER_ID = 1
VERSION = os.environ.get("ODOO_VERSION") or "18.0"
try:
    MAJOR = int(VERSION.split(".")[0].replace("saas~", ""))
except ValueError:
    MAJOR = 18

from . import tools  # noqa: E402,F401  (odoo.tools.config, as `import odoo` gives it)
