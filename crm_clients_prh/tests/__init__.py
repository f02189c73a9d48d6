from . import test_prh
from . import test_tours_screenshots
