from . import test_peppol
