from . import test_whitelist
