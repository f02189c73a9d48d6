from . import test_client_type
