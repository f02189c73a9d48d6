from . import test_http_portal
