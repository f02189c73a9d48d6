from . import test_gus
from . import test_gus_access
from . import test_tours
from . import test_tours_screenshots
