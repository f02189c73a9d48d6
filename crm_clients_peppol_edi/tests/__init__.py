from . import test_peppol_edi
