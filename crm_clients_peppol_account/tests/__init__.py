from . import test_peppol_account
