from . import test_brreg
from . import test_tours_screenshots
