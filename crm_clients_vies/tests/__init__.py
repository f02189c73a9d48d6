from . import test_vies
from . import test_tours_screenshots
