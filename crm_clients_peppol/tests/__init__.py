from . import test_peppol
from . import test_peppol_network
from . import test_tours_screenshots
