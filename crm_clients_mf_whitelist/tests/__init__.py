from . import test_flat_file
from . import test_tours_screenshots
from . import test_whitelist
from . import test_whitelist_api
