from . import test_vies
