from . import test_tours_screenshots
from . import test_vies
