from . import test_prh
