from . import test_brreg
