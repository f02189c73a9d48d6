from . import test_peppol
from . import test_peppol_network
