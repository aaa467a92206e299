"""The HTTP API and the web page: a thin FastAPI shell over the ``Backcare`` facade.

``create_app`` (``app.py``) wires the parts of this package together; the
shells and the tests start from it. See docs/architecture.md for the JSON
contract every route keeps.
"""

from backcare.api.app import create_app
from backcare.api.middleware import CONTENT_SECURITY_POLICY
from backcare.api.proxies import TrustedProxies
from backcare.api.ratelimit import RateLimit
from backcare.api.schemas import LangCode

__all__ = ["CONTENT_SECURITY_POLICY", "LangCode", "RateLimit", "TrustedProxies", "create_app"]
